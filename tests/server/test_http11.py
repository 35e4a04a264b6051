"""HTTP/1.1 through a real server on 127.0.0.1: requests, responses, keep-alive and errors."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import struct
from pathlib import Path

import httpx
import pytest
import trio
import trio.lowlevel
import trio.testing

from trioquart.server import ServerConfig, http_parser
from trioquart.server.http11 import ClientDisconnectedError
from trioquart.server.http_parser import new_parser
from trioquart.server.types import Message, Receive, Scope, Send

from .conftest import (
    RawClient,
    get,
    hello,
    memory_connection,
    read_body,
    respond,
    served,
    server_context,
)


async def test_hello_world(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, httpx.AsyncClient() as client:
        response = await client.get(running.urls[0] + "/")
    assert response.status_code == 200
    assert response.text == "hello"
    assert response.headers["content-length"] == "5"
    assert response.headers["server"] == "trioquart"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", response.headers["date"])


async def test_scope(nursery: trio.Nursery) -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scopes.append(scope)
            await respond(send)

    async with (
        served(nursery, app, root_path="/mounted") as running,
        RawClient.connect(running) as client,
    ):
        await client.send(get("/caf%C3%A9/a%2Fb?x=1&y=%20", "X-Thing: One"))
        assert (await client.response()).status == 200
        port = client.stream.socket.getsockname()[1]  # type: ignore[attr-defined]
    [scope] = scopes
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/café/a/b"
    assert scope["raw_path"] == b"/caf%C3%A9/a%2Fb"
    assert scope["query_string"] == b"x=1&y=%20"
    assert scope["root_path"] == "/mounted"
    assert scope["headers"] == [(b"host", b"test"), (b"x-thing", b"One")]
    assert scope["client"] == ("127.0.0.1", port)
    assert scope["server"] == ("127.0.0.1", running.port)
    assert scope["extensions"] == {}
    assert "state" not in scope  # the app has no lifespan


async def test_keep_alive(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        for _ in range(2):
            await client.send(get())
            response = await client.response()
            assert (response.status, response.body) == (200, b"hello")
            assert response.header("connection") is None


async def test_pipelined_requests_answered_in_order(nursery: trio.Nursery) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            body = await read_body(receive)
            await respond(send, body=scope["path"].encode() + b":" + body)

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(
            get("/1")
            + b"POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
            + get("/3", "Connection: close")
        )
        bodies = [(await client.response()).body for _ in range(3)]
        assert bodies == [b"/1:", b"/2:abc", b"/3:"]
        assert await client.closed()


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Echoes the request body, with the number of ``http.request`` messages it came in."""
    if scope["type"] == "http":
        messages: list[Message] = []
        while not messages or messages[-1].get("more_body", False):
            messages.append(await receive())
        body = b"".join(message.get("body", b"") for message in messages)
        headers = [(b"x-messages", str(len(messages)).encode())]
        await respond(send, body=body, headers=headers)


async def test_post_with_content_length(nursery: trio.Nursery) -> None:
    async with served(nursery, echo) as running, httpx.AsyncClient() as client:
        response = await client.post(running.urls[0], content=b"x" * 100_000)
    assert response.content == b"x" * 100_000


async def test_small_body_in_one_message(nursery: trio.Nursery) -> None:
    async with served(nursery, echo) as running, RawClient.connect(running) as client:
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
        response = await client.response()
    assert (response.body, response.header("x-messages")) == (b"hi", "1")


async def test_post_chunked(nursery: trio.Nursery) -> None:
    async with served(nursery, echo) as running, RawClient.connect(running) as client:
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        await client.send(b"3\r\nabc\r\n")
        await trio.testing.wait_all_tasks_blocked()
        await client.send(b"2\r\nde\r\n0\r\n\r\n")
        response = await client.response()
    assert response.body == b"abcde"
    assert response.header("x-messages") == "2"


