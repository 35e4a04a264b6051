"""The chat application: a page, and one websocket per member of a room.

Each connection runs two children of ``websocket.nursery``: ``receive_messages`` reads what the
member types and publishes it; ``send_messages`` forwards the room's messages to the member. When
the member leaves, the connection's scope is cancelled, both children see ``trio.Cancelled``, and
the ``finally`` announces the departure. A member too slow to keep up is dropped with 1008.
"""

from __future__ import annotations

import logging
from pathlib import Path

import trio

from trioquart import Response, TrioQuart, websocket

from .rooms import Rooms, Subscriber

#: RFC 6455 "policy violation": used for members dropped for being too slow.
TOO_SLOW = 1008
MAX_TEXT = 500

log = logging.getLogger("examples.chat")
app = TrioQuart(__name__)
rooms = Rooms()
PAGE = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")


@app.get("/")
async def index() -> Response:
    """The chat page."""
    return Response(PAGE, mimetype="text/html")


@app.get("/rooms")
async def list_rooms() -> dict[str, list[str]]:
    """Who is in which room."""
    return {room: rooms.names(room) for room in rooms.members}


@app.websocket("/ws/<room>")
async def chat(room: str) -> None:
    """Join ``room`` as ``?name=...`` and chat until the client leaves."""
    name = (websocket.args.get("name") or "anonymous")[:40]
    await websocket.accept()
    subscriber = rooms.join(room, name)
    websocket.nursery.start_soon(receive_messages, room, subscriber)
    websocket.nursery.start_soon(send_messages, room, subscriber)
    # Returning is fine: the connection lives while the two children run.


async def receive_messages(room: str, subscriber: Subscriber) -> None:
    """Publish what the member sends, until the connection ends."""
    try:
        while True:
            text = await websocket.receive()
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            rooms.publish(
                room, {"type": "message", "name": subscriber.name, "text": text[:MAX_TEXT]}
            )
    finally:
        # Runs on disconnect too (as trio.Cancelled unwinds); leave() does not await.
        rooms.leave(room, subscriber)


async def send_messages(room: str, subscriber: Subscriber) -> None:
    """Forward the room's messages to the member; drop the member if it lags."""
    async with subscriber.inbox:
        async for message in subscriber.inbox:
            await websocket.send_json(message)
    if subscriber.dropped:
        log.info("Dropping %s from %s: too slow", subscriber.name, room)
        await websocket.close(TOO_SLOW, "too slow")
        websocket.nursery.cancel_scope.cancel()


@app.after_serving
async def say_goodbye() -> None:
    """Log at shutdown (the end-to-end test looks for this line)."""
    log.info("after_serving: chat closed with %d open rooms", len(rooms.members))
    await trio.lowlevel.checkpoint()
