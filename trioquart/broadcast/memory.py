"""The ``memory://`` backend: one process, no dependency. Publishing delivers straight to the
hub; presence lives in a ``Roster``. It runs no task."""

from __future__ import annotations

import trio

from .backend import Backend
from .errors import Message
from .hub import Hub
from .pacing import Pacer
from .presence import Membership, Roster


class MemoryBackend(Backend):
    """Messages and presence within this process."""

    def __init__(self) -> None:
        self._hub: Hub | None = None
        self._roster = Roster()
        self._pacer = Pacer()

    async def connect(self) -> None:
        """Nothing to reach."""
        await trio.lowlevel.checkpoint()

    async def run(self, hub: Hub, *, task_status: trio.TaskStatus[None]) -> None:
        """Attach to ``hub`` with no member anywhere, and return at once."""
        self._hub = hub
        self._roster = Roster()
        task_status.started()

    async def publish(self, channel: str, message: Message) -> None:
        """Deliver ``message`` to the hub's subscribers of ``channel``. A cancel point; a
        schedule point only once per burst (see ``pacing``), so that subscribers find several
        messages at each turn."""
        await self._pacer.checkpoint()
        assert self._hub is not None, "run() attaches the hub before any publish"
        self._hub.deliver(channel, message)

    async def subscribe(self, channel: str) -> None:
        """Nothing to do: the hub has the subscriber."""
        await trio.lowlevel.checkpoint()

    async def unsubscribe(self, channel: str) -> None:
        """Nothing to do: the hub has dropped the subscriber."""
        await trio.lowlevel.checkpoint()

    async def join(self, membership: Membership) -> None:
        """Count the member in its room."""
        await trio.lowlevel.checkpoint()
        self._roster.add(membership.room, membership.member)

    async def leave(self, membership: Membership) -> None:
        """Count the member out of its room."""
        await trio.lowlevel.checkpoint()
        self._roster.discard(membership.room, membership.member)

    async def members(self, room: str) -> list[str]:
        """The distinct members of ``room``, sorted."""
        await trio.lowlevel.checkpoint()
        return self._roster.members(room)