async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
    """Streams three parts; with ``?length`` gives a ``Content-Length``."""
    if scope["type"] == "http":
        headers = [(b"content-length", b"9")] if scope["query_string"] == b"length" else []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for part in (b"one", b"two", b"six"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body"})


async def test_streaming_response_is_chunked(nursery: trio.Nursery) -> None:
    async with served(nursery, streaming) as running, RawClient.connect(running) as client:
        await client.send(get())
        response = await client.response()
        assert response.chunked
        assert response.body == b"onetwosix"
        assert client.chunks == [b"one", b"two", b"six", b""]
        await client.send(get("/?length"))
        response = await client.response()
        assert not response.chunked
        assert (response.header("content-length"), response.body) == ("9", b"onetwosix")


async def test_streaming_to_http_10_closes(nursery: trio.Nursery) -> None:
    async with served(nursery, streaming) as running, RawClient.connect(running) as client:
        await client.send(get(version="1.0"))
        response = await client.response()
        assert response.body == b"onetwosix"
        assert client.eof


async def test_head_has_no_body(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(get(method="HEAD"))
        response = await client.response(head=True)
        assert response.header("content-length") == "5"
        await client.send(get())
        assert (await client.response()).body == b"hello"


async def test_head_of_a_streamed_response(nursery: trio.Nursery) -> None:
    async with served(nursery, streaming) as running, RawClient.connect(running) as client:
        await client.send(get(method="HEAD"))
        await client.response(head=True)
        await client.send(get(method="HEAD", version="1.0"))
        await client.response(head=True)
        assert await client.closed()


@pytest.mark.parametrize("status", [204, 304])
async def test_no_body_statuses(nursery: trio.Nursery, status: int) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await respond(send, status, b"ignored")

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get() + get())
        for _ in range(2):
            response = await client.response()
            assert response.status == status
            assert response.header("content-length") is None
        assert client.buffer == b""


async def test_unknown_status_has_no_reason(nursery: trio.Nursery) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await respond(send, 599)

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get())
        assert (await client.response()).status == 599


async def test_expect_100_continue_when_the_app_reads(nursery: trio.Nursery) -> None:
    events: list[str] = []
    gate = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await gate.wait()
            events.append("app reads")
            await respond(send, body=await read_body(receive))

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        async with trio.open_nursery() as inner:

            async def read_continue() -> None:
                assert (await client.response()).status == 100
                events.append("100")
                await client.send(b"body")

            inner.start_soon(read_continue)
            await trio.testing.wait_all_tasks_blocked()
            events.append("gate opens")
            gate.set()
        assert (await client.response()).body == b"body"
    assert events == ["gate opens", "app reads", "100"]


