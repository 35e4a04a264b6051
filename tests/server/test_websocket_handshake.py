"""The websocket handshake: checking the request, accepting, and the app's other answers."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
import trio
import trio.testing
from wsproto.events import CloseConnection, TextMessage
from wsproto.utilities import generate_accept_token

from tests.server.ws_harness import (
    EchoApp,
    RawClient,
    WsServer,
    frame,
    handshake_request,
    serve_stream,
    ws_client,
    ws_server,
)
from trioquart.server.config import ServerConfig
from trioquart.server.types import Message, Receive, Scope, Send
from trioquart.server.websocket import WebSocketClosedError

KEY = base64.b64encode(b"0123456789abcdef")


async def exchange(server: WsServer, request: bytes) -> tuple[bytes, bytes]:
    """Send ``request`` to ``server``; its response's head and everything after it."""
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        client = RawClient(stream)
        head = await client.open(request)
        return head, client.after_head + await client.read_to_end()


class NeverCalled:
    """An app that must not be called."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app was called")


@pytest.mark.parametrize(
    "version", [b"12", b"13, 8", b"", b"fourteen"], ids=["12", "two", "empty", "junk"]
)
async def test_unsupported_version_gets_426_naming_13(version: bytes) -> None:
    async with ws_server(NeverCalled()) as server:
        head, body = await exchange(server, handshake_request(server.port, version=version))
    assert head.startswith(b"HTTP/1.1 426 Upgrade Required\r\n")
    assert b"\r\nSec-WebSocket-Version: 13\r\n" in head
    assert b"Content-Length: 0" in head.split(b"\r\n")
    assert body == b""


@pytest.mark.parametrize(
    "key",
    [
        b"",
        base64.b64encode(b"fifteen bytes!!"),
        b"not base64 at all!!!!!!=",
        KEY + b"\r\nSec-WebSocket-Key: " + KEY,
    ],
    ids=["missing", "short", "not-base64", "two-keys"],
)
async def test_bad_key_gets_400(key: bytes) -> None:
    async with ws_server(NeverCalled()) as server:
        head, body = await exchange(server, handshake_request(server.port, key=key))
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert body == b""


async def test_accept_answers_101_with_subprotocol_and_app_headers() -> None:
    app = EchoApp(subprotocol="chat", headers=[(b"x-extra", b"yes"), (b"set-cookie", b"a=1")])
    request = handshake_request(0, key=KEY).replace(
        b"\r\n\r\n", b"\r\nSec-WebSocket-Protocol: other, chat\r\n\r\n"
    )
    async with (
        ws_server(app) as server,
        await trio.open_tcp_stream("127.0.0.1", server.port) as stream,
    ):
        head = await RawClient(stream).open(request)
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 101 Switching Protocols"
    assert set(lines[1:]) == {
        b"Server: trioquart",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Accept: " + generate_accept_token(KEY),
        b"Sec-WebSocket-Protocol: chat",
        b"x-extra: yes",
        b"set-cookie: a=1",
    }


async def test_subprotocol_reaches_a_real_client() -> None:
    app = EchoApp(subprotocol="chat")
    async with (
        ws_server(app) as server,
        ws_client(server, "/", subprotocols=["other", "chat"]) as ws,
    ):
        assert ws.subprotocol == "chat"


async def test_no_server_header_when_configured_off() -> None:
    config = ServerConfig(server_header=None)
    async with (
        ws_server(EchoApp(), config) as server,
        await trio.open_tcp_stream("127.0.0.1", server.port) as stream,
    ):
        head = await RawClient(stream).open(handshake_request(server.port))
    assert b"Server:" not in head


class Refuser:
    """Answers the handshake with ``messages`` instead of accepting, then raises ``error`` or
    records the next ``receive`` (unless ``then_receive`` is false)."""

    def __init__(
        self, *messages: Message, error: Exception | None = None, then_receive: bool = True
    ) -> None:
        self.messages = messages
        self.error = error
        self.then_receive = then_receive
        self.after: list[Message] = []
        self.ended = trio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await receive()
            for message in self.messages:
                await send(message)
            if self.error is not None:
                raise self.error
            if self.then_receive:
                self.after.append(await receive())
        finally:
            self.ended.set()


async def refused(app: Refuser) -> tuple[bytes, bytes]:
    """Serve ``app`` to one handshake; the response's head and the rest, once it has ended."""
    async with ws_server(app) as server:
        head, body = await exchange(server, handshake_request(server.port))
        with trio.fail_after(5):
            await app.ended.wait()
    return head, body


async def test_close_before_accept_is_403_and_the_app_then_gets_disconnect() -> None:
    app = Refuser({"type": "websocket.close", "code": 4000}, {"type": "websocket.close"})
    head, body = await refused(app)
    assert head.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert b"Connection: close" in head.split(b"\r\n")
    assert body == b""
    assert app.after == [{"type": "websocket.disconnect", "code": 1006, "reason": ""}]


