"""Messages both ways after the accept, and the ways a websocket closes."""

from __future__ import annotations

import logging
import socket
import struct

import pytest
import trio
from trio_websocket import ConnectionClosed
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage

from tests.e2e.conftest import close_code, close_reason
from tests.server.ws_harness import EchoApp, frame, raw_client, ws_client, ws_server
from trioquart.server.config import ServerConfig
from trioquart.server.types import Message, Receive, Scope, Send
from trioquart.server.websocket import WebSocketClosedError


async def test_text_stays_text_and_bytes_stay_bytes_both_ways() -> None:
    app = EchoApp()
    sent: list[str | bytes] = ["hé ☃", b"\x00\xff", "", b"", "x" * 70_000, b"y" * 70_000]
    async with ws_server(app) as server, ws_client(server) as ws:
        for message in sent:
            await ws.send_message(message)
            echoed = await ws.get_message()
            assert type(echoed) is type(message)
            assert echoed == message
    assert app.received[:-1] == [
        {"type": "websocket.receive", "text" if isinstance(m, str) else "bytes": m} for m in sent
    ]
    assert await app.disconnect() == {"type": "websocket.disconnect", "code": 1000, "reason": ""}


async def test_fragmented_messages_are_reassembled() -> None:
    app = EchoApp()
    async with ws_server(app) as server, raw_client(server) as client:
        # "é" is split between two frames: the text is decoded across fragments.
        await client.stream.send_all(
            frame(0x1, b"h\xc3", fin=False) + frame(0x0, b"\xa9", fin=False) + frame(0x0, b"!")
        )
        await client.stream.send_all(frame(0x2, b"\x01", fin=False) + frame(0x0, b"\x02"))
        assert await client.next_event() == TextMessage(data="hé!")
        assert await client.next_event() == BytesMessage(data=bytearray(b"\x01\x02"))
    assert app.received[:2] == [
        {"type": "websocket.receive", "text": "hé!"},
        {"type": "websocket.receive", "bytes": b"\x01\x02"},
    ]


async def test_ping_inside_a_fragmented_message_is_answered_at_once() -> None:
    app = EchoApp()
    async with ws_server(app) as server, raw_client(server) as client:
        await client.stream.send_all(frame(0x1, b"ab", fin=False) + frame(0x9, b"are you there"))
        assert await client.next_event() == Pong(payload=b"are you there")
        await client.stream.send_all(frame(0x0, b"cd"))
        assert await client.next_event() == TextMessage(data="abcd")


async def test_client_ping_gets_a_pong_with_its_payload() -> None:
    async with ws_server(EchoApp()) as server, raw_client(server) as client:
        await client.send(Ping(payload=b"\x00payload"))
        assert await client.next_event() == Pong(payload=b"\x00payload")


@pytest.mark.parametrize(
    "frames",
    [[frame(0x2, b"x" * 11)], [frame(0x1, b"\xc3\xa9" * 5, fin=False), frame(0x0, b"x")]],
    ids=["one-frame", "fragments"],
)
async def test_message_over_the_limit_closes_with_1009(frames: list[bytes]) -> None:
    app = EchoApp()
    config = ServerConfig(websocket_max_message_size=10)
    async with ws_server(app, config) as server, raw_client(server) as client:
        await client.stream.send_all(frame(0x2, b"x" * 10))  # exactly the limit: fine
        assert await client.next_event() == BytesMessage(data=bytearray(b"x" * 10))
        await client.stream.send_all(b"".join(frames))
        await client.stream.send_all(frame(0x1, b"ignored while closing"))
        assert await client.close_frame() == CloseConnection(1009, "message too big")
        await client.send(CloseConnection(1000))
        assert await client.stream.receive_some() == b""
    assert await app.disconnect() == {
        "type": "websocket.disconnect",
        "code": 1009,
        "reason": "message too big",
    }
    assert len(app.received) == 2


async def test_server_close_with_code_and_reason() -> None:
    after: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4001, "reason": "bye ☃"})
        after.append(await receive())

    async with ws_server(app) as server, ws_client(server) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.get_message()
    assert (close_code(closed.value), close_reason(closed.value)) == (4001, "bye ☃")
    assert after == [{"type": "websocket.disconnect", "code": 4001, "reason": "bye ☃"}]


async def test_close_defaults_to_1000_and_a_reason_of_none_is_empty() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "reason": None})

    async with ws_server(app) as server, raw_client(server) as client:
        assert await client.close_frame() == CloseConnection(1000, "")


