"""Presence: a member's place in a room (``Membership``), and who is in which room in one
process (``Roster``, counted per member, so one member in two tabs stays present until
both have left). The memory backend keeps its presence in a roster."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class Membership:
    """One presence of ``member`` in ``room`` (each join is its own, compared by identity).

    Attributes:
        room: the room joined.
        member: who joined, as the application names them.
    """

    room: str
    member: str


class Roster:
    """Members by room, counted."""

    def __init__(self) -> None:
        self._rooms: dict[str, Counter[str]] = {}

    def add(self, room: str, member: str) -> None:
        """Count ``member`` in ``room`` once more."""
        self._rooms.setdefault(room, Counter())[member] += 1

    def discard(self, room: str, member: str) -> None:
        """Count ``member`` in ``room`` once less; rooms and members at zero are forgotten."""
        counts = self._rooms.get(room)
        if counts is None or not counts[member]:
            return
        counts[member] -= 1
        if not counts[member]:
            del counts[member]
        if not counts:
            del self._rooms[room]

    def members(self, room: str) -> list[str]:
        """The distinct members of ``room``, sorted."""
        return sorted(self._rooms.get(room, ()))
