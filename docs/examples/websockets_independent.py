"""Sending and receiving independently: two tasks in the connection's nursery."""

from __future__ import annotations

import trio

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)

TICK_SECONDS = 1.0


async def sending() -> None:
    count = 0
    while True:
        count += 1
        await websocket.send(f"tick {count}")
        await trio.sleep(TICK_SECONDS)


async def receiving() -> None:
    while True:
        data = await websocket.receive()
        if data == "stop":
            # Ends both tasks; the framework then closes the connection with 1000.
            websocket.nursery.cancel_scope.cancel()
            return
        await websocket.send(f"echo: {data!r}")


@app.websocket("/ws")
async def ws() -> None:
    websocket.nursery.start_soon(sending)
    websocket.nursery.start_soon(receiving)
    # Returning now is fine: the connection stays open while the children run.