async def test_no_100_continue_once_the_response_has_started(nursery: trio.Nursery) -> None:
    """An app that answers before it reads the body: a 100 Continue then would land inside
    the response (the client sends its body once it sees the response instead)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"a", "more_body": True})
            body = (await receive())["body"]
            await send({"type": "http.response.body", "body": body})

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get("/", "Expect: 100-continue", "Content-Length: 2", method="POST"))
        while b"\r\n1\r\na\r\n" not in client.buffer:
            assert await client.fill()
        await client.send(b"xy")
        response = await client.response()  # a 100 first would come out as a status 100
        assert (response.status, response.body) == (200, b"axy")
        assert client.chunks == [b"a", b"xy", b""]


async def test_expect_100_continue_unread_closes(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        response = await client.response()
        assert (response.status, response.body) == (200, b"hello")
        assert response.header("connection") == "close"
        assert await client.closed()


async def test_connection_close(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(get("/", "Connection: close"))
        response = await client.response()
        assert response.header("connection") == "close"
        assert await client.closed()


async def test_http_10_closes_after_the_response(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(get(version="1.0"))
        response = await client.response()
        assert response.body == b"hello"
        assert await client.closed()


async def test_malformed_request_gets_400(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(b"NOT A REQUEST\r\n\r\n")
        response = await client.response()
        assert response.status == 400
        assert response.header("connection") == "close"
        assert await client.closed()


async def test_head_too_large_gets_431(nursery: trio.Nursery) -> None:
    async with served(nursery, hello, max_header_bytes=1024) as running:
        async with RawClient.connect(running) as client:
            await client.send(get("/", "X-Big: " + "x" * 2000))
            assert (await client.response()).status == 431
            assert await client.closed()
        async with RawClient.connect(running) as client:
            await client.send(b"GET / HTTP/1.1\r\nX-Unfinished: " + b"x" * 2000)
            assert (await client.response()).status == 431
            assert await client.closed()


async def test_too_many_headers_get_431(nursery: trio.Nursery) -> None:
    async with served(nursery, hello, max_header_count=3) as running:
        async with RawClient.connect(running) as client:
            await client.send(get("/", "A: 1", "B: 2", "C: 3"))
            assert (await client.response()).status == 431
            assert await client.closed()
        async with RawClient.connect(running) as client:
            await client.send(get("/", "A: 1", "B: 2"))
            assert (await client.response()).status == 200


async def test_declared_body_over_the_limit_gets_413(nursery: trio.Nursery) -> None:
    called = False

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal called
        called = scope["type"] == "http"
        await respond(send)

    async with served(nursery, app, max_body_bytes=10) as running:
        async with RawClient.connect(running) as client:
            await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
            await client.send(b"x" * 3000)
            response = await client.response()
            assert response.status == 413
            assert await client.closed()
            # The server reads on (and drops) what still comes, until the client closes.
            await client.send(b"x" * 2000)
        async with RawClient.connect(running) as client:
            await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789")
            assert (await client.response()).status == 200
    assert called


async def test_streamed_body_over_the_limit_gets_413(nursery: trio.Nursery) -> None:
    received: list[Message] = []
    sent: list[BaseException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            while (message := await receive())["type"] == "http.request":
                received.append(message)
            received.append(message)
            try:
                await respond(send)
            except ClientDisconnectedError as exc:
                sent.append(exc)

    async with (
        served(nursery, app, max_body_bytes=10) as running,
        RawClient.connect(running) as client,
    ):
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        await client.send(b"8\r\n01234567\r\n")
        await client.send(b"8\r\n01234567\r\n")
        response = await client.response()
        assert response.status == 413
        assert await client.closed()
    assert received[-1] == {"type": "http.disconnect"}
    assert len(sent) == 1


async def test_body_over_the_limit_after_the_response_started(nursery: trio.Nursery) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"echo:", "more_body": True})
            while (message := await receive())["type"] == "http.request":
                await send(
                    {"type": "http.response.body", "body": message["body"], "more_body": True}
                )

    async with (
        served(nursery, app, max_body_bytes=4) as running,
        RawClient.connect(running) as client,
    ):
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        await client.send(b"3\r\nabc\r\n")
        await trio.testing.wait_all_tasks_blocked()
        await client.send(b"3\r\ndef\r\n")
        with pytest.raises(EOFError, match="cut short"):
            await client.response()
        assert client.chunks == [b"echo:", b"abc"]


async def test_client_leaving_in_the_middle_of_a_head(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(b"GET / HTTP/1.1\r\nHost:")
        await client.stream.send_eof()  # type: ignore[attr-defined]
        assert await client.closed()


async def test_malformed_chunked_body(nursery: trio.Nursery) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            received.append(await receive())
            await respond(send)

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        assert await client.closed()
    assert received == [{"type": "http.disconnect"}]


async def test_slow_head_gets_408(nursery: trio.Nursery, autojump_clock: trio.abc.Clock) -> None:
    async with (
        served(nursery, hello, header_timeout=3) as running,
        RawClient.connect(running) as client,
    ):
        start = trio.current_time()
        await client.send(b"GET / HTTP/1.1\r\nHost: t\r\n")
        response = await client.response()
        assert response.status == 408
        assert await client.closed()
        assert trio.current_time() - start == pytest.approx(3, abs=0.1)


async def test_silent_new_connection_closes(
    nursery: trio.Nursery, autojump_clock: trio.abc.Clock
) -> None:
    async with (
        served(nursery, hello, header_timeout=3, keep_alive_timeout=60) as running,
        RawClient.connect(running) as client,
    ):
        start = trio.current_time()
        assert await client.closed()
        assert trio.current_time() - start == pytest.approx(3, abs=0.1)


async def test_idle_keep_alive_connection_closes_quietly(
    nursery: trio.Nursery, autojump_clock: trio.abc.Clock
) -> None:
    async with (
        served(nursery, hello, keep_alive_timeout=7) as running,
        RawClient.connect(running) as client,
    ):
        await client.send(get())
        assert (await client.response()).status == 200
        start = trio.current_time()
        assert await client.closed()
        assert trio.current_time() - start == pytest.approx(7, abs=0.1)


async def test_app_error_before_the_start_gets_500(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise ValueError("boom")

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get())
        response = await client.response()
        assert (response.status, response.body) == (500, b"500 Internal Server Error\n")
        assert response.header("connection") == "close"
        assert await client.closed()
    assert "ASGI app error" in caplog.text
    assert "ValueError: boom" in caplog.text


@pytest.mark.parametrize(
    ("status", "more_body"),
    [(200, False), (200, True), (204, False)],
    ids=["whole", "streamed", "204"],
)
@pytest.mark.parametrize("kind", [bytearray, memoryview])
async def test_header_pairs_of_other_byte_strings(
    nursery: trio.Nursery, status: int, more_body: bool, kind: type[bytearray | memoryview]
) -> None:
    """ASGI header pairs are two byte strings each, not only tuples of bytes: lists, and
    bytearray or memoryview, for names and for the values that frame the response."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        length = [] if more_body else [(kind(b"Content-Length"), kind(b"2"))]
        pairs = [[b"x-list", b"1"], (kind(b"x-other"), kind(b"2")), *length]
        pairs.append((kind(b"Connection"), kind(b"close")))
        # A generator: the pairs can be read once only.
        headers = (pair for pair in pairs)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok", "more_body": more_body})
        if more_body:
            await send({"type": "http.response.body", "body": b""})

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get())
        response = await client.response()
        assert response.status == status
        assert (response.header("x-list"), response.header("x-other")) == ("1", "2")
        assert response.header("connection") == "close"
        assert response.body == (b"" if status == 204 else b"ok")
        assert await client.closed()


