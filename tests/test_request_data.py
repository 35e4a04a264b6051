"""``request.values``, ``request.data``, and ``get_data``'s ``cache`` and ``parse_form_data``."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from trioquart import TrioQuart, request
from trioquart.asgi.request_inbox import RequestInbox
from trioquart.testing import TestClient
from trioquart.wrappers.request import STREAM_FORMS_ABOVE, Request

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MULTIPART_TYPE = {"Content-Type": "multipart/form-data; boundary=B"}
MULTIPART = (
    b'--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nReport\r\n'
    b'--B\r\nContent-Disposition: form-data; name="doc"; filename="r.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\ncontent\r\n--B--\r\n"
)


def large_multipart() -> bytes:
    """A multipart body above ``STREAM_FORMS_ABOVE``: parsed as it streams in, not kept."""
    upload = b"x" * (STREAM_FORMS_ABOVE + 1)
    return (
        b'--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig\r\n'
        b'--B\r\nContent-Disposition: form-data; name="doc"; filename="big.bin"\r\n\r\n'
        + upload
        + b"\r\n--B--\r\n"
    )


# --- values ---------------------------------------------------------------------------------


async def test_request_values_combines_args_then_form(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        with trio.testing.assert_checkpoints():
            values = await request.values
        assert isinstance(values, CombinedMultiDict)
        with pytest.raises(TypeError):
            values["name"] = "changed"  # read-only, as in Werkzeug
        return {"name": values["name"], "tags": values.getlist("tag"), "only": values["only"]}

    response = await client.post(
        "/?tag=q1&name=from-query&tag=q2", form={"tag": "f", "name": "from-form", "only": "form"}
    )
    assert await response.get_json() == {
        "name": "from-query",  # the query arguments come first
        "tags": ["q1", "q2", "f"],
        "only": "form",
    }


async def test_request_values_of_a_multipart_post(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        return (await request.values).to_dict(flat=False)

    response = await client.post("/?page=2", data=MULTIPART, headers=MULTIPART_TYPE)
    assert await response.get_json() == {"page": ["2"], "title": ["Report"]}


async def test_request_values_of_a_get_leave_the_body_unread(app: TrioQuart) -> None:
    """As in Werkzeug, a GET's form is not part of ``values``: the view answers although the
    client never sends the body it announced."""

    @app.get("/")
    async def view() -> Any:
        with trio.testing.assert_checkpoints():
            values = await request.values
        return values.to_dict(flat=False)

    with trio.fail_after(5):
        async with app.test_client().request("/?a=1&a=2", headers=FORM) as connection:
            await connection.send(b"b=3")
            response = await connection.as_response()
    assert await response.get_json() == {"a": ["1", "2"]}


async def test_request_values_raises_what_the_form_raises(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/")
    async def view() -> Any:
        with pytest.raises(BadRequest, match="no boundary"):
            await request.values
        return "checked"

    response = await client.post(
        "/", data=MULTIPART, headers={"Content-Type": "multipart/form-data"}
    )
    assert await response.get_data() == b"checked"


# --- data and parse_form_data ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"a": 1}'),
        ("text/plain; charset=utf-8", "héllo".encode()),
        ("application/octet-stream", b"\x00\xff"),
    ],
)
async def test_request_data_is_the_body_of_other_content(
    app: TrioQuart, client: TestClient, content_type: str, body: bytes
) -> None:
    @app.post("/")
    async def view() -> bytes:
        with trio.testing.assert_checkpoints():
            data = await request.data
        assert isinstance(data, bytes)
        assert await request.get_data(parse_form_data=True) == data
        return data

    response = await client.post("/", data=body, headers={"Content-Type": content_type})
    assert await response.get_data() == body


@pytest.mark.parametrize(
    ("headers", "body", "fields"),
    [
        (FORM, b"a=1&b=2", {"a": "1", "b": "2"}),
        (MULTIPART_TYPE, MULTIPART, {"title": "Report"}),
    ],
    ids=["urlencoded", "multipart"],
)
async def test_request_data_of_a_form_is_empty_and_the_form_is_parsed(
    app: TrioQuart,
    client: TestClient,
    headers: dict[str, str],
    body: bytes,
    fields: dict[str, str],
) -> None:
    """As in Flask: what is left of a form body besides its form is nothing."""

    @app.post("/")
    async def view() -> Any:
        data = await request.data
        text = await request.get_data(as_text=True, parse_form_data=True)
        form = await request.form
        return {
            "data": data.decode(),
            "text": text,
            "form": form.to_dict(),
            "whole": len(await request.get_data()),  # kept: a small form is read whole
        }

    response = await client.post("/", data=body, headers=headers)
    assert await response.get_json() == {"data": "", "text": "", "form": fields, "whole": len(body)}


async def test_request_data_of_a_streamed_multipart_form(
    app: TrioQuart, client: TestClient
) -> None:
    """A multipart form too large to keep is streamed into the parser: ``data`` is empty,
    and reading the body whole afterwards is still the error it always was."""

    @app.post("/")
    async def view() -> Any:
        data = await request.data
        files = await request.files
        with pytest.raises(RuntimeError, match="already consumed as a stream"):
            await request.get_data()
        # Dropping a body that was never kept changes nothing.
        assert await request.get_data(cache=False, parse_form_data=True) == b""
        with pytest.raises(RuntimeError, match="already consumed as a stream"):
            await request.get_data()
        return {"data": data.decode(), "size": len(files["doc"].read())}

    response = await client.post("/", data=large_multipart(), headers=MULTIPART_TYPE)
    assert await response.get_json() == {"data": "", "size": STREAM_FORMS_ABOVE + 1}


async def test_request_data_of_a_malformed_form_is_400(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> bytes:
        return await request.data

    response = await client.post(
        "/", data=MULTIPART, headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code == 400
    assert b"no boundary" in await response.get_data()


async def test_request_data_keeps_the_size_limit(app: TrioQuart, client: TestClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 4

    @app.post("/")
    async def view() -> bytes:
        return await request.data

    for headers in ({"Content-Type": "text/plain"}, FORM):
        response = await client.post("/", data=b"12345", headers=headers)
        assert response.status_code == 413


async def test_request_data_keeps_the_body_timeout(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["BODY_TIMEOUT"] = 5.0

    @app.post("/")
    async def view() -> bytes:
        return await request.data

    async def trickle(connection: Any) -> None:
        for _ in range(100):
            await connection.send(b"x")
            await trio.sleep(1)

    with trio.fail_after(60):
        async with (
            app.test_client().request("/", "POST") as connection,
            trio.open_nursery() as nursery,
        ):
            nursery.start_soon(trickle, connection)
            status, _ = await connection.wait_for_headers()
            nursery.cancel_scope.cancel()
    assert status == 408


# --- get_data's arguments -------------------------------------------------------------------


async def test_request_get_data_takes_quarts_positional_arguments(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/")
    async def view() -> Any:
        as_text = await request.get_data(True, True)
        as_bytes = await request.get_data(True, False, False)
        return {"text": as_text, "bytes": list(as_bytes)}

    response = await client.post(
        "/", data="é".encode("latin-1"), headers={"Content-Type": "text/plain; charset=latin-1"}
    )
    assert await response.get_json() == {"text": "é", "bytes": [0xE9]}


async def test_request_get_data_without_cache_drops_the_body(
    app: TrioQuart, client: TestClient
) -> None:
    """As in Quart: once read with ``cache=False``, the body reads as empty everywhere."""

    @app.post("/")
    async def view() -> Any:
        first = await request.get_data(cache=False)
        return {
            "first": first.decode(),
            "again": await request.get_data(as_text=True),
            "streamed": [chunk async for chunk in request.body],
            "json": await request.get_json(silent=True),
        }

    response = await client.post("/", json={"a": 1})
    assert await response.get_json() == {
        "first": '{"a": 1}',
        "again": "",
        "streamed": [],
        "json": None,
    }


async def test_request_get_data_without_cache_keeps_what_was_parsed(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/")
    async def view() -> Any:
        parsed = await request.get_json()
        await request.get_data(cache=False)
        form = await request.form  # not a form body: empty, and nothing to read
        return {"parsed": parsed, "again": await request.get_json(), "form": len(form)}

    response = await client.post("/", json=[1])
    assert await response.get_json() == {"parsed": [1], "again": [1], "form": 0}


async def test_request_get_data_without_cache_of_a_form(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        data = await request.get_data(cache=False, parse_form_data=True)
        return {
            "data": data.decode(),
            "form": (await request.form).to_dict(),
            "left": len(await request.get_data()),
        }

    response = await client.post("/", data=b"a=1", headers=FORM)
    assert await response.get_json() == {"data": "", "form": {"a": "1"}, "left": 0}


def unit_request(
    headers: list[tuple[bytes, bytes]], limit: int | None = None
) -> tuple[Request, trio.MemorySendChannel[dict[str, Any]]]:
    """A POST request outside any app, and the channel that feeds its ``receive``."""
    send_channel, receive_channel = trio.open_memory_channel[dict[str, Any]](10)
    scope: Any = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    return Request(scope, RequestInbox(receive_channel.receive), limit), send_channel


async def test_request_body_clear_drops_only_a_body_read_whole() -> None:
    incoming, channel = unit_request([])
    incoming.body.clear()  # nothing read yet: nothing to drop
    await channel.send({"type": "http.request", "body": b"abc", "more_body": False})
    assert await incoming.get_data() == b"abc"
    assert [chunk async for chunk in incoming.body] == [b"abc"]
    incoming.body.clear()
    assert await incoming.get_data() == b""
    assert [chunk async for chunk in incoming.body] == []


async def test_request_body_clear_leaves_a_refused_body_refused() -> None:
    incoming, _ = unit_request([(b"content-length", b"10")], limit=4)
    incoming.body.clear()
    for _ in range(2):
        with pytest.raises(RequestEntityTooLarge):
            await incoming.get_data(cache=False)
