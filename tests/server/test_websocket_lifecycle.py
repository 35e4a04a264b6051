"""Keepalive pings, shutdown, bounded close handshakes, and nothing left behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import trio
import trio.testing
from trio_websocket import ConnectionClosed
from wsproto.events import CloseConnection, Ping, Pong, TextMessage

from tests.e2e.conftest import Baseline, close_code, close_reason
from tests.server.ws_harness import (
    EchoApp,
    RawClient,
    frame,
    handshake_request,
    raw_client,
    serve_stream,
    ws_client,
    ws_server,
)
from trioquart.server.config import ServerConfig
from trioquart.server.types import ASGIApp, Message, Receive, Scope, Send
from trioquart.server.websocket import WebSocketClosedError

PINGING = ServerConfig(websocket_ping_interval=5, websocket_ping_timeout=3, graceful_timeout=4)


async def open_in_memory(
    nursery: trio.Nursery,
    app: EchoApp,
    config: ServerConfig = PINGING,
    stopping: trio.Event | None = None,
) -> tuple[RawClient, trio.Event]:
    """An accepted in-memory websocket to ``app``, and the event set when it is served."""
    client_end, server_end = trio.testing.memory_stream_pair()
    done = await serve_stream(nursery, app, server_end, config, stopping)
    client = RawClient(client_end)
    assert (await client.open(handshake_request(0))).startswith(b"HTTP/1.1 101 ")
    return client, done


async def test_silent_client_is_pinged_then_closed_with_1011(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    app = EchoApp()
    client, done = await open_in_memory(nursery, app)
    start = trio.current_time()
    assert await client.next_event() == Ping(payload=b"")
    assert trio.current_time() - start == pytest.approx(5)
    assert await client.close_frame() == CloseConnection(1011, "keepalive ping timeout")
    assert trio.current_time() - start == pytest.approx(5 + 3)
    await done.wait()  # no close handshake with an unresponsive client
    assert await app.disconnect() == {
        "type": "websocket.disconnect",
        "code": 1011,
        "reason": "keepalive ping timeout",
    }


async def test_client_answering_pings_stays_connected(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    app = EchoApp()
    client, done = await open_in_memory(nursery, app)
    start = trio.current_time()
    for _ in range(3):
        ping = await client.next_event()
        assert isinstance(ping, Ping)
        await client.send(ping.response())
    assert trio.current_time() - start == pytest.approx(15)
    await trio.sleep(4)  # any message counts as a sign of life too
    await client.send(TextMessage(data="still here"))
    assert await client.next_event() == TextMessage(data="still here")
    assert isinstance(await client.next_event(), Ping)
    assert trio.current_time() - start == pytest.approx(24)
    await client.send(CloseConnection(1000))
    assert await client.close_frame() == CloseConnection(1000, "")
    await done.wait()


async def test_no_pings_when_the_interval_is_none(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    app = EchoApp()
    config = ServerConfig(websocket_ping_interval=None)
    client, done = await open_in_memory(nursery, app, config)
    await trio.sleep(3600)
    await client.send(Pong(payload=b"unsolicited"))  # allowed, and ignored
    await client.send(TextMessage(data="an hour later"))
    assert await client.next_event() == TextMessage(data="an hour later")
    await client.send(CloseConnection(1000))
    await done.wait()


async def test_stopping_closes_with_1001() -> None:
    app = EchoApp()
    async with ws_server(app) as server, ws_client(server) as ws:
        await ws.send_message("hello")
        assert await ws.get_message() == "hello"
        server.stopping.set()
        with pytest.raises(ConnectionClosed) as closed:
            await ws.get_message()
    assert (close_code(closed.value), close_reason(closed.value)) == (
        1001,
        "server shutting down",
    )
    assert await app.disconnect() == {
        "type": "websocket.disconnect",
        "code": 1001,
        "reason": "server shutting down",
    }


async def test_stopping_waits_for_a_silent_client_only_the_graceful_timeout(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    app = EchoApp()
    stopping = trio.Event()
    config = ServerConfig(websocket_ping_interval=None, graceful_timeout=4)
    client, done = await open_in_memory(nursery, app, config, stopping)
    stopping.set()
    start = trio.current_time()
    assert await client.close_frame() == CloseConnection(1001, "server shutting down")
    await client.stream.send_all(frame(0x1, b"unread: the server is closing"))
    await done.wait()
    assert trio.current_time() - start == pytest.approx(4)
    assert (await app.disconnect())["code"] == 1001
    assert len(app.received) == 1


def closing_app(
    received: list[Message], then: Callable[[Send], Awaitable[None]] | None = None
) -> ASGIApp:
    """An app that accepts and closes with 4000, does ``then`` (with its ``send``), and
    records what its next ``receive`` gives."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4000})
        if then is not None:
            await then(send)
        received.append(await receive())

    return app