@pytest.mark.parametrize(
    "field", [("x-text", "not bytes"), (b"x-number", 5), ("x", b"1"), (b"x", [49])]
)
async def test_header_fields_that_are_not_bytes_get_500(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture, field: tuple[object, object]
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, body=b"never", headers=[field])

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get())
        response = await client.response()
        assert response.status == 500
    assert "TypeError" in caplog.text


async def test_app_error_after_the_start_aborts(nursery: trio.Nursery) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"part", "more_body": True})
            raise ValueError("boom")

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get())
        with pytest.raises(EOFError, match="cut short"):
            await client.response()
        assert client.chunks == [b"part"]


async def test_app_returning_without_a_response_gets_500(nursery: trio.Nursery) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get(method="HEAD"))
        response = await client.response(head=True)
        assert response.status == 500
        assert await client.closed()


async def test_unexpected_messages_raise(nursery: trio.Nursery) -> None:
    errors: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for message in (
                {"type": "http.response.body"},
                {"type": "http.response.pushed"},
            ):
                with pytest.raises(RuntimeError) as error:
                    await send(message)
                errors.append(str(error.value))
            await respond(send)
            with pytest.raises(RuntimeError):
                await send({"type": "http.response.body"})

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get())
        assert (await client.response()).status == 200
    assert errors == [
        "unexpected ASGI message 'http.response.body' in an HTTP response",
        "unexpected ASGI message 'http.response.pushed' in an HTTP response",
    ]


