"""The smallest websocket handler: send every message back as it came."""

from __future__ import annotations

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)


@app.websocket("/ws")
async def echo() -> None:
    while True:
        data = await websocket.receive()  # str for a text frame, bytes for a binary one
        await websocket.send(data)  # the same type goes back
