"""Return values and responses: bodies, tuples, helpers, cookies, conversion errors."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
from markupsafe import Markup
from werkzeug.datastructures import Headers
from werkzeug.exceptions import Conflict

from trioquart import (
    Response,
    TrioQuart,
    abort,
    jsonify,
    make_response,
    redirect,
    request,
    stream_with_context,
)
from trioquart.testing import TestClient


async def test_response_str_is_html(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> str:
        return "<p>héllo</p>"

    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert await response.get_data(as_text=True) == "<p>héllo</p>"
    assert response.headers["Content-Length"] == str(len("<p>héllo</p>".encode()))


async def test_response_bytes(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> bytes:
        return b"\x00\x01"

    assert await (await client.get("/")).get_data() == b"\x00\x01"


@pytest.mark.parametrize("value", [{"a": 1, "b": [True, None]}, [1, "two", 3.0]])
async def test_response_dict_and_list_are_json(
    app: TrioQuart, client: TestClient, value: Any
) -> None:
    @app.get("/")
    async def view() -> Any:
        return value

    response = await client.get("/")
    assert response.headers["Content-Type"] == "application/json"
    assert await response.get_json() == value


async def test_response_object(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> Response:
        return Response("made", status=201, headers={"X-A": "1"}, mimetype="text/plain")

    response = await client.get("/")
    assert response.status_code == 201
    assert response.headers["X-A"] == "1"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert await response.get_data(as_text=True) == "made"


async def test_response_async_iterator_is_streamed(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> AsyncIterator[str]:
        async def generate() -> AsyncIterator[str]:
            yield "a"
            yield "b"
            yield f"c{request.path}"

        return generate()

    with trio.fail_after(5):
        async with client.request("/") as connection:
            chunks = [await connection.receive_chunk() for _ in range(3)]
            response = await connection.as_response()
    assert chunks == [b"a", b"b", b"c/"]
    assert "Content-Length" not in response.headers
    assert await response.get_data() == b"abc/"


@pytest.mark.parametrize(
    ("rv", "status", "headers"),
    [
        (("created", 201), 201, {}),
        (("with headers", {"X-One": "1"}), 200, {"X-One": "1"}),
        (("with list headers", [("X-One", "1")]), 200, {"X-One": "1"}),
        (("all three", 202, {"X-Two": "2"}), 202, {"X-Two": "2"}),
        (({"json": True}, 400), 400, {"Content-Type": "application/json"}),
        ((Response("r"), 418, {"X-R": "r"}), 418, {"X-R": "r"}),
    ],
)
async def test_response_tuples(
    app: TrioQuart, client: TestClient, rv: Any, status: int, headers: dict[str, str]
) -> None:
    @app.get("/")
    async def view() -> Any:
        return rv

    response = await client.get("/")
    assert response.status_code == status
    for name, value in headers.items():
        assert response.headers[name] == value


async def test_response_make_response(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> Response:
        response = await make_response("body", 203, {"X-A": "a"})
        response.headers["X-B"] = "b"
        return response

    @app.get("/empty")
    async def empty() -> Response:
        return await make_response()

    @app.get("/tuple")
    async def one_tuple() -> Response:
        return await make_response(("t", 404))

    response = await client.get("/")
    assert response.status_code == 203
    assert (response.headers["X-A"], response.headers["X-B"]) == ("a", "b")
    assert await response.get_data(as_text=True) == "body"
    empty_response = await client.get("/empty")
    assert empty_response.status_code == 200
    assert await empty_response.get_data() == b""
    assert (await client.get("/tuple")).status_code == 404


async def test_response_jsonify(app: TrioQuart, client: TestClient) -> None:
    @app.get("/kw")
    async def kw() -> Response:
        return jsonify(a=1)

    @app.get("/one")
    async def one() -> Response:
        return jsonify([1, 2])

    @app.get("/many")
    async def many() -> Response:
        return jsonify(1, 2, 3)

    kw_response = await client.get("/kw")
    assert kw_response.headers["Content-Type"] == "application/json"
    assert await kw_response.get_json() == {"a": 1}
    assert await (await client.get("/one")).get_json() == [1, 2]
    assert await (await client.get("/many")).get_json() == [1, 2, 3]
    with pytest.raises(TypeError, match=r"^jsonify\(\) takes positional arguments or keyword"):
        jsonify(1, a=2)


async def test_response_redirect(app: TrioQuart, client: TestClient) -> None:
    @app.get("/old")
    async def old() -> Response:
        return redirect("/new")

    @app.get("/moved")
    async def moved() -> Response:
        return redirect("/new", 301)

    response = await client.get("/old")
    assert response.status_code == 302
    assert response.headers["Location"] == "/new"
    assert "/new" in await response.get_data(as_text=True)
    assert (await client.get("/moved")).status_code == 301


async def test_response_abort(app: TrioQuart, client: TestClient) -> None:
    @app.get("/forbidden")
    async def forbidden() -> str:
        abort(403)

    @app.get("/described")
    async def described() -> str:
        abort(404, "No such thing here")

    @app.get("/custom")
    async def custom() -> str:
        abort(Response("teapot body", status=418, headers={"X-Tea": "yes"}))

    assert (await client.get("/forbidden")).status_code == 403
    response = await client.get("/described")
    assert response.status_code == 404
    assert "No such thing here" in await response.get_data(as_text=True)
    response = await client.get("/custom")
    assert response.status_code == 418
    assert response.headers["X-Tea"] == "yes"
    assert await response.get_data(as_text=True) == "teapot body"


async def test_response_cookies_are_kept_by_the_client(app: TrioQuart, client: TestClient) -> None:
    @app.get("/set")
    async def set_cookie() -> Response:
        response = Response("set")
        response.set_cookie("flavour", "oat")
        return response

    @app.get("/read")
    async def read_cookie() -> str:
        return request.cookies.get("flavour", "none")

    @app.get("/delete")
    async def delete_cookie() -> Response:
        response = Response("deleted")
        response.delete_cookie("flavour")
        return response

    set_response = await client.get("/set")
    assert "flavour=oat" in set_response.headers["Set-Cookie"]
    assert await (await client.get("/read")).get_data(as_text=True) == "oat"
    await client.get("/delete")
    assert await (await client.get("/read")).get_data(as_text=True) == "none"


@pytest.mark.parametrize(
    ("rv", "fragment"), [(None, "returned NoneType"), (42, "returned int"), (("a",), "1 items")]
)
async def test_response_unsupported_return_value_is_logged_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture, rv: Any, fragment: str
) -> None:
    @app.get("/")
    async def broken_view() -> Any:
        return rv

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, TypeError)
    assert "'broken_view'" in str(error)
    assert fragment in str(error)


async def test_response_non_integer_status_is_logged_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/")
    async def bad_status() -> Any:
        return "body", "200"

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 500
    assert any("'bad_status'" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_response_non_latin1_header_is_logged_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/")
    async def view() -> Any:
        return "body", {"X-Name": "Zoë ☃"}

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 500
    assert "X-Name" not in response.headers
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == "Cannot send the response to GET /"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == (
        "The response header 'X-Name' cannot be sent: 'Zoë ☃' is not latin-1; "
        "percent-encode it or use RFC 8187 encoding"
    )


async def test_response_after_request_can_read_a_streamed_body(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def view() -> Any:
        async def generate() -> AsyncIterator[bytes]:
            yield b"x"
            yield b"y"

        return generate()

    @app.after_request
    async def add_length(response: Response) -> Response:
        response.headers["X-Len"] = str(len(await response.get_data()))
        return response

    response = await client.get("/")
    assert response.headers["X-Len"] == "2"
    assert await response.get_data() == b"xy"


async def test_response_tuple_headers_keep_repeated_names(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def view() -> Any:
        return "x", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Type", "text/csv")]

    response = await client.get("/")
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers.getlist("Content-Type") == ["text/csv"]
    assert client.cookies == {"a": "1", "b": "2"}


async def test_response_json_encodes_common_types(app: TrioQuart, client: TestClient) -> None:
    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    @app.get("/")
    async def view() -> Any:
        return {
            "when": datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC),
            "day": datetime.date(2026, 11, 25),
            "id": uuid.UUID(int=1),
            "price": decimal.Decimal("1.50"),
            "point": Point(1, 2),
            "text": "Zoë",
        }

    response = await client.get("/")
    assert await response.get_json() == {
        "when": "Wed, 25 Nov 2026 12:00:00 GMT",
        "day": "Wed, 25 Nov 2026 00:00:00 GMT",
        "id": "00000000-0000-0000-0000-000000000001",
        "price": "1.50",
        "point": {"x": 1, "y": 2},
        "text": "Zoë",
    }


async def test_response_json_unknown_type_is_logged_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/")
    async def view() -> Any:
        return {"value": object()}

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 500
    assert "Object of type object is not JSON serializable" in caplog.text


async def test_response_json_sort_keys(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> Any:
        return {"b": 1, "a": 2}

    assert await (await client.get("/")).get_data() == b'{"a":2,"b":1}\n'


async def test_response_returned_http_exception(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> Any:
        return Conflict("Already there")

    response = await client.get("/")
    assert response.status_code == 409
    assert "Already there" in await response.get_data(as_text=True)


async def test_response_stream_with_context(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> Any:
        @stream_with_context
        async def generate() -> AsyncIterator[str]:
            yield request.args["name"]
            yield "!"

        return generate()

    response = await client.get("/", query_string={"name": "ada"})
    assert await response.get_data(as_text=True) == "ada!"


def test_response_headers_are_built_on_first_use_with_the_same_values() -> None:
    response = Response("héllo")
    assert response.asgi_headers() == [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", b"6"),
    ]
    assert list(response.headers.items()) == [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "6"),
    ]
    response.headers["X-Extra"] = "1"
    response.set_data(b"abc")
    assert response.asgi_headers() == [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", b"3"),
        (b"x-extra", b"1"),
    ]


def test_response_set_data_before_headers_are_built() -> None:
    response = Response(mimetype="application/json")
    response.set_data(b"[]")
    assert response.asgi_headers() == [
        (b"content-type", b"application/json"),
        (b"content-length", b"2"),
    ]

    async def chunks() -> AsyncIterator[bytes]:
        yield b"x"

    response.set_data(chunks())
    assert response.asgi_headers() == [(b"content-type", b"application/json")]
    assert response.is_streamed


def test_response_without_a_default_mimetype_has_no_content_type() -> None:
    class Bare(Response):
        default_mimetype = None

    assert Bare(b"x").asgi_headers() == [(b"content-length", b"1")]
    assert Bare(b"x", mimetype="text/plain").headers["Content-Type"] == (
        "text/plain; charset=utf-8"
    )


def test_response_non_latin1_content_type_is_reported_when_sent() -> None:
    response = Response(b"x", content_type="text/plain; name=☃")
    assert response.headers["Content-Type"] == "text/plain; name=☃"
    with pytest.raises(ValueError, match=r"^The response header 'Content-Type' cannot be sent"):
        response.asgi_headers()


def test_response_non_latin1_mimetype_is_reported_when_sent() -> None:
    response = Response(b"x", mimetype="text/☃")
    assert response.headers["Content-Type"] == "text/☃; charset=utf-8"
    with pytest.raises(ValueError, match=r"^The response header 'Content-Type' cannot be sent"):
        response.asgi_headers()


def test_response_headers_can_be_replaced() -> None:
    response = Response(b"x", status=201)
    response.headers = Headers({"X-Only": "1"})
    assert response.asgi_headers() == [(b"x-only", b"1")]
    assert response.status_code == 201


async def test_response_streamed_body_after_headers_were_built_drops_the_length() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"

    response = Response(b"x")
    assert response.headers["Content-Length"] == "1"
    response.set_data(chunks())
    assert "Content-Length" not in response.headers
    assert await response.get_data() == b"ab"
    assert response.headers["Content-Length"] == "2"
    assert repr(response) == "<Response '200 OK'>"


@pytest.mark.parametrize(
    ("value", "body"),
    [
        (bytearray(b"ab"), b"ab"),
        (memoryview(b"ab"), b"ab"),
        (Markup("<b>"), b"<b>"),
        (collections.OrderedDict(a=1), b'{"a":1}\n'),
    ],
)
async def test_response_subclasses_and_buffers_are_bodies(
    app: TrioQuart, client: TestClient, value: Any, body: bytes
) -> None:
    @app.get("/")
    async def view() -> Any:
        return value

    assert await (await client.get("/")).get_data() == body


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [({}, "200 OK"), ({"status": 200}, "200 OK"), ({"status": 404}, "404 NOT FOUND")],
)
def test_response_status_line_agrees_with_the_code(kwargs: dict[str, Any], status: str) -> None:
    """The default 200 skips Werkzeug's status parsing; code and line must still agree."""
    response = Response(b"x", **kwargs)
    assert response.status == status
    assert response.status_code == int(status.split()[0])


def test_response_subclass_default_status_is_used() -> None:
    class Created(Response):
        default_status = 201

    response = Created(b"x")
    assert (response.status_code, response.status) == (201, "201 CREATED")


async def test_head_closes_a_streamed_body_it_does_not_read(
    app: TrioQuart, client: TestClient
) -> None:
    closed: list[str] = []

    class Stream:
        """A streamed body holding something that must be let go."""

        def __aiter__(self) -> Stream:
            return self

        async def __anext__(self) -> bytes:
            raise StopAsyncIteration

        async def aclose(self) -> None:
            closed.append("closed")

    @app.get("/")
    async def view() -> Response:
        return Response(Stream())

    await client.head("/")
    assert closed == ["closed"]