async def test_http_response_with_a_body_in_one_message() -> None:
    app = Refuser(
        {
            "type": "websocket.http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"text/plain")],
        },
        {"type": "websocket.http.response.body", "body": b"no such room"},
    )
    head, body = await refused(app)
    assert head.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert b"\r\ncontent-type: text/plain\r\n" in head
    assert b"\r\nContent-Length: 12\r\n" in head
    assert body == b"no such room"
    assert app.after[0]["type"] == "websocket.disconnect"


async def test_http_response_streamed_in_parts_is_chunked() -> None:
    app = Refuser(
        {"type": "websocket.http.response.start", "status": 499},
        {"type": "websocket.http.response.body", "body": b"ab", "more_body": True},
        {"type": "websocket.http.response.body", "body": b"", "more_body": True},
        {"type": "websocket.http.response.body", "body": bytearray(b"cd")},
    )
    head, body = await refused(app)
    assert head.startswith(b"HTTP/1.1 499 \r\n")
    assert b"\r\nTransfer-Encoding: chunked\r\n" in head
    assert body == b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"


async def test_http_response_with_the_apps_own_length_is_sent_as_is() -> None:
    app = Refuser(
        {
            "type": "websocket.http.response.start",
            "status": 200,
            "headers": [(b"Content-Length", b"4")],
        },
        {"type": "websocket.http.response.body", "body": b"ab", "more_body": True},
        {"type": "websocket.http.response.body", "body": b"cd"},
    )
    head, body = await refused(app)
    assert b"Transfer-Encoding" not in head
    assert head.count(b"Content-Length") == 1
    assert body == b"abcd"


@pytest.mark.parametrize(
    "messages",
    [
        (),
        ({"type": "websocket.http.response.start", "status": 200},),
    ],
    ids=["nothing", "start-only"],
)
async def test_app_returning_without_an_answer_gets_500(
    messages: tuple[Message, ...], caplog: pytest.LogCaptureFixture
) -> None:
    head, _ = await refused(Refuser(*messages, then_receive=False))
    assert head.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert "returned without accepting or refusing" in caplog.text


async def test_app_error_before_accept_gets_500_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    head, _ = await refused(Refuser(error=ValueError("boom")))
    assert head.startswith(b"HTTP/1.1 500 ")
    [record] = [r for r in caplog.records if r.name == "trioquart.server"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)


