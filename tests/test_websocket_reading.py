"""Reading a websocket client when things go wrong: this side closing under waiting receivers,
a reader task whose receive or close fails, a message too big for the reader's queue, and a
server whose receive fails while the connection drains."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio
import trio.testing

from trioquart import TrioQuart, WebsocketClosedError, websocket
from trioquart.testing import TestClient, WebsocketDisconnectError

WEBSOCKET_SCOPE: Any = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "path": "/ws",
    "query_string": b"",
    "headers": [(b"host", b"localhost")],
}


class Peer:
    """A raw ASGI server side for one connection: the test queues what ``receive`` returns
    (an exception is raised instead), and ``send`` records the app's messages; a close makes
    ``send`` raise ``close_error``, if given."""

    def __init__(self, app: TrioQuart, close_error: Exception | None = None) -> None:
        self.app = app
        self.sent: list[dict[str, Any]] = []
        self.accepted = trio.Event()
        self.finished = trio.Event()
        self.to_app, self._from_peer = trio.open_memory_channel[dict[str, Any] | Exception](10)
        self.to_app.send_nowait({"type": "websocket.connect"})
        self._close_error = close_error

    async def receive(self) -> Any:
        item = await self._from_peer.receive()
        if isinstance(item, Exception):
            raise item
        return item

    async def send(self, message: Any) -> None:
        self.sent.append(dict(message))
        if message["type"] == "websocket.accept":
            self.accepted.set()
        if message["type"] == "websocket.close" and self._close_error is not None:
            raise self._close_error
        await trio.lowlevel.checkpoint()

    async def run(self) -> None:
        try:
            await self.app(WEBSOCKET_SCOPE, self.receive, self.send)
        finally:
            self.finished.set()

    def sent_types(self) -> list[str]:
        return [message["type"] for message in self.sent]


def text(data: str) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": data}


async def two_receivers(record: list[Any]) -> None:
    """Accept, then receive in two tasks at once (so a reader task takes over), recording what
    each gets, ``"closed"`` or ``("cancelled", close code)``; waits until both are done."""
    await websocket.accept()

    async def receive_one() -> None:
        try:
            record.append(await websocket.receive())
        except WebsocketClosedError:
            record.append("closed")
        except trio.Cancelled:
            record.append(("cancelled", websocket.close_code))
            raise

    async with trio.open_nursery() as nursery:
        nursery.start_soon(receive_one)
        nursery.start_soon(receive_one)


def two_receivers_recording(record: list[Any]) -> Any:
    """A handler that runs ``two_receivers(record)``."""

    async def handler() -> None:
        await two_receivers(record)

    return handler


async def test_closing_wakes_every_waiting_receiver_with_an_error(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(two_receivers, record)
            # One receiver reads the server directly, the other waits on the reader's queue.
            await trio.testing.wait_all_tasks_blocked()
            await websocket.close(1000)

    async with client.websocket("/ws") as connection:
        with pytest.raises(WebsocketDisconnectError) as caught:
            await connection.receive()
    assert caught.value.code == 1000
    assert record == ["closed", "closed"]


async def test_a_message_too_big_for_the_reader_closes_with_1009(
    app: TrioQuart, client: TestClient
) -> None:
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 4
    record: list[Any] = []

    app.websocket("/ws")(two_receivers_recording(record))

    async with client.websocket("/ws") as connection:
        await connection.send("ok")  # read directly by the first receiver
        await connection.send("too big")  # read by the reader task
        with pytest.raises(WebsocketDisconnectError) as caught:
            await connection.receive()
    assert (caught.value.code, caught.value.reason) == (1009, "message too big")
    assert record == ["ok", ("cancelled", 1009)]


async def test_a_reader_that_cannot_send_its_close_logs_and_ends_the_connection(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 4
    record: list[Any] = []

    app.websocket("/ws")(two_receivers_recording(record))
    peer = Peer(app, close_error=OSError("connection reset"))
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(peer.run)
            await peer.accepted.wait()
            peer.to_app.send_nowait(text("ok"))
            peer.to_app.send_nowait(text("too big"))
            await trio.testing.wait_all_tasks_blocked()
            peer.to_app.send_nowait({"type": "websocket.disconnect", "code": 1001})
            await peer.finished.wait()
    assert record == ["ok", ("cancelled", 1009)]
    assert peer.sent_types() == ["websocket.accept", "websocket.close"]
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage() == "Error while reading websocket /ws; closing it"


async def test_a_receive_failing_in_the_reader_counts_as_the_client_dropping(
    app: TrioQuart,
) -> None:
    record: list[Any] = []

    app.websocket("/ws")(two_receivers_recording(record))
    peer = Peer(app)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(peer.run)
            await peer.accepted.wait()
            peer.to_app.send_nowait(text("ok"))  # the direct receiver's
            peer.to_app.send_nowait(OSError("reading the socket failed"))  # the reader's
            # The connection dropped: the drain reads on until the server has nothing more,
            # here until its receive fails again.
            peer.to_app.send_nowait(OSError("still failing"))
            await peer.finished.wait()
    assert record == ["ok", ("cancelled", 1006)]
    assert peer.sent_types() == ["websocket.accept"]  # nobody left to close


async def test_the_drain_ends_when_the_servers_receive_fails(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trioquart")

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.close(1000)

    peer = Peer(app)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(peer.run)
            await peer.accepted.wait()
            await trio.testing.wait_all_tasks_blocked()
            assert not peer.finished.is_set()  # draining: waits for the client to go
            peer.to_app.send_nowait(OSError("connection reset"))
            await peer.finished.wait()
    assert peer.sent_types() == ["websocket.accept", "websocket.close"]
    assert "receive() failed while draining a websocket" in caplog.messages


async def test_the_reader_skips_messages_that_are_not_websocket_messages(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    record: list[Any] = []
    app.websocket("/ws")(two_receivers_recording(record))
    peer = Peer(app)
    with caplog.at_level(logging.DEBUG, logger="trioquart"):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(peer.run)
            await peer.accepted.wait()
            await trio.testing.wait_all_tasks_blocked()  # one receiver direct, one via the reader
            await peer.to_app.send(text("first"))
            await trio.testing.wait_all_tasks_blocked()
            await peer.to_app.send({"type": "websocket.unexpected"})  # to the reader task
            await peer.to_app.send(text("second"))
            await trio.testing.wait_all_tasks_blocked()
            await peer.to_app.send({"type": "websocket.disconnect", "code": 1000})
    assert sorted(record) == ["first", "second"]
    assert "Ignoring an unexpected ASGI message 'websocket.unexpected'" in caplog.text


async def test_begin_close_refuses_a_code_a_close_frame_cannot_carry(
    app: TrioQuart, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        with pytest.raises(ValueError, match="70000"):
            websocket.begin_close(70000)
        await websocket.send("still open")

    async with client.websocket("/ws") as connection:
        assert await connection.receive() == "still open"
