"""The chat application: a login kept in the session, the page from a template (its script and
style from the static folder), and one websocket per member of a room.

The websocket handshake carries the session cookie, so the handler knows who is connecting
without trusting anything the page sends; a handshake without a login is refused with 401.

Each connection runs two children of ``websocket.nursery``: ``receive_messages`` reads what the
member types and publishes it; ``send_messages`` forwards the room's messages to the member. When
the member leaves, the connection's scope is cancelled, both children see ``trio.Cancelled``, and
the ``finally`` announces the departure. A member too slow to keep up is dropped with 1008.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator

import trio

from trioquart import (
    Response,
    ServerSentEvent,
    TrioQuart,
    abort,
    event_stream,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
    websocket,
)

from .rooms import Rooms, Subscriber

#: RFC 6455 "policy violation": used for members dropped for being too slow.
TOO_SLOW = 1008
MAX_TEXT = 500
MAX_NAME = 40

log = logging.getLogger("examples.chat")
app = TrioQuart(__name__)
# TRIOQUART_SECRET_KEY sets the key (needed with several workers, so that all accept the same
# cookies); without it, a random one: logins last until the server restarts.
app.config.from_prefixed_env()
if not app.config["SECRET_KEY"]:
    app.config["SECRET_KEY"] = secrets.token_hex()
rooms = Rooms()


@app.get("/")
async def index() -> str:
    """The chat page, or the login form."""
    if "name" not in session:
        return await render_template("login.html", max_name=MAX_NAME)
    return await render_template("chat.html")


@app.post("/login")
async def login() -> Response:
    """Remember the name in the session (a demo: no password)."""
    name = (await request.form).get("name", "").strip()
    if not name or len(name) > MAX_NAME:
        await flash(f"A name needs 1 to {MAX_NAME} characters.")
    else:
        session["name"] = name
    return redirect(url_for("index"))


@app.post("/logout")
async def logout() -> Response:
    """Forget the login."""
    session.clear()
    return redirect(url_for("index"))


@app.get("/activity")
async def activity() -> Response:
    """Server-sent events: who is in which room, each time someone joins or leaves."""
    if "name" not in session:
        abort(401)

    async def summaries() -> AsyncIterator[ServerSentEvent]:
        while True:
            changed = rooms.changed  # taken first: a change while this one is sent is seen
            yield ServerSentEvent(rooms.summary(), event="rooms")
            await changed.wait()

    return event_stream(summaries())


@app.get("/rooms")
async def list_rooms() -> dict[str, list[str]]:
    """Who is in which room."""
    return {room: rooms.names(room) for room in rooms.members}


@app.websocket("/ws/<room>")
async def chat(room: str) -> tuple[str, int] | None:
    """Join ``room`` under the session's name and chat until the client leaves."""
    name = session.get("name")
    if name is None:
        return "Log in first.", 401
    await websocket.accept()
    subscriber = rooms.join(room, name)
    websocket.nursery.start_soon(receive_messages, room, subscriber)
    websocket.nursery.start_soon(send_messages, room, subscriber)
    # Returning is fine: the connection lives while the two children run.
    return None


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
