"""HTTP against a real Hypercorn trio server on 127.0.0.1 (port 0), with httpx and raw sockets.

Every wait is bounded by ``trio.fail_after``; ordering comes from ``trio.Event``s that the test
and the handler share (both run in the same trio run), never from sleeps.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx
import pytest
import trio

from trioquart import TrioQuart, request

from ..conftest import wait_until_cancelled
from .conftest import RunningServer


async def _raw_exchange(server: RunningServer, *pieces: bytes) -> tuple[h11.Response, bytes]:
    """Send ``pieces`` over a new TCP connection and read one response with h11.

    The request need not be complete: the server may answer before it has read everything.
    """
    stream = await trio.open_tcp_stream(server.host, server.port)
    async with stream:
        for piece in pieces:
            await stream.send_all(piece)
        connection = h11.Connection(h11.CLIENT)
        # The request is written by hand; tell h11 so that it expects the response.
        connection.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
        response: h11.Response | None = None
        body = b""
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await stream.receive_some(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                return response, body


def _record_teardown(app: TrioQuart, record: list[str], path: str | None = None) -> trio.Event:
    """Record the error type that ``teardown_request`` sees (for ``path`` only, if given);
    the event is set once it has run."""
    finished = trio.Event()

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        if path is None or request.path == path:
            record.append(f"teardown {type(error).__name__}")
            finished.set()

    return finished


async def _send_and_leave(
    server: RunningServer, data: bytes, finished: trio.Event, entered: trio.Event | None = None
) -> None:
    """Send ``data`` on a new connection, wait for ``entered`` (if given), close the
    connection, and wait until the request's teardown has run."""
    stream = await trio.open_tcp_stream(server.host, server.port)
    await stream.send_all(data)
    if entered is not None:
        await entered.wait()
    await stream.aclose()
    await finished.wait()


async def test_http_e2e_routing_and_json(app: TrioQuart, server: RunningServer) -> None:
    @app.get("/items/<int:item_id>")
    async def item(item_id: int) -> Any:
        return {"id": item_id, "q": request.args.get("q"), "host": request.host}

    @app.post("/echo")
    async def echo() -> Any:
        return {"got": await request.get_json()}, 201

    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.get("/items/5", params={"q": "x"})
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {"id": 5, "q": "x", "host": f"127.0.0.1:{server.port}"}
            response = await http.post("/echo", json={"a": [1, 2]})
            assert (response.status_code, response.json()) == (201, {"got": {"a": [1, 2]}})


async def test_http_e2e_404_405_and_malformed_json(app: TrioQuart, server: RunningServer) -> None:
    @app.post("/json")
    async def parse() -> Any:
        return await request.get_json()  # pragma: no cover - the body is invalid

    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/nowhere")).status_code == 404
            response = await http.get("/json")
            assert response.status_code == 405
            assert set(response.headers["allow"].split(", ")) == {"OPTIONS", "POST"}
            response = await http.post(
                "/json", content=b"{oops", headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400
            assert "The request body is not valid JSON" in response.text


async def test_http_e2e_413_for_declared_length(app: TrioQuart, server: RunningServer) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/upload")
    async def upload() -> str:
        return str(len(await request.get_data()))

    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.post("/upload", content=b"x" * 10)).text == "10"
        # Headers only: the 413 must not wait for the 1000 declared bytes.
        response, body = await _raw_exchange(
            server,
            b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
        )
    assert response.status_code == 413
    assert b"limit is 10" in body


async def test_http_e2e_413_for_growing_chunked_body(app: TrioQuart, server: RunningServer) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/upload")
    async def upload() -> str:
        return str(len(await request.get_data()))  # pragma: no cover - refused

    with trio.fail_after(10):
        # Two 6-byte chunks and no final chunk: the body never ends.
        response, body = await _raw_exchange(
            server,
            b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"6\r\nxxxxxx\r\n",
            b"6\r\nxxxxxx\r\n",
        )
    assert response.status_code == 413
    assert b"limit of 10 bytes" in body


