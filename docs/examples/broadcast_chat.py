"""A chat whose rooms are broadcast channels, with who is in each room.

Run it with ``python -m trioquart run docs.examples.broadcast_chat:app``. Every websocket at
``/rooms/<room>?name=...`` gets what anyone says in that room; ``/rooms/<room>/members``
lists who is there. With ``BROADCAST_URL=redis://localhost:6379/0`` in the environment, the
same code serves one room across several workers.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from wsproto.frame_protocol import CloseReason

from trioquart import TrioQuart, websocket
from trioquart.broadcast import Broadcast, Gap, SubscriberTooSlowError

app = TrioQuart(__name__)
broadcast = Broadcast(os.environ.get("BROADCAST_URL", "memory://"))


@app.while_serving
async def open_broadcast() -> AsyncIterator[None]:
    async with broadcast:  # connected while the app serves; closed (every task ended) after
        yield


async def speak(room: str, name: str) -> None:
    while True:
        text = await websocket.receive()
        if isinstance(text, str):
            await broadcast.publish(f"room:{room}", f"{name}: {text}")


@app.websocket("/rooms/<room>")
async def chat(room: str) -> None:
    name = websocket.args.get("name", "anonymous")
    async with broadcast.subscribe(f"room:{room}") as messages, broadcast.join(room, name):
        await websocket.accept()  # subscribed first: the client misses nothing said after
        websocket.nursery.start_soon(speak, room, name)
        try:
            async for message in messages:
                if isinstance(message, Gap):
                    await websocket.send("(some messages were lost)")
                else:
                    await websocket.send(message)
        except SubscriberTooSlowError:
            # This client stopped reading: the room went on without it.
            await websocket.close(CloseReason.POLICY_VIOLATION, "too slow")
            websocket.nursery.cancel_scope.cancel(reason="subscriber too slow")


@app.get("/rooms/<room>/members")
async def members(room: str) -> dict[str, list[str]]:
    return {"members": await broadcast.members(room)}
