"""A broadcast behind real websockets: Hypercorn's trio worker on 127.0.0.1, trio-websocket
clients, the ``memory://`` backend opened in ``while_serving``.

A slow client is made by not reading: its server-side handler then blocks in ``send`` once the
socket buffers are full, its subscription falls behind, and the broadcast drops it. The test
publishes until the broadcast reports the drop (its statistics, in this process), never by
timing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import trio
from trio_websocket import ConnectionClosed, WebSocketConnection

from trioquart import TrioQuart, websocket
from trioquart.broadcast import Broadcast, Gap, SubscriberTooSlowError
from trioquart.websocket_state import CloseCode

from .conftest import close_code, close_reason, open_websocket, served

#: Large messages fill the socket buffers of a client that does not read in few messages.
MESSAGE_SIZE = 256 * 1024


def add_chat(app: TrioQuart, broadcast: Broadcast) -> None:
    @app.while_serving
    async def open_broadcast() -> AsyncIterator[None]:
        async with broadcast:
            yield

    async def publish_received() -> None:
        while True:
            await broadcast.publish("room", await websocket.receive())

    @app.websocket("/chat")
    async def chat() -> None:
        async with broadcast.subscribe("room") as messages:
            await websocket.accept()  # subscribed before the client can send
            websocket.nursery.start_soon(publish_received)
            try:
                async for message in messages:
                    if not isinstance(message, Gap):
                        await websocket.send(message)
            except SubscriberTooSlowError:
                await websocket.close(CloseCode.POLICY_VIOLATION, "too slow")
                websocket.nursery.cancel_scope.cancel(reason="subscriber too slow")


async def test_broadcast_reaches_every_websocket(app: TrioQuart, nursery: trio.Nursery) -> None:
    broadcast = Broadcast()
    add_chat(app, broadcast)
    with trio.fail_after(10):
        async with (
            served(nursery, app) as server,
            open_websocket(server, "/chat") as alice,
            open_websocket(server, "/chat") as bob,
        ):
            await alice.send_message("hello from alice")
            await bob.send_message(b"\x00bytes from bob")
            for connection in (alice, bob):
                assert await connection.get_message() == "hello from alice"
                assert await connection.get_message() == b"\x00bytes from bob"


async def test_broadcast_closes_a_slow_websocket_with_1008(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    broadcast = Broadcast(buffer=4)
    add_chat(app, broadcast)
    sent: list[bytes] = []
    with trio.fail_after(30):
        async with (
            served(nursery, app) as server,
            open_websocket(server, "/chat") as alice,
            open_websocket(server, "/chat") as bob,
            open_websocket(server, "/chat") as slow,
        ):
            # alice publishes and both fast clients keep up; ``slow`` reads nothing.
            while broadcast.statistics().dropped == 0:
                message = len(sent).to_bytes(4, "big") * (MESSAGE_SIZE // 4)
                sent.append(message)
                await alice.send_message(message)
                for connection in (alice, bob):
                    assert await connection.get_message() == message
            assert broadcast.statistics().subscribers == 2
            # The others still keep up after the drop.
            await bob.send_message("still here")
            for connection in (alice, bob):
                assert await connection.get_message() == "still here"
            received = await read_until_closed(slow)
            assert close_code(received.closed) == CloseCode.POLICY_VIOLATION
            assert close_reason(received.closed) == "too slow"
            assert received.messages == sent[: len(received.messages)]
            assert len(received.messages) < len(sent)
    assert len(sent) > 4


class Received:
    """What a client read before its connection closed."""

    def __init__(self, messages: list[str | bytes], closed: ConnectionClosed) -> None:
        self.messages = messages
        self.closed = closed


async def read_until_closed(connection: WebSocketConnection) -> Received:
    """Every message ``connection`` gets, then how it closed."""
    messages: list[str | bytes] = []
    while True:
        try:
            messages.append(await connection.get_message())
        except ConnectionClosed as closed:
            return Received(messages, closed)
