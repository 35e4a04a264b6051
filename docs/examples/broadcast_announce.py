"""Publishing from an HTTP view: an announcement reaches every websocket listening."""

from __future__ import annotations

from collections.abc import AsyncIterator

from trioquart import TrioQuart, request, websocket
from trioquart.broadcast import Broadcast, BroadcastUnavailableError

app = TrioQuart(__name__)
broadcast = Broadcast(publish_timeout=2.0)


@app.while_serving
async def open_broadcast() -> AsyncIterator[None]:
    async with broadcast:
        yield


@app.post("/announce")
async def announce() -> tuple[str, int]:
    text = await request.get_data(as_text=True)
    try:
        await broadcast.publish("announcements", text)
    except BroadcastUnavailableError:
        return "announcements are unavailable, try again later", 503
    return "announced", 202


@app.websocket("/announcements")
async def announcements() -> None:
    async with broadcast.subscribe("announcements") as messages:
        await websocket.accept()
        async for message in messages:
            if isinstance(message, str):  # a Gap says some were lost: nothing to show
                await websocket.send(message)