async def test_app_error_in_the_middle_of_its_response_leaves_it_unfinished(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Refuser(
        {"type": "websocket.http.response.start", "status": 200},
        {"type": "websocket.http.response.body", "body": b"ab", "more_body": True},
        error=ValueError("boom"),
    )
    head, body = await refused(app)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert body == b"2\r\nab\r\n"  # no last chunk: the client sees the response cut short
    assert "Exception in ASGI websocket application" in caplog.text


class Misbehaving:
    """Sends each bad message at one phase of the handshake and records what it raised."""

    def __init__(self, phase: str, bad: list[Message]) -> None:
        self.phase = phase
        self.bad = bad
        self.raised: list[type[Exception]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        if self.phase == "response":
            await send({"type": "websocket.http.response.start", "status": 200})
        elif self.phase == "accepted":
            await send({"type": "websocket.accept"})
        for message in self.bad:
            try:
                await send(message)
            except (RuntimeError, TypeError, ValueError) as error:
                self.raised.append(type(error))
        if self.phase == "response":
            await send({"type": "websocket.http.response.body"})


def raised(*runs: tuple[int, type[Exception]]) -> list[type[Exception]]:
    """The exception types expected, from runs of (count, type)."""
    return [error for count, error in runs for _ in range(count)]


ANY_PHASE: list[Message] = [{"type": "websocket.unknown"}, {"text": "no type"}]
BAD: dict[str, tuple[list[Message], list[type[Exception]]]] = {
    "handshake": (
        [
            *ANY_PHASE,
            {"type": "websocket.send", "text": "too early"},
            {"type": "websocket.http.response.body", "body": b""},
            {"type": "websocket.accept", "subprotocol": 5},
            {"type": "websocket.accept", "subprotocol": "non-ascii é"},
            {"type": "websocket.accept", "headers": [("str", "str")]},
            {"type": "websocket.accept", "headers": [(b"bad name", b"v")]},
            {"type": "websocket.accept", "headers": [(b"x", b"a\r\nInjected: 1")]},
            {"type": "websocket.http.response.start", "status": "200"},
            {"type": "websocket.http.response.start", "status": 101},
            {"type": "websocket.http.response.start"},
        ],
        raised((4, RuntimeError), (1, TypeError), (1, ValueError), (1, TypeError), (5, ValueError)),
    ),
    "accepted": (
        [
            *ANY_PHASE,
            {"type": "websocket.accept"},
            {"type": "websocket.http.response.start", "status": 200},
            {"type": "websocket.send", "text": "a", "bytes": b"b"},
            {"type": "websocket.send"},
            {"type": "websocket.send", "text": b"bytes"},
            {"type": "websocket.send", "bytes": "text"},
            {"type": "websocket.close", "code": 999},
            {"type": "websocket.close", "code": "1000"},
            {"type": "websocket.close", "code": 1000, "reason": 5},
        ],
        raised((4, RuntimeError), (4, TypeError), (2, ValueError), (1, TypeError)),
    ),
    "response": (
        [
            *ANY_PHASE,
            {"type": "websocket.send", "bytes": b"x"},
            {"type": "websocket.close"},
            {"type": "websocket.accept"},
            {"type": "websocket.http.response.body", "body": "text"},
        ],
        raised((5, RuntimeError), (1, TypeError)),
    ),
}


@pytest.mark.parametrize("phase", sorted(BAD))
async def test_wrong_messages_raise_in_send(phase: str) -> None:
    bad, expected = BAD[phase]
    app = Misbehaving(phase, bad)
    async with ws_server(app) as server:
        if phase == "accepted":
            async with ws_client(server) as ws:
                await ws.aclose()
        else:
            await exchange(server, handshake_request(server.port))
    assert app.raised == expected


async def test_after_a_refusal_close_is_ignored_and_send_refused() -> None:
    sent: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close"})
        await send({"type": "websocket.close"})
        with pytest.raises(RuntimeError, match="ended phase"):
            await send({"type": "websocket.send", "text": "late"})
        sent.append("done")

    async with ws_server(app) as server:
        head, _ = await exchange(server, handshake_request(server.port))
    assert head.startswith(b"HTTP/1.1 403 ")
    assert sent == ["done"]


async def test_client_leaving_during_the_handshake_is_reported_to_the_app(
    nursery: trio.Nursery,
) -> None:
    outcome: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        outcome.append(await receive())  # before answering: only a disconnect can come
        try:
            await send({"type": "websocket.accept"})
        except WebSocketClosedError as error:
            outcome.append(error)
        raise WebSocketClosedError("not a bug: logged quietly")

    client, server_end = trio.testing.memory_stream_pair()
    done = await serve_stream(nursery, app, server_end)
    await client.send_all(handshake_request(0))
    await trio.testing.wait_all_tasks_blocked()
    await client.aclose()
    await done.wait()
    assert outcome[0] == {"type": "websocket.disconnect", "code": 1006, "reason": ""}
    assert isinstance(outcome[1], WebSocketClosedError)


def half_open_pair() -> tuple[trio.StapledStream[Any, Any], trio.StapledStream[Any, Any]]:
    """A client end and a server end of two one-way in-memory streams."""
    to_server, from_client = trio.testing.memory_stream_one_way_pair()
    to_client, from_server = trio.testing.memory_stream_one_way_pair()
    return trio.StapledStream(to_server, from_server), trio.StapledStream(to_client, from_client)


async def test_accept_fails_when_the_client_stopped_reading(nursery: trio.Nursery) -> None:
    outcome: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        with pytest.raises(WebSocketClosedError):
            await send({"type": "websocket.accept"})
        outcome.append(await receive())

    client, server_end = half_open_pair()
    await client.receive_stream.aclose()  # the server's writes fail; it reads no end
    done = await serve_stream(nursery, app, server_end)
    await client.send_all(handshake_request(0))
    await done.wait()
    assert outcome == [{"type": "websocket.disconnect", "code": 1006, "reason": ""}]


async def test_frames_sent_before_the_101_wait_for_the_accept(nursery: trio.Nursery) -> None:
    may_accept = trio.Event()
    app = EchoApp()

    async def slow_to_accept(scope: Scope, receive: Receive, send: Send) -> None:
        await may_accept.wait()
        await app(scope, receive, send)

    client_end, server_end = trio.testing.memory_stream_pair()
    done = await serve_stream(nursery, slow_to_accept, server_end)
    client = RawClient(client_end)
    await client_end.send_all(handshake_request(0))
    await trio.testing.wait_all_tasks_blocked()
    await client_end.send_all(frame(0x1, b"too early") + frame(0x1, b"and more"))
    await trio.testing.wait_all_tasks_blocked()
    may_accept.set()
    assert (await client.open(b"")).startswith(b"HTTP/1.1 101 ")
    assert await client.next_event() == TextMessage(data="too early")
    assert await client.next_event() == TextMessage(data="and more")
    await client.send(CloseConnection(1000))
    await done.wait()


async def test_client_leaving_during_an_http_response_fails_its_send(
    nursery: trio.Nursery,
) -> None:
    app_may_answer = trio.Event()
    outcome: list[type[Exception]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 200})
        await app_may_answer.wait()
        with pytest.raises(WebSocketClosedError) as raised:
            await send({"type": "websocket.http.response.body", "more_body": True})
        outcome.append(raised.type)

    client, server_end = trio.testing.memory_stream_pair()
    done = await serve_stream(nursery, app, server_end)
    await client.send_all(handshake_request(0))
    await trio.testing.wait_all_tasks_blocked()
    await client.aclose()
    app_may_answer.set()
    await done.wait()
    assert outcome == [WebSocketClosedError]


async def test_refusal_to_a_client_gone_already_is_quiet(nursery: trio.Nursery) -> None:
    client, server_end = trio.testing.memory_stream_pair()
    done = await serve_stream(nursery, NeverCalled(), server_end)
    await client.send_all(handshake_request(0, version=b"8"))
    await client.aclose()
    await done.wait()
