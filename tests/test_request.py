"""The request object: attributes from the scope, and the body read through trio."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import trio
import trio.testing
from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.sansio.utils import get_content_length

from trioquart import TrioQuart, request
from trioquart.asgi.request_inbox import ClientDisconnectedError, RequestInbox
from trioquart.testing import TestClient
from trioquart.testing.http import run_request
from trioquart.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from trioquart.wrappers.request import Body, Request

from .e2e.conftest import served

MULTIPART = (
    b'--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nReport\r\n'
    b'--B\r\nContent-Disposition: form-data; name="doc"; filename="r.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\ncontent\r\n--B--\r\n"
)


async def test_request_attributes(app: TrioQuart, client: TestClient) -> None:
    @app.get("/path/<name>")
    async def view(name: str) -> Any:
        return {
            "method": request.method,
            "path": request.path,
            "full_path": request.full_path,
            "url": request.url,
            "host": request.host,
            "scheme": request.scheme,
            "args": request.args.to_dict(flat=False),
            "header": request.headers["X-Custom"],
            "cookies": dict(request.cookies),
            "remote_addr": request.remote_addr,
            "view_args": request.view_args,
        }

    response = await client.get(
        "/path/abc",
        query_string={"a": ["1", "2"], "b": "x y"},
        headers={"X-Custom": "value", "Cookie": "session=s1; theme=dark"},
    )
    assert await response.get_json() == {
        "method": "GET",
        "path": "/path/abc",
        "full_path": "/path/abc?a=1&a=2&b=x+y",
        "url": "http://localhost/path/abc?a=1&a=2&b=x+y",
        "host": "localhost",
        "scheme": "http",
        "args": {"a": ["1", "2"], "b": ["x y"]},
        "header": "value",
        "cookies": {"session": "s1", "theme": "dark"},
        "remote_addr": "127.0.0.1",
        "view_args": {"name": "abc"},
    }


async def test_request_https_scheme_and_root_path(app: TrioQuart, client: TestClient) -> None:
    @app.get("/page")
    async def view() -> Any:
        return {"scheme": request.scheme, "url": request.url, "path": request.path}

    response = await client.get("/mount/page", scheme="https", root_path="/mount")
    assert await response.get_json() == {
        "scheme": "https",
        "url": "https://localhost/mount/page",
        "path": "/page",
    }


async def test_request_get_data(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        data = await request.get_data()
        again = await request.get_data()
        text = await request.get_data(as_text=True)
        return {"len": len(data), "same": data == again, "text": text}

    response = await client.post("/", data="héllo".encode())
    assert await response.get_json() == {"len": 6, "same": True, "text": "héllo"}


async def test_request_get_json(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        return {"got": await request.get_json(), "again": await request.json}

    response = await client.post("/", json={"a": [1, 2]})
    assert await response.get_json() == {"got": {"a": [1, 2]}, "again": {"a": [1, 2]}}


async def test_request_get_json_invalid_is_400(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        return await request.get_json()  # pragma: no cover - the body is invalid

    response = await client.post(
        "/", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "The request body is not valid JSON" in await response.get_data(as_text=True)


async def test_request_get_json_wrong_content_type_is_400(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/")
    async def view() -> Any:
        return await request.get_json()  # pragma: no cover - the content type is wrong

    response = await client.post("/", data=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "Expected a JSON body" in await response.get_data(as_text=True)


async def test_request_get_json_force_and_silent(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        forced = await request.get_json(force=True)
        return {"forced": forced}

    @app.post("/silent")
    async def silent() -> Any:
        return {"silent": await request.get_json(silent=True)}

    response = await client.post("/", data=b"[1]", headers={"Content-Type": "text/plain"})
    assert await response.get_json() == {"forced": [1]}
    response = await client.post(
        "/silent", data=b"{bad", headers={"Content-Type": "application/json"}
    )
    assert await response.get_json() == {"silent": None}


async def test_request_form_urlencoded(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        form = await request.form
        return {"form": form.to_dict(flat=False), "files": len(await request.files)}

    response = await client.post("/", form={"name": "Zoë", "tag": ["a", "b"]})
    assert await response.get_json() == {"form": {"name": ["Zoë"], "tag": ["a", "b"]}, "files": 0}


async def test_request_files_multipart(app: TrioQuart, client: TestClient) -> None:
    @app.post("/upload")
    async def upload() -> Any:
        files = await request.files
        form = await request.form
        upload = files["document"]
        return {
            "title": form["title"],
            "filename": upload.filename,
            "content_type": upload.content_type,
            "content": upload.read().decode(),
        }

    response = await client.post(
        "/upload",
        form={"title": "Report"},
        files={"document": (b"file content", "report.txt", "text/plain")},
    )
    assert await response.get_json() == {
        "title": "Report",
        "filename": "report.txt",
        "content_type": "text/plain",
        "content": "file content",
    }


async def test_request_multipart_without_boundary_is_400(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/")
    async def view() -> Any:
        return (await request.form).to_dict()  # pragma: no cover - the body is invalid

    response = await client.post("/", data=b"x", headers={"Content-Type": "multipart/form-data"})
    assert response.status_code == 400
    assert "no boundary" in await response.get_data(as_text=True)


async def test_request_body_streams_chunks_as_they_arrive(
    app: TrioQuart, client: TestClient
) -> None:
    """The handler sees each chunk before the client has sent the next one."""
    received: list[bytes] = []
    got_chunk = trio.Event()

    @app.post("/stream")
    async def stream() -> str:
        nonlocal got_chunk
        async for chunk in request.body:
            received.append(chunk)
            got_chunk.set()
        return f"{len(received)} chunks"

    with trio.fail_after(5):
        async with client.request("/stream", "POST") as connection:
            for piece in (b"one", b"two", b"three"):
                got_chunk = trio.Event()
                await connection.send(piece)
                await got_chunk.wait()
                assert received[-1] == piece
            await connection.send_complete()
            response = await connection.as_response()
    assert await response.get_data(as_text=True) == "3 chunks"
    assert received == [b"one", b"two", b"three"]


async def test_request_body_streamed_twice_is_runtime_error(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/")
    async def view() -> str:
        async for _ in request.body:
            pass
        try:
            async for _ in request.body:
                pass  # pragma: no cover - raises first
        except RuntimeError as error:
            return str(error)
        return "no error"  # pragma: no cover - raises first

    response = await client.post("/", data=b"abc")
    assert (await response.get_data(as_text=True)).startswith(
        "The request body was already consumed"
    )


async def test_request_declared_content_length_too_large_is_413_unread(
    app: TrioQuart, client: TestClient
) -> None:
    """The declared length is refused before a single body message is read."""
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/upload")
    async def upload() -> str:
        await request.get_data()
        return "read"  # pragma: no cover - refused

    with trio.fail_after(5):
        async with client.request(
            "/upload", "POST", headers={"Content-Length": "1000"}
        ) as connection:
            # Nothing of the body was sent: the 413 comes from the header alone.
            status, _ = await connection.wait_for_headers()
            response = await connection.as_response()
    assert status == 413
    assert response.status_code == 413
    assert "limit is 10" in await response.get_data(as_text=True)


async def test_request_chunked_body_too_large_is_413_without_reading_it_all(
    app: TrioQuart, client: TestClient
) -> None:
    """A body without Content-Length is refused as soon as it passes the limit."""
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/upload")
    async def upload() -> str:
        await request.get_data()
        return "read"  # pragma: no cover - refused

    with trio.fail_after(5):
        async with client.request("/upload", "POST") as connection:
            await connection.send(b"x" * 6)
            await connection.send(b"x" * 6)
            # The client never ends the body: the answer must not need the rest.
            status, _ = await connection.wait_for_headers()
            response = await connection.as_response()
    assert status == 413
    assert "limit of 10 bytes" in await response.get_data(as_text=True)


async def test_request_body_within_limit_is_read(app: TrioQuart, client: TestClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    async def view() -> str:
        return str(len(await request.get_data()))

    assert await (await client.post("/", data=b"x" * 10)).get_data(as_text=True) == "10"
    assert (await client.post("/", data=b"x" * 11)).status_code == 413


async def test_request_no_limit(app: TrioQuart, client: TestClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = None

    @app.post("/")
    async def view() -> str:
        return str(len(await request.get_data()))

    response = await client.post("/", data=b"x" * 100_000)
    assert await response.get_data(as_text=True) == "100000"


async def test_request_body_after_disconnect_raises(app: TrioQuart, client: TestClient) -> None:
    """A client that leaves mid-body cancels the handler reading it."""
    record: list[str] = []

    @app.post("/")
    async def view() -> str:
        try:
            await request.get_data()
        except trio.Cancelled:
            record.append("cancelled")
            raise
        return "done"  # pragma: no cover - cancelled

    with trio.fail_after(5):
        async with client.request("/", "POST") as connection:
            await connection.send(b"part")
            await trio.testing.wait_all_tasks_blocked()
            await connection.disconnect()
            await connection.app_finished.wait()
    assert record == ["cancelled"]


async def test_request_streamed_body_over_the_limit_is_413(
    app: TrioQuart, client: TestClient
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    seen: list[int] = []

    @app.post("/")
    async def view() -> str:
        async for chunk in request.body:
            seen.append(len(chunk))
        return "read"  # pragma: no cover - refused

    with trio.fail_after(5):
        async with client.request("/", "POST") as connection:
            for _ in range(3):
                await connection.send(b"x" * 4)
            response = await connection.as_response()
    assert response.status_code == 413
    assert seen == [4, 4]


@pytest.mark.parametrize(
    ("root_path", "path", "expected"),
    [
        ("/mount", "/mount/page", "/page"),
        ("/mount", "/mount", "/"),
        ("/mount/", "/mount/page", "/page"),
        ("/mount", "/mountain", None),  # not under the mount point: not this app's (404)
        ("", "/page", "/page"),
    ],
)
async def test_request_path_strips_root_path_at_a_segment_boundary(
    app: TrioQuart, root_path: str, path: str, expected: str | None
) -> None:
    @app.route("/<path:anything>")
    @app.route("/", endpoint="root")
    async def view(anything: str = "") -> str:
        return request.path

    async def mounted(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        assert scope["type"] == "http"
        await app({**scope, "root_path": root_path}, receive, send)

    response = await TestClient(mounted).get(path)
    if expected is None:
        assert response.status_code == 404
    else:
        assert await response.get_data(as_text=True) == expected


async def test_request_body_iterated_after_it_was_read(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def view() -> Any:
        whole = await request.body
        return {"whole": whole.decode(), "chunks": [chunk.decode() async for chunk in request.body]}

    response = await client.post("/", data=b"abc")
    assert await response.get_json() == {"whole": "abc", "chunks": ["abc"]}


@pytest.mark.parametrize(
    "body",
    [
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished',
        b"--B\r\nno headers end",
    ],
)
async def test_request_malformed_multipart_is_400(
    app: TrioQuart, client: TestClient, body: bytes
) -> None:
    @app.post("/")
    async def view() -> Any:
        return (await request.form).to_dict()  # pragma: no cover - the body is invalid

    response = await client.post(
        "/", data=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    assert response.status_code == 400
    assert "The multipart body" in await response.get_data(as_text=True)


async def test_request_headers_read_lazily_agree_with_headers(
    app: TrioQuart, client: TestClient
) -> None:
    """``host`` and ``content_length`` are read from the scope without building ``headers``,
    and from ``headers`` once a handler has built or replaced them (read again then)."""

    @app.post("/")
    async def view() -> Any:
        before = (request.host, request.content_length)
        request.headers = Headers({"Host": "other.example", "Transfer-Encoding": "chunked"})
        return [*before, request.host, request.content_length]

    response = await client.post("/", data=b"12345", headers={"Host": "example.com:8080"})
    assert await response.get_json() == ["example.com:8080", 5, "other.example", None]


async def test_request_header_names_are_matched_without_case(app: TrioQuart) -> None:
    @app.post("/")
    async def view() -> Any:
        return [request.host, request.content_length, request.headers["X-Mixed"]]

    scope: Any = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"HOST", b"upper.example"), (b"Content-Length", b"0"), (b"x-mixed", b"v")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }
    response = await run_request(app, scope, b"")
    assert await response.get_json() == ["upper.example", 0, "v"]


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-length", b"12")],
        [(b"Content-Length", b" 12\t")],
        [(b"content-length", b"-3")],
        [(b"content-length", b"twelve")],
        [(b"content-length", b"1_2")],
        [(b"content-length", b"7"), (b"content-length", b"9")],
        [(b"content-length", b"12"), (b"transfer-encoding", b"gzip, chunked")],
        [(b"transfer-encoding", b"gzip"), (b"content-length", b"12")],
        [(b"x-other", b"1")],
        [],
    ],
)
def test_request_content_length_agrees_with_werkzeug(headers: list[tuple[bytes, bytes]]) -> None:
    """The one-pass reading of ``Content-Length`` gives what Werkzeug's parser gives, odd
    values included."""

    async def receive() -> Any:
        raise AssertionError("not read")  # pragma: no cover

    scope: Any = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    first = {name.lower(): value.decode("latin-1") for name, value in reversed(headers)}
    expected = get_content_length(first.get(b"content-length"), first.get(b"transfer-encoding"))
    assert Request(scope, RequestInbox(receive)).content_length == expected


# --- reading the body from several tasks ------------------------------------------------------


def body_message(data: bytes, *, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": data, "more_body": more}


def unit_request(
    headers: list[tuple[bytes, bytes]] | None = None, limit: int | None = None
) -> tuple[Request, trio.MemorySendChannel[dict[str, Any]]]:
    """A POST request outside any app, and the channel that feeds its ``receive``."""
    send_channel, receive_channel = trio.open_memory_channel[dict[str, Any]](100)
    scope: Any = {"type": "http", "method": "POST", "path": "/", "headers": headers or []}
    return Request(scope, RequestInbox(receive_channel.receive), limit), send_channel


def test_request_waiting_methods_are_coroutine_functions() -> None:
    for method in (Request.get_data, Request.get_json, Body.read):
        assert inspect.iscoroutinefunction(method), method.__qualname__


async def test_request_get_data_from_two_tasks_of_one_nursery(
    app: TrioQuart, client: TestClient
) -> None:
    """Both tasks wait while the body arrives; one read, the same bytes for both."""
    results: list[bytes] = []

    @app.post("/")
    async def view() -> str:
        async def read() -> None:
            results.append(await request.get_data())

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read)
            nursery.start_soon(read)
        return "read twice"

    with trio.fail_after(5):
        async with client.request("/", "POST") as connection:
            await trio.testing.wait_all_tasks_blocked()
            await connection.send(b"ab")
            await trio.testing.wait_all_tasks_blocked()
            await connection.send(b"cd")
            await connection.send_complete()
            response = await connection.as_response()
    assert await response.get_data(as_text=True) == "read twice"
    assert results == [b"abcd", b"abcd"]
    assert results[0] is results[1]


@pytest.mark.parametrize(
    ("content_type", "data", "read"),
    [
        (b"text/plain", b"abc", lambda: request.get_data()),
        (b"text/plain", b"abc", lambda: request.body),
        (b"text/plain", b"abc", lambda: request.get_data(as_text=True)),  # decoded by each
        (b"application/json", b'{"a": [1]}', lambda: request.get_json()),
        (b"application/x-www-form-urlencoded", b"a=1&b=2", lambda: request.form),
        (b"multipart/form-data; boundary=B", MULTIPART, lambda: request.form),
        (b"multipart/form-data; boundary=B", MULTIPART, lambda: request.files),
    ],
    ids=["get_data", "body", "as_text", "json", "urlencoded", "multipart form", "files"],
)
async def test_request_body_awaited_by_three_tasks_at_once(
    app: TrioQuart, client: TestClient, content_type: bytes, data: bytes, read: Any
) -> None:
    """Every waiter gets the one result, complete when it gets it (no empty form for the
    tasks that came second), and the same object (bytes, JSON, forms)."""
    results: list[Any] = []
    sizes: list[int] = []

    @app.post("/")
    async def view() -> str:
        async def read_one() -> None:
            result = await read()
            sizes.append(len(result))
            results.append(result)

        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(read_one)
        return "ok"

    headers = {"Content-Type": content_type.decode()}
    with trio.fail_after(5):
        async with client.request("/", "POST", headers=headers) as connection:
            await trio.testing.wait_all_tasks_blocked()
            await connection.send(data)
            await connection.send_complete()
            response = await connection.as_response()
    assert await response.get_data(as_text=True) == "ok"
    assert sizes[0] > 0
    assert sizes == [sizes[0]] * 3
    assert results == [results[0]] * 3
    if not isinstance(results[0], str):
        assert results[0] is results[1] is results[2]


async def test_request_form_and_files_at_once_see_every_field(
    app: TrioQuart, client: TestClient
) -> None:
    counts: dict[str, int] = {}

    @app.post("/")
    async def view() -> str:
        async def count(name: str) -> None:
            counts[name] = len(await getattr(request, name))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(count, "form")
            nursery.start_soon(count, "files")
        return "ok"

    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    with trio.fail_after(5):
        async with client.request("/", "POST", headers=headers) as connection:
            await trio.testing.wait_all_tasks_blocked()
            await connection.send(MULTIPART)
            await connection.send_complete()
            response = await connection.as_response()
    assert await response.get_data(as_text=True) == "ok"
    assert counts == {"form": 1, "files": 1}


async def test_request_cancelled_reader_hands_the_read_over() -> None:
    """The task reading for the others is cancelled: a waiter takes the read over and gets the
    whole body, the chunks the cancelled reader had taken included."""
    incoming, body = unit_request()
    results: list[bytes] = []
    first_scope = trio.CancelScope()

    async def first() -> None:
        with first_scope:
            await incoming.get_data()
            raise AssertionError("the first reader was not cancelled")  # pragma: no cover

    async def second() -> None:
        results.append(await incoming.get_data())

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(first)
            await trio.testing.wait_all_tasks_blocked()
            await body.send(body_message(b"ab", more=True))
            await trio.testing.wait_all_tasks_blocked()  # first has taken "ab"
            nursery.start_soon(second)
            await trio.testing.wait_all_tasks_blocked()  # second waits for first's read
            first_scope.cancel()
            await trio.testing.wait_all_tasks_blocked()  # second reads now
            assert first_scope.cancelled_caught
            assert not results
            await body.send(body_message(b"cd", more=False))
    assert results == [b"abcd"]
    assert await incoming.get_data() == b"abcd"


async def test_request_cancelled_lone_reader_leaves_the_body_to_the_next_read() -> None:
    incoming, body = unit_request()
    await body.send(body_message(b"ab", more=True))
    with trio.move_on_after(0) as scope:
        await incoming.get_data()
    assert scope.cancelled_caught
    await body.send(body_message(b"cd", more=False))
    with trio.fail_after(5):
        assert await incoming.get_data() == b"abcd"


@pytest.mark.parametrize(
    ("limit", "last", "expected"),
    [
        (3, body_message(b"cd", more=False), RequestEntityTooLarge),
        (None, {"type": "http.disconnect"}, ClientDisconnectedError),
    ],
    ids=["too large", "client left"],
)
async def test_request_failed_read_is_shared_and_raised_again(
    limit: int | None, last: dict[str, Any], expected: type[Exception]
) -> None:
    """Every waiter gets the reader's error, and every later read raises it again."""
    incoming, body = unit_request(limit=limit)
    errors: list[BaseException] = []

    async def read() -> None:
        try:
            await incoming.get_data()
        except Exception as error:
            errors.append(error)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read)
            nursery.start_soon(read)
            await trio.testing.wait_all_tasks_blocked()
            await body.send(body_message(b"ab", more=True))
            await body.send(last)
        await read()
    assert [type(error) for error in errors] == [expected] * 3
    assert errors[0] is errors[1] is errors[2]


