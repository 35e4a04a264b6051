"""How websocket connections end in the less travelled ways: a client gone before the
handshake, errors while ending, closes at shutdown that cannot be sent or never run out, and
the order of an accept and a close sent from two tasks."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio
import trio.testing

from trioquart import Response, TrioQuart, websocket
from trioquart.errors import single_error
from trioquart.testing import TestClient, WebsocketDisconnectError, WebsocketResponseError
from trioquart.websocket_state import WebsocketClosedError

WEBSOCKET_SCOPE: Any = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "path": "/ws",
    "query_string": b"",
    "headers": [(b"host", b"localhost")],
}


class Peer:
    """One raw ASGI websocket connection to ``app``, driven by the test like a server would."""

    def __init__(self, app: TrioQuart, on_send: Any = None) -> None:
        self.app = app
        self.sent: list[dict[str, Any]] = []
        self.accepted = trio.Event()
        self.to_app, self.from_peer = trio.open_memory_channel[dict[str, Any]](10)
        self.to_app.send_nowait({"type": "websocket.connect"})
        self._on_send = on_send

    async def send(self, message: Any) -> None:
        self.sent.append(dict(message))
        if message["type"] == "websocket.accept":
            self.accepted.set()
        if self._on_send is not None:
            await self._on_send(self, message)

    async def run(self) -> None:
        await self.app(WEBSOCKET_SCOPE, self.from_peer.receive, self.send)


async def serve_forever() -> None:
    await websocket.accept()
    await trio.sleep_forever()


async def test_client_gone_before_the_handshake_runs_no_handler(app: TrioQuart) -> None:
    ran: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        ran.append("handler")

    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "websocket.disconnect", "code": 1006}

    async def send(message: Any) -> None:
        sent.append(message)

    with trio.fail_after(5):
        await app(WEBSOCKET_SCOPE, receive, send)
    assert ran == []
    assert sent == []
    assert len(app.connected_websockets) == 0


async def test_close_all_survives_a_close_the_server_cannot_send(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trioquart")
    app.websocket("/ws")(serve_forever)

    async def broken_close(peer: Peer, message: Any) -> None:
        if message["type"] == "websocket.close":
            raise OSError("connection reset")

    peer = Peer(app, broken_close)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(peer.run)
            await peer.accepted.wait()
            await app.connected_websockets.close_all(1001, "server shutting down")
            # The handler was cancelled all the same; the server then reports the end.
            peer.to_app.send_nowait({"type": "websocket.disconnect", "code": 1001})
    assert [message["type"] for message in peer.sent] == ["websocket.accept", "websocket.close"]
    assert len(app.connected_websockets) == 0
    [record] = [r for r in caplog.records if r.getMessage().startswith("Could not send the close")]
    assert record.getMessage() == "Could not send the close to <Websocket '/ws' closed>"
    assert isinstance(record.exc_info and record.exc_info[1], OSError)


async def test_close_all_stops_after_three_passes_while_connections_keep_arriving(
    app: TrioQuart,
) -> None:
    app.websocket("/ws")(serve_forever)
    peers: list[Peer] = []

    async with trio.open_nursery() as nursery:

        async def connect() -> Peer:
            peer = Peer(app, arrive_while_closing)
            peers.append(peer)
            nursery.start_soon(peer.run)
            await peer.accepted.wait()
            return peer

        async def arrive_while_closing(peer: Peer, message: Any) -> None:
            # Each close of a pass lets one more client in before the pass ends.
            if message["type"] == "websocket.close":
                await connect()

        with trio.fail_after(5):
            await connect()
            await app.connected_websockets.close_all(1001, "server shutting down")
            closes = [
                [
                    message.get("code")
                    for message in peer.sent
                    if message["type"] == "websocket.close"
                ]
                for peer in peers
            ]
            # Three passes closed one connection each; the one that came during the last pass
            # is left open.
            assert closes == [[1001], [1001], [1001], []]
            assert list(app.connected_websockets) != []
            for peer in peers:
                peer.to_app.send_nowait({"type": "websocket.disconnect", "code": 1001})
    assert len(app.connected_websockets) == 0


async def test_an_error_raised_once_the_client_left_is_logged(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture, autojump_clock: Any
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        websocket.nursery.start_soon(trio.sleep_forever)  # a child, cancelled with the rest
        try:
            await trio.sleep_forever()
        finally:
            raise ValueError("cleanup failed")

    async with client.websocket("/ws"):
        pass  # leaving: the watch service sees the client go and cancels the connection
    # Nobody is left to get a close frame: the error is only logged.
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "Exception in websocket /ws after it was cancelled"
    assert record.exc_info is not None
    assert record.exc_info[1] is not None
    assert isinstance(single_error(record.exc_info[1]), ValueError)


async def test_an_invalid_value_returned_before_accept_is_a_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def handler() -> Any:
        return 42

    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket("/ws"):
            pass
    assert caught.value.response.status_code == 500
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert isinstance(record.exc_info and record.exc_info[1], TypeError)


async def test_sending_after_its_own_close_ends_the_handler_quietly(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.close(4000, "done")
        await websocket.send("too late")

    async with client.websocket("/ws") as connection:
        with pytest.raises(WebsocketDisconnectError) as caught:
            await connection.receive()
    assert (caught.value.code, caught.value.reason) == (4000, "done")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_accept_after_a_rejection_is_refused(app: TrioQuart, client: TestClient) -> None:
    refused: list[type[BaseException]] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.close()  # before accept: a 403 rejection
        try:
            await websocket.accept()
        except WebsocketClosedError as error:
            refused.append(type(error))

    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket("/ws"):
            pass
    assert caught.value.response.status_code == 403
    assert refused == [WebsocketClosedError]


async def test_after_websocket_hook_returning_none_keeps_the_rejection(
    app: TrioQuart, client: TestClient
) -> None:
    seen: list[int] = []

    @app.websocket("/ws")
    async def handler() -> Response:
        return Response("members only", status=401)

    @app.after_websocket
    async def look(response: Response | None) -> None:
        assert response is not None
        seen.append(response.status_code)

    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket("/ws"):
            pass
    assert seen == [401]
    assert caught.value.response.status_code == 401
    assert await caught.value.response.get_data() == b"members only"


async def test_a_close_from_another_task_waits_for_the_accept_in_flight(app: TrioQuart) -> None:
    release_accept = trio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(websocket.accept)
            await trio.testing.wait_all_tasks_blocked()  # the accept is with the server
            nursery.start_soon(websocket.close, 1000)
            await trio.testing.wait_all_tasks_blocked()  # the close waits for it
            release_accept.set()

    async def slow_accept(peer: Peer, message: Any) -> None:
        if message["type"] == "websocket.accept":
            await release_accept.wait()

    peer = Peer(app, slow_accept)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(peer.run)
            await release_accept.wait()
            await trio.testing.wait_all_tasks_blocked()
            peer.to_app.send_nowait({"type": "websocket.disconnect", "code": 1000})
    assert [message["type"] for message in peer.sent] == ["websocket.accept", "websocket.close"]


async def test_a_loop_that_only_sends_ends_after_the_server_refuses_its_messages(
    app: TrioQuart,
) -> None:
    """Refused sends return (the messages are dropped, as Hypercorn drops them) but still let
    the others run: the reader started for the handler reads the disconnect, which cancels it."""
    sends = 0
    ended: list[str] = []

    @app.websocket("/ws")
    async def ticker() -> None:
        nonlocal sends
        await websocket.accept()
        try:
            while sends < 10_000:
                sends += 1
                await websocket.send("tick")
        except trio.Cancelled:
            ended.append("cancelled")
            raise

    async def refuse_after_three(peer: Peer, message: Any) -> None:
        if message["type"] == "websocket.send" and len(peer.sent) > 3:
            if len(peer.sent) == 4:
                peer.to_app.send_nowait({"type": "websocket.disconnect", "code": 1006})
            raise OSError("the client has gone")

    peer = Peer(app, refuse_after_three)
    with trio.fail_after(5):
        await peer.run()
    assert ended == ["cancelled"]
    assert sends < 100