async def test_client_close_reaches_the_app_with_code_and_reason() -> None:
    app = EchoApp()
    async with ws_server(app) as server, ws_client(server) as ws:
        await ws.aclose(4002, "done here")
    assert await app.disconnect() == {
        "type": "websocket.disconnect",
        "code": 4002,
        "reason": "done here",
    }


@pytest.mark.parametrize(
    ("payload", "echo"),
    [(b"\x0f\xa3ciao", CloseConnection(4003, "ciao")), (b"", CloseConnection(1005, ""))],
    ids=["code", "no-code"],
)
async def test_client_close_is_answered_with_the_same_code(
    payload: bytes, echo: CloseConnection
) -> None:
    app = EchoApp()
    async with ws_server(app) as server, raw_client(server) as client:
        await client.stream.send_all(frame(0x8, payload))
        assert await client.close_frame() == echo
        assert await client.stream.receive_some() == b""  # and the server hangs up
    assert await app.disconnect() == {
        "type": "websocket.disconnect",
        "code": echo.code,
        "reason": echo.reason,
    }


async def test_client_dropping_the_connection_is_1006() -> None:
    app = EchoApp()
    async with ws_server(app) as server:
        async with raw_client(server) as client:
            await client.send(TextMessage(data="last words"))
            assert await client.next_event() == TextMessage(data="last words")
        assert await app.disconnect() == {
            "type": "websocket.disconnect",
            "code": 1006,
            "reason": "",
        }


async def test_client_resetting_the_connection_is_1006() -> None:
    app = EchoApp()
    async with ws_server(app) as server:
        async with raw_client(server) as client:
            assert isinstance(client.stream, trio.SocketStream)
            # Linger 0: closing sends a reset rather than an orderly end of stream.
            client.stream.socket.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        assert (await app.disconnect())["code"] == 1006


async def test_send_after_close_raises_a_closed_error_and_close_again_is_ignored() -> None:
    raised: list[BaseException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close"})
        await send({"type": "websocket.close", "code": 4000})
        try:
            await send({"type": "websocket.send", "text": "too late"})
        except OSError as error:
            raised.append(error)

    async with ws_server(app) as server, raw_client(server) as client:
        assert await client.close_frame() == CloseConnection(1000, "")
    assert [type(error) for error in raised] == [WebSocketClosedError]


async def test_client_close_is_noticed_while_the_app_is_busy_elsewhere() -> None:
    may_send = trio.Event()
    ended = trio.Event()
    outcome: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await may_send.wait()  # not receiving
        with pytest.raises(WebSocketClosedError):
            await send({"type": "websocket.send", "bytes": b"anyone?"})
        outcome.append(await receive())
        ended.set()

    async with ws_server(app) as server:
        async with ws_client(server) as ws:
            await ws.aclose(4004)  # returns once the server has answered the close
        may_send.set()
        with trio.fail_after(5):
            await ended.wait()
    assert outcome == [{"type": "websocket.disconnect", "code": 4004, "reason": ""}]


async def test_app_returning_after_accept_closes_with_1000() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    async with ws_server(app) as server, raw_client(server) as client:
        assert await client.close_frame() == CloseConnection(1000, "")
        await client.send(CloseConnection(1000))
        assert await client.stream.receive_some() == b""


async def test_app_error_after_accept_closes_with_1011_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "before the error"})
        raise KeyError("boom")

    async with ws_server(app) as server, ws_client(server) as ws:
        assert await ws.get_message() == "before the error"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.get_message()
    assert close_code(closed.value) == 1011
    [record] = [r for r in caplog.records if r.name == "trioquart.server"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)


async def test_closed_error_escaping_the_app_is_logged_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ended = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await receive()
            await send({"type": "websocket.accept"})
            await receive()  # the client's close
            await send({"type": "websocket.send", "text": "unheard"})
        finally:
            ended.set()  # the server logs before its next checkpoint

    caplog.set_level(logging.DEBUG, "trioquart.server")
    async with ws_server(app) as server:
        async with ws_client(server) as ws:
            await ws.aclose()
        with trio.fail_after(5):
            await ended.wait()
    [record] = [r for r in caplog.records if r.name == "trioquart.server"]
    assert record.levelno == logging.DEBUG
    assert "WebSocketClosedError" in record.getMessage()