async def test_unread_body_is_drained(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab")
        assert (await client.response()).body == b"hello"
        await client.send(b"cd" + get())
        assert (await client.response()).body == b"hello"


async def test_long_unread_body_closes(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n")
        assert (await client.response()).body == b"hello"
        with contextlib.suppress(trio.BrokenResourceError):  # reset: the server stopped reading
            await client.send(b"x" * 200_000)
        assert await client.closed()


async def test_unread_malformed_body_closes(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert (await client.response()).body == b"hello"
        await client.send(b"zz\r\n")
        assert await client.closed()


async def test_unread_body_that_never_comes(
    nursery: trio.Nursery, autojump_clock: trio.abc.Clock
) -> None:
    async with (
        served(nursery, hello, keep_alive_timeout=2) as running,
        RawClient.connect(running) as client,
    ):
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n")
        assert (await client.response()).body == b"hello"
        start = trio.current_time()
        assert await client.closed()
        assert trio.current_time() - start == pytest.approx(2, abs=0.1)


@pytest.mark.parametrize("reset", [False, True])
async def test_disconnect_while_waiting_in_receive(nursery: trio.Nursery, reset: bool) -> None:
    received: list[Message] = []
    done = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            received.append(await receive())
            received.append(await receive())
            done.set()

    async with served(nursery, app) as running:
        async with RawClient.connect(running) as client:
            await client.send(get())
            await trio.testing.wait_all_tasks_blocked()
            if reset:
                linger = struct.pack("ii", 1, 0)  # closing then resets the connection
                client.stream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)  # type: ignore[attr-defined]
        with trio.fail_after(5):
            await done.wait()
    assert received == [
        {"type": "http.request", "body": b"", "more_body": False},
        {"type": "http.disconnect"},
    ]


async def test_disconnect_before_the_body(nursery: trio.Nursery) -> None:
    received: list[Message] = []
    done = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            received.append(await receive())
            received.append(await receive())
            done.set()

    async with served(nursery, app) as running:
        async with RawClient.connect(running) as client:
            await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\nabc")
            await trio.testing.wait_all_tasks_blocked()
        with trio.fail_after(5):
            await done.wait()
    assert received == [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.disconnect"},
    ]


async def test_receive_after_the_response_is_a_disconnect(nursery: trio.Nursery) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":

            async def listen() -> None:
                received.append(await receive())

            async with trio.open_nursery() as inner:
                await read_body(receive)
                inner.start_soon(listen)
                await trio.testing.wait_all_tasks_blocked()
                await respond(send)
            received.append(await receive())

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(get())
        assert (await client.response()).status == 200
        await client.send(get())
        assert (await client.response()).status == 200
    assert received == [{"type": "http.disconnect"}] * 4


@pytest.mark.parametrize("tls", [False, True])
async def test_reader_left_by_the_app_is_waited_for(
    nursery: trio.Nursery, certificate: tuple[Path, Path], tls: bool
) -> None:
    """An app may leave a task reading in ``receive`` (a disconnect watcher), cancelled but not
    yet unwound when the app returns: the connection waits for it before reading itself (a
    ``trio.SSLStream`` refuses a second reader)."""
    watching = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "POST":
                watcher = trio.CancelScope()

                async def watch() -> None:
                    with watcher:
                        watching.set()
                        await receive()

                nursery.start_soon(watch)
                await watching.wait()
                await trio.testing.wait_all_tasks_blocked()
                await respond(send)
                watcher.cancel()
            else:
                await respond(send, body=b"second")

    context = server_context(certificate) if tls else None
    async with (
        served(nursery, app, ssl_context=context) as running,
        RawClient.connect(running, certificate=certificate[0] if tls else None) as client,
    ):
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n")
        assert (await client.response()).status == 200
        await client.send(b"body" + get())
        assert (await client.response()).body == b"second"


async def test_a_reader_still_unwinding_is_waited_for_before_the_next_head(
    nursery: trio.Nursery,
) -> None:
    """A task the app left in ``receive`` may still hold the read when the connection wants
    the next head: the connection waits for it, and what it read reaches the parser."""
    ours, theirs = trio.testing.memory_stream_pair()
    connection = memory_connection(ours)
    await connection._reading.acquire()  # the app's task, reading
    nursery.start_soon(connection.run)
    await trio.testing.wait_all_tasks_blocked()
    await theirs.send_all(get())
    connection.parser.receive_data(bytes(await ours.receive_some()))  # what that task read
    connection._reading.release()
    response = await theirs.receive_some()
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert response.endswith(b"hello")
    await theirs.aclose()


async def test_a_head_that_comes_as_its_timeout_fires_is_not_served() -> None:
    """The wait for the head was ended (timeout or shutdown) just as the head came: the app
    is not called in an ended scope; the connection closes unanswered."""
    called: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope)

    ours, theirs = trio.testing.memory_stream_pair()
    connection = memory_connection(ours)
    connection.app = app
    connection.parser.receive_data(get())
    connection.head_deadline = 0.0
    connection.expire(1.0)
    await connection.run()
    assert await theirs.receive_some() == b""
    assert called == []


async def test_flooding_client_is_not_read_while_the_app_waits(nursery: trio.Nursery) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":

            async def listen() -> None:
                received.append(await receive())

            async with trio.open_nursery() as inner:
                inner.start_soon(listen)
                await read_body(receive)
                await trio.testing.wait_all_tasks_blocked()
                await respond(send)

    async with served(nursery, app) as running, RawClient.connect(running) as client:
        await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        await client.send(b"x" * 70_000)
        assert (await client.response()).status == 200
    assert received == [{"type": "http.disconnect"}]


async def test_send_after_the_client_left_raises(nursery: trio.Nursery) -> None:
    errors: list[BaseException] = []
    done = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            try:
                while True:
                    await send(
                        {"type": "http.response.body", "body": b"x" * 1024, "more_body": True}
                    )
                    await trio.lowlevel.checkpoint()
            except ClientDisconnectedError as exc:
                errors.append(exc)
                with pytest.raises(ClientDisconnectedError):
                    await send({"type": "http.response.body"})
                raise
            finally:
                done.set()

    async with served(nursery, app) as running:
        async with RawClient.connect(running) as client:
            await client.send(get())
            await client.fill()
        with trio.fail_after(5):
            await done.wait()
    assert len(errors) == 1
    assert isinstance(errors[0], OSError)


async def test_access_log(nursery: trio.Nursery, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="trioquart.server.access")
    async with (
        served(nursery, hello, access_log=True) as running,
        RawClient.connect(running) as client,
    ):
        await client.send(get("/path?q"))
        await client.response()
        port = client.stream.socket.getsockname()[1]  # type: ignore[attr-defined]
    [record] = [r for r in caplog.records if r.name == "trioquart.server.access"]
    assert re.fullmatch(
        rf'127\.0\.0\.1:{port} "GET /path HTTP/1\.1" 200 5 \d+\.\dms', record.getMessage()
    )


async def test_no_access_log_by_default(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trioquart.server.access")
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(get())
        await client.response()
    assert not [r for r in caplog.records if r.name == "trioquart.server.access"]


async def test_app_headers_win(nursery: trio.Nursery) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = [(b"Date", b"then"), (b"Server", b"mine"), (b"Content-Length", b"2")]
            await respond(send, body=b"ok", headers=headers)

    async with (
        served(nursery, app, server_header=None) as running,
        RawClient.connect(running) as client,
    ):
        await client.send(get())
        response = await client.response()
    assert response.headers == [("Date", "then"), ("Server", "mine"), ("Content-Length", "2")]


async def test_no_server_header(nursery: trio.Nursery) -> None:
    async with (
        served(nursery, hello, server_header=None) as running,
        RawClient.connect(running) as client,
    ):
        await client.send(get())
        response = await client.response()
    assert response.header("server") is None
    assert response.header("date") is not None


def test_the_parser_setting_picks_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from trioquart.server.http_parser_h11 import H11Parser
    from trioquart.server.http_parser_httptools import HttptoolsParser

    assert isinstance(new_parser(ServerConfig(parser="auto")), HttptoolsParser)
    assert isinstance(new_parser(ServerConfig(parser="httptools")), HttptoolsParser)
    assert isinstance(new_parser(ServerConfig(parser="h11")), H11Parser)
    monkeypatch.setattr(http_parser, "HTTPTOOLS_INSTALLED", False)
    assert isinstance(new_parser(ServerConfig(parser="auto")), H11Parser)
    with pytest.raises(ImportError, match=r"pip install 'trioquart\[speed\]'"):
        new_parser(ServerConfig(parser="httptools"))


async def test_a_head_in_many_pieces_is_read_whole(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        for piece in (b"GE", b"T / HT", b"TP/1.1\r\nHo", b"st: t\r\n", b"\r\n"):
            await client.send(piece)
            await trio.testing.wait_all_tasks_blocked()
        response = await client.response()
        assert (response.status, response.body) == (200, b"hello")
