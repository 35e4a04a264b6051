"""Noticing that the client left, and cleaning up after it."""

from __future__ import annotations

import trio

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)

CLEANUP_SECONDS = 2.0


class Presence:
    """Who is online; a stand-in for a database that is written to with ``await``."""

    def __init__(self) -> None:
        self.online: set[str] = set()
        self.departures: list[tuple[str, int | None, str]] = []

    async def leave(self, user: str, code: int | None, reason: str) -> None:
        await trio.lowlevel.checkpoint()  # pretend to talk to a database
        self.online.discard(user)
        self.departures.append((user, code, reason))


presence = Presence()


@app.websocket("/ws/<user>")
async def ws(user: str) -> None:
    presence.online.add(user)
    try:
        while True:
            await websocket.send(await websocket.receive())
    except trio.Cancelled:
        # The client left: this task is being cancelled. Awaiting now needs a shield,
        # and a deadline so that a stuck database cannot keep the task alive forever.
        with trio.CancelScope(shield=True):
            with trio.move_on_after(CLEANUP_SECONDS):
                await presence.leave(user, websocket.close_code, websocket.close_reason)
        raise  # always re-raise Cancelled
