"""Rooms over a ``trioquart.broadcast.Broadcast``: what is said in a room, who is in it, and
which rooms have anyone in them, in this process or, with a ``redis://`` broadcast, in every
process that shares the Redis server.

Names on the broadcast:

- channel ``room:<room>``: the room's messages, as JSON text (``{"type": "message" | "join" |
  "leave", "name": ..., ...}``);
- presence room ``room:<room>``: the names of the room's members;
- presence room ``rooms``: the rooms with a member (each member's connection counts its room
  there), so the activity feed can list them across processes;
- channel ``activity``: a ping on every join and leave, for the activity feed.

The broadcast is neither opened nor closed here: the app does that while it serves.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio

from trioquart.broadcast import Broadcast

#: The presence room that lists the rooms with members.
ROOM_INDEX = "rooms"
#: The channel pinged whenever someone joins or leaves a room.
ACTIVITY = "activity"
#: Seconds a departure may take to be announced once its connection is gone.
LEAVE_TIMEOUT = 2.0

Message = dict[str, Any]


def channel(room: str) -> str:
    """The broadcast channel (and presence room) of ``room``."""
    return f"room:{room}"


async def publish(broadcast: Broadcast, room: str, message: Message) -> None:
    """Say ``message`` in ``room``, to its members in every process. A checkpoint."""
    await broadcast.publish(channel(room), json.dumps(message))


@asynccontextmanager
async def membership(broadcast: Broadcast, room: str, name: str) -> AsyncIterator[None]:
    """Count ``name`` in ``room`` for the block, announcing the arrival and the departure.

    The departure is announced even when the block ends by cancellation (the client left):
    shielded, for at most ``LEAVE_TIMEOUT`` seconds, and only while the broadcast is
    connected (a departure during an outage goes unannounced; the feed's next summary is
    right again).
    """
    joined = False
    try:
        async with broadcast.join(channel(room), name), broadcast.join(ROOM_INDEX, room):
            await _announce(broadcast, room, "join", name)
            joined = True
            yield
    finally:
        # The memberships have ended here, so the members listed no longer include this one.
        if joined and broadcast.connected:
            with trio.move_on_after(LEAVE_TIMEOUT, shield=True):
                await _announce(broadcast, room, "leave", name)


async def _announce(broadcast: Broadcast, room: str, kind: str, name: str) -> None:
    members = await broadcast.members(channel(room))
    await publish(broadcast, room, {"type": kind, "name": name, "members": members})
    await broadcast.publish(ACTIVITY, room)


async def summary(broadcast: Broadcast) -> dict[str, list[str]]:
    """Every room with a member, with its members' names (in every process). A checkpoint."""
    return {
        room: await broadcast.members(channel(room)) for room in await broadcast.members(ROOM_INDEX)
    }
