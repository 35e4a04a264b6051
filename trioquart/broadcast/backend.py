"""What a broadcast backend does: the interface between ``Broadcast`` and a transport.

A backend carries published messages to the hubs of every process (its own included) and
keeps the presence of members in rooms. It does not own the local subscribers (the
``Hub`` does) nor the nursery its task runs in (the
``Broadcast`` does).
"""

from __future__ import annotations

import abc

import trio

from .errors import Message
from .hub import Hub
from .presence import Membership


class Backend(abc.ABC):
    """A broadcast transport. Every method is a cancel point (``publish`` may let other tasks
    run only once per burst: see ``pacing``); the others are checkpoints."""

    @property
    def connected(self) -> bool:
        """Whether the link to the transport is up now (a backend with no link: always)."""
        return True

    @abc.abstractmethod
    async def connect(self) -> None:
        """Check that the transport can be reached, before ``run`` (its error is then raised
        as itself, not inside the broadcast's nursery's exception group)."""

    @abc.abstractmethod
    async def run(self, hub: Hub, *, task_status: trio.TaskStatus[None]) -> None:
        """Connect, report started, then deliver incoming messages to ``hub`` until cancelled.

        Started with ``nursery.start`` by the broadcast, which cancels it to close.
        """

    @abc.abstractmethod
    async def publish(self, channel: str, message: Message) -> None:
        """Send ``message`` to every subscriber of ``channel``, in every process."""

    @abc.abstractmethod
    async def subscribe(self, channel: str) -> None:
        """Start receiving ``channel`` in this process (called for each new subscriber)."""

    @abc.abstractmethod
    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel`` (called when its last local subscriber leaves)."""

    @abc.abstractmethod
    async def join(self, membership: Membership) -> None:
        """Count ``membership.member`` in ``membership.room`` until ``leave``."""

    @abc.abstractmethod
    async def leave(self, membership: Membership) -> None:
        """Take back ``membership`` (cleanup: the broadcast shields it, with a timeout)."""

    @abc.abstractmethod
    async def members(self, room: str) -> list[str]:
        """The distinct members of ``room``, sorted."""
