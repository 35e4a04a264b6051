"""The chat application: a login kept in the session, the page from a template (its script and
style from the static folder), and one websocket per member of a room.

The websocket handshake carries the session cookie, so the handler knows who is connecting
without trusting anything the page sends; a handshake without a login is refused with 401.

Messages and presence go through a ``trioquart.broadcast.Broadcast`` (``rooms.py`` names its
channels), opened while the app serves. Its URL is the ``BROADCAST_URL`` setting:
``memory://`` by default (one process), or ``TRIOQUART_BROADCAST_URL=redis://host:port/db`` in
the environment so that members served by different workers (or machines) share their rooms.
Several processes must also share the session key: with a ``redis://`` broadcast,
``TRIOQUART_SECRET_KEY`` is required.

Each connection subscribes to its room, counts its member in (``rooms.membership``), then
forwards the room's messages to the member while a child of ``websocket.nursery``
(``receive_messages``) publishes what the member types. When the member leaves, the
connection's scope is cancelled and the departure is announced. A member too slow to keep up
is dropped by the broadcast and its connection closed with 1008.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator

import trio
from wsproto.frame_protocol import CloseReason

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
from trioquart.broadcast import Broadcast, Gap, SubscriberTooSlowError

from . import rooms

#: RFC 6455 "policy violation": used for members dropped for being too slow.
TOO_SLOW = CloseReason.POLICY_VIOLATION
MAX_TEXT = 500
MAX_NAME = 40

log = logging.getLogger("examples.chat")
app = TrioQuart(__name__)
# TRIOQUART_BROADCAST_URL and TRIOQUART_SECRET_KEY, from the environment.
app.config.from_prefixed_env()
app.config.setdefault("BROADCAST_URL", "memory://")
if not app.config["SECRET_KEY"]:
    if app.config["BROADCAST_URL"] != "memory://":
        # Several processes: each would make its own key, and a login made by one would be
        # refused by the others.
        raise RuntimeError(
            "The chat demo's BROADCAST_URL is not memory://, so it is served by several "
            "processes, and they must all sign sessions with the same key: "
            "set TRIOQUART_SECRET_KEY (for example to the output of "
            "'python -c \"import secrets; print(secrets.token_hex())\"')"
        )
    # One process: a random key; logins last until the server restarts.
    app.config["SECRET_KEY"] = secrets.token_hex()
broadcast = Broadcast(app.config["BROADCAST_URL"])


@app.while_serving
async def open_broadcast() -> AsyncIterator[None]:
    """Keep the broadcast connected while the app serves."""
    async with broadcast:
        yield


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
    """Server-sent events: who is in which room (in every process), each time someone joins
    or leaves."""
    if "name" not in session:
        abort(401)

    async def summaries() -> AsyncIterator[ServerSentEvent]:
        # Subscribed before the first summary is read: no change after it goes unseen.
        async with broadcast.subscribe(rooms.ACTIVITY) as changes:
            yield ServerSentEvent(await rooms.summary(broadcast), event="rooms")
            try:
                async for _change in changes:  # a room's name, or a Gap: summarize again
                    yield ServerSentEvent(await rooms.summary(broadcast), event="rooms")
            except SubscriberTooSlowError:
                # The browser stopped reading; ending the stream lets EventSource reconnect.
                log.info("Ending an activity feed: too slow")

    return event_stream(summaries())


@app.get("/rooms")
async def list_rooms() -> dict[str, list[str]]:
    """Who is in which room, in every process."""
    return await rooms.summary(broadcast)


@app.websocket("/ws/<room>")
async def chat(room: str) -> tuple[str, int] | None:
    """Join ``room`` under the session's name and chat until the client leaves."""
    name = session.get("name")
    if name is None:
        return "Log in first.", 401
    # Subscribed before joining: the member's own arrival is the first message it gets.
    async with (
        broadcast.subscribe(rooms.channel(room)) as messages,
        rooms.membership(broadcast, room, name),
    ):
        await websocket.accept()
        websocket.nursery.start_soon(receive_messages, room, name)
        try:
            async for message in messages:
                if isinstance(message, Gap):
                    await websocket.send_json({"type": "gap", "reason": message.reason})
                else:
                    await websocket.send(message)
        except SubscriberTooSlowError:
            log.info("Dropping %s from %s: too slow", name, room)
            await websocket.close(TOO_SLOW, "too slow")
            websocket.nursery.cancel_scope.cancel(reason="subscriber too slow")
    return None


async def receive_messages(room: str, name: str) -> None:
    """Publish what the member sends, until the connection ends."""
    while True:
        text = await websocket.receive()
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        await rooms.publish(
            broadcast, room, {"type": "message", "name": name, "text": text[:MAX_TEXT]}
        )


@app.after_serving
async def say_goodbye() -> None:
    """Log at shutdown (the end-to-end test looks for this line)."""
    log.info("after_serving: chat closed, %d subscribers left", broadcast.statistics().subscribers)
    await trio.lowlevel.checkpoint()
