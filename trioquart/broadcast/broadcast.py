"""``Broadcast``: publish and subscribe by channel, within a process or across processes.

It owns its nursery (the backend's task runs there, and nothing outlives ``async with``),
the ``Hub`` of this process's subscribers, and the bounds:
how far a subscriber may fall behind, and how long ``publish`` may wait. It does not own the
transport (the backend) nor the connections that subscribe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import trio

from .backend import Backend
from .errors import BroadcastUnavailableError, Message
from .hub import Hub, HubStatistics, Subscription
from .presence import Membership
from .urls import backend_for_url

#: Messages that may wait unread for one subscriber before it is dropped.
DEFAULT_BUFFER = 64
#: Seconds ``publish`` (and ``join``, ``members``) wait for an unreachable backend.
DEFAULT_PUBLISH_TIMEOUT = 5.0
#: Seconds a backend gets to undo a subscription or membership when it ends.
CLEANUP_TIMEOUT = 2.0


class Broadcast:
    """Publish and subscribe by channel, and presence by room.

    ``async with broadcast:`` connects and runs the backend in a nursery of the broadcast's
    own; leaving the block ends every subscription and stops every task. Open it for as long
    as the app serves, in a ``while_serving`` generator. Once closed, it may be opened again.

    Args:
        url: ``memory://`` (this process only) or ``redis://host:port/db`` (across
            processes and hosts; needs ``pip install 'trioquart[redis]'``).
        buffer: how many messages a subscriber may leave unread before it is dropped.
        publish_timeout: how many seconds ``publish``, ``join`` and ``members`` wait for an
            unreachable backend.
        backend: a ``Backend`` of your own, used instead of
            the one ``url`` names (``url`` then only names it in messages).

    Raises:
        ValueError: ``url`` names no backend, or ``buffer`` is below 1.
    """

    def __init__(
        self,
        url: str = "memory://",
        *,
        buffer: int = DEFAULT_BUFFER,
        publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        backend: Backend | None = None,
    ) -> None:
        if buffer < 1:
            raise ValueError(f"Broadcast buffer must be at least 1, got {buffer}")
        self.url = url
        self.publish_timeout = publish_timeout
        self._backend = backend_for_url(url) if backend is None else backend
        self._hub = Hub(buffer)
        self._open = False
        self._context: AbstractAsyncContextManager[None] | None = None

    async def __aenter__(self) -> Broadcast:
        if self._context is not None:
            raise RuntimeError(f"Broadcast({self.url!r}) is already open; open it once")
        context = self._run()
        await context.__aenter__()
        self._context = context
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        assert self._context is not None
        context, self._context = self._context, None
        return await context.__aexit__(exc_type, exc, traceback)

    @asynccontextmanager
    async def _run(self) -> AsyncIterator[None]:
        # A fresh hub each time: a broadcast closed by one serving (or test) opens again.
        self._hub = Hub(self._hub.buffer)
        await self._backend.connect()
        async with trio.open_nursery() as nursery:
            await nursery.start(self._backend.run, self._hub)
            self._open = True
            try:
                yield
            finally:
                self._open = False
                self._hub.close()
                nursery.cancel_scope.cancel(reason="broadcast closed")

    async def publish(self, channel: str, message: Message) -> None:
        """Send ``message`` to every subscriber of ``channel``; they receive a ``str`` as a
        ``str`` and ``bytes`` as ``bytes``. A cancel point on every call; over ``memory://`` it
        lets other tasks run once per burst of publishes (``pacing.BURST``), so that each
        subscriber reads a burst at one turn. It waits only while the backend is unreachable,
        at most ``publish_timeout`` seconds.

        Raises:
            TypeError: ``message`` is neither ``str`` nor ``bytes``.
            RuntimeError: the broadcast is not open.
            BroadcastUnavailableError: the backend stayed unreachable ``publish_timeout``
                seconds; the message was not sent.
        """
        if not isinstance(message, str | bytes):
            raise TypeError(
                f"Broadcast.publish() got {type(message).__name__}; publish str or bytes"
            )
        self._check_open("publish")
        with trio.move_on_after(self.publish_timeout):
            await self._backend.publish(channel, message)
            return
        raise BroadcastUnavailableError("publish", _redacted(self.url), self.publish_timeout)

    @asynccontextmanager
    async def subscribe(
        self, channel: str, *, buffer: int | None = None
    ) -> AsyncIterator[Subscription]:
        """Receive what is published on ``channel`` from the moment the block is entered.

        ``async for message in subscription`` yields ``str``, ``bytes``, and a
        ``Gap`` where messages may have been lost. Iteration ends
        when the broadcast closes.

        Args:
            channel: the channel's name.
            buffer: how far this subscriber may fall behind (the broadcast's when ``None``).

        Raises:
            RuntimeError: the broadcast is not open.
            SubscriberTooSlowError: from the iteration, once this subscriber was dropped.
        """
        self._check_open("subscribe")
        subscription = self._hub.add(channel, buffer)
        try:
            await self._backend.subscribe(channel)
            yield subscription
        finally:
            if self._hub.remove(subscription) and self._open:
                with trio.move_on_after(CLEANUP_TIMEOUT, shield=True):
                    await self._backend.unsubscribe(channel)

    @asynccontextmanager
    async def join(self, room: str, member: str) -> AsyncIterator[Membership]:
        """Count ``member`` in ``room`` (see ``members``) for the block.

        The same member may join more than once (two tabs): they stay present until every
        block has ended.

        Raises:
            RuntimeError: the broadcast is not open.
            BroadcastUnavailableError: the backend stayed unreachable ``publish_timeout``
                seconds.
        """
        self._check_open("join")
        membership = Membership(room, member)
        with trio.move_on_after(self.publish_timeout) as waiting:
            await self._backend.join(membership)
        if waiting.cancelled_caught:
            raise BroadcastUnavailableError("join", _redacted(self.url), self.publish_timeout)
        try:
            yield membership
        finally:
            if self._open:
                with trio.move_on_after(CLEANUP_TIMEOUT, shield=True):
                    await self._backend.leave(membership)

    async def members(self, room: str) -> list[str]:
        """Who is in ``room`` now, in every process: the distinct members, sorted. A
        checkpoint.

        Raises:
            RuntimeError: the broadcast is not open.
            BroadcastUnavailableError: the backend stayed unreachable ``publish_timeout``
                seconds.
        """
        self._check_open("members")
        with trio.move_on_after(self.publish_timeout):
            return await self._backend.members(room)
        raise BroadcastUnavailableError("list members", _redacted(self.url), self.publish_timeout)

    @property
    def connected(self) -> bool:
        """Whether the backend's link is up now: ``False`` while Redis is unreachable (for a
        health check); always ``True`` for ``memory://``."""
        return self._open and self._backend.connected

    def statistics(self) -> HubStatistics:
        """This process's channels, subscribers, and how many were dropped for being slow."""
        return self._hub.statistics()

    def _check_open(self, action: str) -> None:
        if not self._open:
            raise RuntimeError(
                f"Cannot {action}: Broadcast({_redacted(self.url)!r}) is not open. Use it "
                "inside 'async with broadcast:', for example in an app.while_serving generator"
            )


def _redacted(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))
