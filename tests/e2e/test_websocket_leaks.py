"""No connection outlives its client, however it ends (issue 11, defect 1).

Hypercorn puts each incoming websocket event into a per-connection queue of 10 and waits while
it is full, ``websocket.disconnect`` included. An app that stops reading before the disconnect
has arrived (after its own close, a rejection or an error) would leave that connection's task,
socket and queued messages behind for good, once the client keeps sending. Each test ends a
connection one way while the client floods it, then checks that the server's tasks and the
process's open files come back to where they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trio
import trio.testing
from trio_websocket import (
    ConnectionClosed,
    ConnectionRejected,
    WebSocketConnection,
    wrap_client_stream,
)

from trioquart import TrioQuart, websocket

from .conftest import Baseline, RunningServer

FLOOD = 60  # messages: more than the app's queue and Hypercorn's together


async def flood(connection: WebSocketConnection, message: str) -> None:
    """Send ``FLOOD`` messages, or as many as the server takes before it closes."""
    try:
        for _ in range(FLOOD):
            await connection.send_message(message)
    except ConnectionClosed:
        pass


async def read_until_closed(connection: WebSocketConnection) -> None:
    while True:
        await connection.get_message()


def handler_for(ending: str) -> Callable[[], Any]:
    async def never_reads() -> None:
        await websocket.accept()
        await trio.sleep_forever()

    async def returns() -> None:
        await websocket.accept()

    async def raises() -> None:
        await websocket.accept()
        raise RuntimeError("handler failed")

    async def reads() -> None:
        while True:
            await websocket.receive()

    return {
        "1008 not reading": never_reads,
        "1000 handler returns": returns,
        "1011 handler raises": raises,
        "1009 message too big": reads,
        "client close": never_reads,
        "client reset": never_reads,
    }[ending]


@pytest.mark.parametrize(
    "ending",
    [
        "1008 not reading",
        "1000 handler returns",
        "1011 handler raises",
        "1009 message too big",
        "client close",
        "client reset",
    ],
)
async def test_websocket_connection_ending_leaves_no_task_or_file(
    app: TrioQuart, server: RunningServer, ending: str
) -> None:
    app.config["WEBSOCKET_QUEUE_TIMEOUT"] = 0.2
    app.config["WEBSOCKET_MAX_QUEUE"] = 2
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 1000
    app.websocket("/ws")(handler_for(ending))
    await trio.testing.wait_all_tasks_blocked()
    baseline = Baseline.now()

    stream = await trio.open_tcp_stream(server.host, server.port)
    try:
        async with trio.open_nursery() as nursery:
            connection = await wrap_client_stream(
                nursery, stream, f"{server.host}:{server.port}", "/ws"
            )
            message = "x" * (2000 if ending == "1009 message too big" else 100)
            with trio.move_on_after(2):  # the server may stop reading: flooding then blocks
                await flood(connection, message)
            if ending == "client reset":
                await stream.aclose()
            elif ending == "client close":
                with trio.move_on_after(2):
                    await connection.aclose()
            else:
                with trio.fail_after(5), pytest.raises(ConnectionClosed):
                    await read_until_closed(connection)
            nursery.cancel_scope.cancel()
    except ConnectionRejected:  # pragma: no cover - no ending here rejects
        raise
    finally:
        await stream.aclose()
    await baseline.wait_until_back()