async def test_request_streaming_during_a_whole_body_read_is_runtime_error() -> None:
    incoming, body = unit_request()
    message = ""

    async def stream() -> None:
        nonlocal message
        try:
            async for _ in incoming.body:
                pass  # pragma: no cover - refused
        except RuntimeError as error:
            message = str(error)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(incoming.get_data)
            await trio.testing.wait_all_tasks_blocked()
            await stream()
            await body.send(body_message(b"abc", more=False))
    assert message == (
        "The request body is being read whole by another task; await request.get_data() "
        "to share that read instead of iterating over request.body."
    )


async def test_request_whole_body_read_during_streaming_is_runtime_error() -> None:
    incoming, body = unit_request()
    await body.send(body_message(b"ab", more=True))
    chunks = aiter(incoming.body)
    assert await anext(chunks) == b"ab"
    with pytest.raises(RuntimeError) as info:
        await incoming.get_data()
    assert str(info.value) == (
        "The request body was already consumed as a stream (by 'async for chunk in "
        "request.body', or to parse a multipart form larger than STREAM_FORMS_ABOVE); read "
        "it with 'await request.get_data()' first if you need it whole."
    )
    await body.send(body_message(b"", more=False))
    with pytest.raises(StopAsyncIteration):
        await anext(chunks)