async def see_the_app_close(nursery: trio.Nursery, app: ASGIApp) -> tuple[RawClient, trio.Event]:
    """An in-memory client of ``app``, once the app's close frame (4000) has come; and the
    event set when the server is done."""
    client_end, server_end = trio.testing.memory_stream_pair()
    done = await serve_stream(nursery, app, server_end, PINGING)
    client = RawClient(client_end)
    await client.open(handshake_request(0))
    assert await client.close_frame() == CloseConnection(4000, "")
    return client, done


async def test_app_close_waits_for_a_silent_client_only_the_graceful_timeout(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    received: list[Message] = []
    start = trio.current_time()
    _, done = await see_the_app_close(nursery, closing_app(received))
    await done.wait()
    assert trio.current_time() - start == pytest.approx(4)
    assert received == [{"type": "websocket.disconnect", "code": 4000, "reason": ""}]


async def test_a_message_after_the_close_frame_is_refused_and_not_written(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    refused: list[BaseException] = []

    async def send_too_late(send: Send) -> None:
        try:
            await send({"type": "websocket.send", "text": "too late"})
        except WebSocketClosedError as error:
            refused.append(error)

    client, done = await see_the_app_close(nursery, closing_app([], send_too_late))
    await done.wait()
    assert [type(error) for error in refused] == [WebSocketClosedError]
    assert await client.stream.receive_some() == b""  # nothing after the close frame


async def test_a_ping_after_the_close_frame_gets_no_pong(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    """Once its close frame is out, the server writes nothing more (RFC 6455 5.5.1), a pong
    included: only the close handshake goes on."""
    client, done = await see_the_app_close(nursery, closing_app([]))
    await client.stream.send_all(frame(0x9, b"late ping"))
    await trio.testing.wait_all_tasks_blocked()
    await client.stream.send_all(frame(0x8, (4000).to_bytes(2, "big")))
    await done.wait()
    assert await client.stream.receive_some() == b""  # no pong, nothing after the close frame


async def test_client_that_reads_nothing_cannot_hold_the_server(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    outcome: list[object] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        outcome.append(await receive())
        with pytest.raises(WebSocketClosedError):
            await send({"type": "websocket.send", "text": "nobody reads"})
        outcome.append("raised")

    # Lockstep: every write waits for the client to read it, and this client stops reading
    # after the 101, so the keepalive ping never gets out.
    client_end, server_end = trio.testing.lockstep_stream_pair()
    done = await serve_stream(nursery, app, server_end, PINGING)
    await RawClient(client_end).open(handshake_request(0))
    start = trio.current_time()
    await done.wait()
    # The client has the ping timeout from the ping on to answer, the ping's write included:
    # the write is given up then, and the close is not even tried on the broken stream.
    assert trio.current_time() - start == pytest.approx(5 + 3)
    assert outcome == [
        {"type": "websocket.disconnect", "code": 1011, "reason": "keepalive ping timeout"},
        "raised",
    ]


async def test_no_keepalive_ping_while_closing(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4000})

    # The close handshake may take 10 s, longer than the ping interval (5 s).
    config = ServerConfig(websocket_ping_interval=5, websocket_ping_timeout=3, graceful_timeout=10)
    client, done = await open_in_memory(nursery, app, config)  # type: ignore[arg-type]
    start = trio.current_time()
    assert await client.close_frame() == CloseConnection(4000, "")
    await done.wait()  # the client never answers the close, and is never pinged
    assert trio.current_time() - start == pytest.approx(10)
    assert await client.read_to_end() == b""


async def test_app_that_never_receives_still_ends_cleanly(nursery: trio.Nursery) -> None:
    may_return = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await may_return.wait()

    client_end, server_end = trio.testing.memory_stream_pair()
    done = await serve_stream(nursery, app, server_end)
    client = RawClient(client_end)
    await client.open(handshake_request(0))
    for number in range(5):
        await client.send(TextMessage(data=f"message {number}"))
    await trio.testing.wait_all_tasks_blocked()
    may_return.set()  # with a message queued for it, and the reader waiting to hand one over
    assert await client.close_frame() == CloseConnection(1000, "")
    await client.send(CloseConnection(1000))
    await done.wait()


async def test_clients_leave_no_tasks_or_sockets_behind() -> None:
    async def refuser(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close"})

    echo = EchoApp()
    async with ws_server(echo) as server, ws_server(refuser) as refusing:
        await trio.testing.wait_all_tasks_blocked()
        baseline = Baseline.now()
        async with ws_client(server) as ws:
            await ws.send_message("x")
            await ws.get_message()
        async with raw_client(server) as client:
            await client.stream.send_all(frame(0x1, b"\xff"))
            await client.close_frame()
        async with raw_client(server) as client:
            pass  # dropped without a close
        async with await trio.open_tcp_stream(refusing.host, refusing.port) as stream:
            await RawClient(stream).open(handshake_request(refusing.port))
        server.stopping.set()
        async with ws_client(server) as ws:
            with pytest.raises(ConnectionClosed):
                await ws.get_message()
        await baseline.wait_until_back()
