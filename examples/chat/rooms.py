"""Rooms and their fan-out: one bounded trio memory channel per subscriber.

Publishing never waits: a message is put in each subscriber's buffer with ``send_nowait``. A
subscriber whose buffer is full is too slow to keep up; it is dropped (its channel is closed)
rather than allowed to stall the whole room, and its connection closes with 1008.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import trio

#: Messages that may wait for one slow subscriber before it is dropped.
SUBSCRIBER_BUFFER = 64

Message = dict[str, Any]


@dataclass(eq=False)
class Subscriber:
    """One connection's place in a room."""

    name: str
    inbox: trio.MemoryReceiveChannel[Message]
    outbox: trio.MemorySendChannel[Message]
    dropped: bool = False


@dataclass
class Rooms:
    """Every room by name, with its current subscribers."""

    buffer: int = SUBSCRIBER_BUFFER
    members: dict[str, set[Subscriber]] = field(default_factory=lambda: defaultdict(set))
    #: Set (and replaced by a new one) whenever someone joins or leaves a room: a watcher
    #: keeps the event it saw before reading the rooms, so no change slips by unseen.
    changed: trio.Event = field(default_factory=trio.Event)

    def join(self, room: str, name: str) -> Subscriber:
        """Add ``name`` to ``room`` and announce it to everyone there (the newcomer included)."""
        outbox, inbox = trio.open_memory_channel[Message](self.buffer)
        subscriber = Subscriber(name, inbox, outbox)
        self.members[room].add(subscriber)
        self.publish(room, {"type": "join", "name": name, "members": self.names(room)})
        self._touch()
        return subscriber

    def leave(self, room: str, subscriber: Subscriber) -> None:
        """Remove ``subscriber`` from ``room`` and tell the others. Not a checkpoint."""
        members = self.members.get(room)
        if members is None or subscriber not in members:
            return
        members.discard(subscriber)
        subscriber.outbox.close()
        if members:
            self.publish(
                room, {"type": "leave", "name": subscriber.name, "members": self.names(room)}
            )
        else:
            del self.members[room]
        self._touch()

    def publish(self, room: str, message: Message) -> None:
        """Deliver ``message`` to every subscriber of ``room``, dropping the ones that lag."""
        for subscriber in list(self.members.get(room, ())):
            try:
                subscriber.outbox.send_nowait(message)
            except trio.WouldBlock:
                subscriber.dropped = True
                self.leave(room, subscriber)
            except trio.ClosedResourceError:
                self.leave(room, subscriber)

    def summary(self) -> dict[str, list[str]]:
        """Every room with its members' names."""
        return {room: self.names(room) for room in sorted(self.members)}

    def _touch(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    def names(self, room: str) -> list[str]:
        """The names in ``room``, sorted."""
        return sorted(subscriber.name for subscriber in self.members.get(room, ()))