async def read_the_form_twice() -> list[int | None]:
    """A view: the number of form fields, or the 413 status, on each of two reads."""
    outcomes: list[int | None] = []
    for _ in range(2):
        try:
            outcomes.append(len(await request.form))
        except RequestEntityTooLarge as error:
            outcomes.append(error.code)
    return outcomes


async def test_request_form_over_the_limit_is_413_every_time(
    app: TrioQuart, client: TestClient
) -> None:
    """A form refused for its size is refused again, not read back as an empty form."""
    app.config["MAX_CONTENT_LENGTH"] = 10

    app.post("/")(read_the_form_twice)

    response = await client.post("/", form={"name": "x" * 20})
    assert await response.get_json() == [413, 413]


async def test_request_malformed_multipart_is_400_every_time(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/")
    async def view() -> Any:
        outcomes: list[int | str] = []
        for read in (lambda: request.form, lambda: request.files, lambda: request.form):
            try:
                outcomes.append(len(await read()))
            except BadRequest as error:
                outcomes.append(error.description)
        return outcomes

    body = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished'
    response = await client.post(
        "/", data=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    assert (
        await response.get_json()
        == ["The multipart body is malformed: Invalid form-data cannot parse beyond State.DATA"] * 3
    )


@pytest.mark.parametrize(
    "read",
    [
        lambda incoming: incoming.get_data(),
        lambda incoming: incoming.body,
        lambda incoming: incoming.get_json(force=True),
        lambda incoming: incoming.get_json(),
        lambda incoming: incoming.form,
        lambda incoming: incoming.files,
    ],
    ids=["get_data", "body", "json", "json wrong type", "form", "files"],
)
async def test_request_read_of_a_body_already_read_is_a_checkpoint(read: Any) -> None:
    incoming, body = unit_request([(b"content-type", b"text/plain")])
    await body.send(body_message(b"[1]", more=False))
    with contextlib.suppress(BadRequest):
        await read(incoming)
    with trio.CancelScope() as scope:
        scope.cancel()
        with contextlib.suppress(BadRequest):
            await read(incoming)
        raise AssertionError("the read did not checkpoint")  # pragma: no cover
    assert scope.cancelled_caught


async def test_request_e2e_form_from_two_tasks_and_413_twice(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    """Under Hypercorn: two tasks await one form sent in two pieces, and a form refused for
    its size is refused again."""
    app.config["MAX_CONTENT_LENGTH"] = 100
    both_waiting = trio.Event()

    @app.post("/form")
    async def form() -> Any:
        sizes: list[int] = []

        async def read() -> None:
            sizes.append(len(await request.form))

        async with trio.open_nursery() as readers:
            readers.start_soon(read)
            readers.start_soon(read)
            await trio.testing.wait_all_tasks_blocked()
            both_waiting.set()
        return sizes

    app.post("/limited")(read_the_form_twice)

    async def pieces() -> AsyncIterator[bytes]:
        yield b"a=1&"
        await both_waiting.wait()
        yield b"b=2"

    async with served(nursery, app) as server:
        with trio.fail_after(10):
            async with httpx.AsyncClient(base_url=server.url) as http:
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                response = await http.post("/form", content=pieces(), headers=headers)
                assert response.json() == [2, 2]
                response = await http.post("/limited", data={"name": "x" * 200})
                assert response.json() == [413, 413]


async def test_request_streaming_after_a_cancelled_read_starts_at_the_first_chunk() -> None:
    incoming, body = unit_request()
    await body.send(body_message(b"ab", more=True))
    reader = trio.CancelScope()

    async def read() -> None:
        with reader:
            await incoming.get_data()

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read)
            await trio.testing.wait_all_tasks_blocked()  # "ab" taken, waiting for more
            reader.cancel()
        await body.send(body_message(b"cd", more=False))
        assert [chunk async for chunk in incoming.body] == [b"ab", b"cd"]


@pytest.mark.parametrize("reading", ["whole", "streamed"])
async def test_request_body_slower_than_body_timeout_is_408(
    app: TrioQuart, autojump_clock: trio.testing.MockClock, reading: str
) -> None:
    """A client trickling its body cannot hold the request past BODY_TIMEOUT."""
    app.config["BODY_TIMEOUT"] = 5.0

    @app.post("/")
    async def upload() -> str:
        if reading == "whole":
            return str(len(await request.get_data()))
        return str(sum([len(chunk) async for chunk in request.body]))

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


async def test_request_body_within_body_timeout_is_read(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["BODY_TIMEOUT"] = 5.0

    @app.post("/")
    async def upload() -> str:
        return str(len(await request.get_data()))

    with trio.fail_after(60):
        async with app.test_client().request("/", "POST") as connection:
            for _ in range(4):
                await connection.send(b"x")
                await trio.sleep(1)
            await connection.send_complete()
            response = await connection.as_response()
    assert await response.get_data(as_text=True) == "4"