async def test_http_e2e_streaming_arrives_in_separate_chunks(
    app: TrioQuart, server: RunningServer
) -> None:
    """Chunk 1 reaches the client before the handler has produced chunk 2."""
    may_continue = trio.Event()
    produced: list[bytes] = []

    @app.get("/stream")
    async def stream() -> AsyncIterator[bytes]:
        async def generate() -> AsyncIterator[bytes]:
            produced.append(b"chunk 1")
            yield b"chunk 1"
            await may_continue.wait()
            produced.append(b"chunk 2")
            yield b"chunk 2"

        return generate()

    with trio.fail_after(10):
        async with (
            httpx.AsyncClient(base_url=server.url) as http,
            http.stream("GET", "/stream") as response,
        ):
            assert response.status_code == 200
            chunks = response.aiter_raw()
            assert await chunks.__anext__() == b"chunk 1"
            assert produced == [b"chunk 1"]
            may_continue.set()
            rest = b"".join([chunk async for chunk in chunks])
    assert rest == b"chunk 2"
    assert produced == [b"chunk 1", b"chunk 2"]


async def test_http_e2e_exception_is_500_and_next_request_succeeds(
    app: TrioQuart, server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/fail")
    async def fail() -> str:
        raise RuntimeError("handler failed")

    @app.get("/ok")
    async def ok() -> str:
        return "fine"

    with caplog.at_level(logging.ERROR, logger="trioquart"), trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.get("/fail")
            assert response.status_code == 500
            # The same keep-alive connection still works.
            response = await http.get("/ok")
            assert (response.status_code, response.text) == (200, "fine")
    assert "RuntimeError: handler failed" in caplog.text


async def test_http_e2e_non_latin1_header_bytes_arrive_unchanged(
    app: TrioQuart, server: RunningServer
) -> None:
    @app.get("/")
    async def header() -> Any:
        value = request.headers["X-Name"]
        return {"text": value, "bytes": list(value.encode("latin-1"))}

    with trio.fail_after(10):
        response, body = await _raw_exchange(
            server, b"GET / HTTP/1.1\r\nHost: x\r\nX-Name: Zo\xc3\xab \xe2\x98\x83\r\n\r\n"
        )
    assert response.status_code == 200
    data = httpx.Response(200, content=body).json()
    assert data == {
        "text": "Zo\xc3\xab \xe2\x98\x83",
        "bytes": list(b"Zo\xc3\xab \xe2\x98\x83"),
    }


async def test_http_e2e_client_disconnect_cancels_handler(
    app: TrioQuart, server: RunningServer
) -> None:
    entered = trio.Event()
    record: list[str] = []
    finished = _record_teardown(app, record)

    @app.get("/wait")
    async def wait() -> str:
        await wait_until_cancelled(record, entered)

    with trio.fail_after(10):
        await _send_and_leave(server, b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n", finished, entered)
    assert record == ["cancelled", "teardown Cancelled"]


async def test_http_e2e_client_leaving_mid_body_cancels_the_view_where_it_reads(
    app: TrioQuart, server: RunningServer
) -> None:
    """A client that leaves halfway through the body cancels the view where it reads it, and
    the next request is served."""
    record: list[str] = []
    finished = _record_teardown(app, record)

    @app.post("/echo")
    async def echo() -> Any:
        record.append("view started")
        try:
            return await request.get_data()
        except trio.Cancelled:
            record.append("cancelled")
            raise

    with trio.fail_after(10):
        request_head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
        await _send_and_leave(server, request_head + b"abc", finished)
        assert record == ["view started", "cancelled", "teardown Cancelled"]
        async with httpx.AsyncClient(base_url=server.url) as client:
            response = await client.post("/echo", content=b"0123456789")
    assert response.content == b"0123456789"


async def test_http_e2e_percent_encoded_path_matches_the_test_client(
    app: TrioQuart, server: RunningServer
) -> None:
    @app.get("/files/<path:name>")
    async def files(name: str) -> Any:
        return {"name": name, "path": request.path, "args": request.args.to_dict()}

    expected = {"name": "a b/café", "path": "/files/a b/café", "args": {"q": "☃"}}
    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.get("/files/a%20b/caf%C3%A9", params={"q": "☃"})
    assert response.json() == expected
    in_process = await app.test_client().get("/files/a b/café", query_string={"q": "☃"})
    assert await in_process.get_json() == expected


async def test_http_e2e_error_mid_stream_truncates_the_response(
    app: TrioQuart, server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The status line is gone when the generator fails: the client sees a truncated body (no
    final chunk), the error is logged, and the server keeps serving."""

    @app.get("/stream")
    async def stream() -> AsyncIterator[bytes]:
        async def generate() -> AsyncIterator[bytes]:
            yield b"partial"
            raise RuntimeError("generator failed")

        return generate()

    @app.get("/ok")
    async def ok() -> str:
        return "fine"

    with caplog.at_level(logging.ERROR, logger="trioquart"), trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
                await http.get("/stream")
            assert (await http.get("/ok")).text == "fine"
    assert "Error while streaming the response to GET /stream" in caplog.text
    assert "RuntimeError: generator failed" in caplog.text


async def test_http_e2e_413_then_the_next_request_succeeds(
    app: TrioQuart, server: RunningServer
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/upload")
    async def upload() -> str:
        return str(len(await request.get_data()))

    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.post("/upload", content=b"x" * 5000)).status_code == 413
            response = await http.post("/upload", content=b"x" * 5)
    assert (response.status_code, response.text) == (200, "5")


async def test_http_e2e_view_that_cannot_wait_then_a_disconnect_in_its_error_handler(
    app: TrioQuart, server: RunningServer
) -> None:
    """Views without ``await`` are answered before the request's cancel scope exists (several
    on one keep-alive connection); when one raises, its error handler waits inside the scope,
    and a client that leaves cancels it."""
    entered = trio.Event()
    record: list[str] = []
    finished = _record_teardown(app, record, "/fails")

    @app.get("/fast/<int:number>")
    async def fast(number: int) -> Any:
        return {"number": number}

    @app.get("/fails")
    async def fails() -> str:
        raise KeyError("missing")

    @app.errorhandler(KeyError)
    async def handle(error: KeyError) -> str:
        entered.set()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            record.append("error handler cancelled")
            raise

    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            for number in range(3):
                response = await http.get(f"/fast/{number}")
                assert response.json() == {"number": number}
        await _send_and_leave(server, b"GET /fails HTTP/1.1\r\nHost: x\r\n\r\n", finished, entered)
    assert record == ["error handler cancelled", "teardown Cancelled"]


async def test_http_e2e_body_slower_than_body_timeout_gets_408(
    app: TrioQuart, server: RunningServer
) -> None:
    """A client that trickles its body is answered 408 once BODY_TIMEOUT has passed, and the
    server is free for the next request."""
    app.config["BODY_TIMEOUT"] = 0.3

    @app.post("/upload")
    async def upload() -> str:
        return str(len(await request.get_data()))

    client = h11.Connection(h11.CLIENT)
    with trio.fail_after(10):
        stream = await trio.open_tcp_stream(server.host, server.port)
        async with stream:
            headers = [("Host", "x"), ("Content-Length", "100")]
            await stream.send_all(
                client.send(h11.Request(method="POST", target="/upload", headers=headers))
            )
            await stream.send_all(client.send(h11.Data(data=b"x")))
            event: Any = h11.NEED_DATA
            while event is h11.NEED_DATA:
                client.receive_data(await stream.receive_some())
                event = client.next_event()
            assert isinstance(event, h11.Response)
            assert event.status_code == 408
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.post("/upload", content=b"abc")
        assert response.text == "3"
