"""Clients that reset the TCP connection after a burst leave nothing behind (issue 11, defect 2).

The handler has a sender and a receiver in ``websocket.nursery``. Each client sends a burst of
messages while the server keeps sending to it, then resets the connection (``SO_LINGER`` 0:
the server sees a RST, not a FIN). Many connections do this; the server's tasks and the
process's open files must come back to where they were, with every handler finished.

The slow receiver makes the race of the issue certain rather than occasional: when the RST
arrives, Hypercorn's reader is still waiting to put the burst into its queue for the app (10
events), and the sender's next write fails, which makes Hypercorn deliver
``websocket.disconnect`` from inside that send, ahead of the messages its reader still holds.
Whatever the app does after the disconnect, Hypercorn's reader must not be left waiting to
deliver those messages.
"""

from __future__ import annotations

import socket
import struct

import pytest
import trio
import trio.testing
from trio_websocket import wrap_client_stream

from trioquart import TrioQuart, websocket

from .conftest import Baseline, RunningServer

CLIENTS = 60
BATCH = 20  # clients connected at once


async def reset_after_burst(server: RunningServer, number: int, burst: int) -> None:
    """Open a websocket, send ``burst`` messages, then reset the connection."""
    stream = await trio.open_tcp_stream(server.host, server.port)
    try:
        async with trio.open_nursery() as nursery:
            connection = await wrap_client_stream(
                nursery, stream, f"{server.host}:{server.port}", "/ws"
            )
            for index in range(burst):
                await connection.send_message(f"{number}:{index}")
            # Reset: no close frame, no FIN; the server's next read or write fails.
            stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            await stream.aclose()
            nursery.cancel_scope.cancel()
    finally:
        await stream.aclose()


@pytest.mark.parametrize(
    ("burst", "work"),
    [
        pytest.param(20, 0.0, id="20 messages"),
        # Fewer than 11 messages left behind the disconnect fit Hypercorn's queue: the race
        # needs a longer burst than the server can take at once.
        pytest.param(80, 0.002, id="80 messages, receiver working 2 ms on each"),
    ],
)
async def test_reset_after_burst_leaves_no_task_or_file(
    app: TrioQuart, server: RunningServer, burst: int, work: float
) -> None:
    started = 0
    finished = 0

    @app.websocket("/ws")
    async def sender_and_receiver() -> None:
        nonlocal started, finished
        started += 1
        try:
            await websocket.accept()

            async def sender() -> None:
                index = 0
                while True:
                    await websocket.send(f"tick {index}")
                    index += 1
                    await trio.sleep(0.002)

            async def receiver() -> None:
                while True:
                    await websocket.receive()
                    if work:
                        await trio.sleep(work)

            websocket.nursery.start_soon(sender)
            websocket.nursery.start_soon(receiver)
            await trio.sleep_forever()
        finally:
            finished += 1

    await trio.testing.wait_all_tasks_blocked()
    baseline = Baseline.now()

    with trio.fail_after(10):
        for first in range(0, CLIENTS, BATCH):
            async with trio.open_nursery() as clients:
                for number in range(first, first + BATCH):
                    clients.start_soon(reset_after_burst, server, number, burst)

    await baseline.wait_until_back()
    assert started == CLIENTS
    assert finished == CLIENTS
    assert len(app.connected_websockets) == 0
