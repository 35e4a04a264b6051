"""DisconnectWatch: notices clients that leave while their handler is busy elsewhere.

ASGI reports a client that left only through ``receive()``, so someone must be reading while
a handler waits on anything else. A watcher task per request would do, but it costs a nursery
and a task that is cancelled, several times what a small request costs under a real server.

Theory of operation: a connection *registers* here (a dict insert). One service task ticks
every ``delay`` seconds while connections are registered, and a connection that has been idle
for a whole tick (its ``idle_ticks`` counter, which the service raises at each tick and the
connection zeroes when it reads, has reached 2) and is not receiving right now gets a watcher
task (its ``watch`` method) in the service's nursery. A request that finishes sooner never
costs a task; a slow handler or a stream is watched after at most two ticks, and a disconnect
then cancels its scope. Websocket handlers that keep calling ``receive()`` read the client
themselves, and see it leave without any watcher.

This is the only mechanism, whoever serves the app: while the app is served (the ASGI
lifespan), one service runs for all connections; a connection that arrives without it (the
plain test client, a server without lifespan) runs a service of its own for its lifetime
(``open_disconnect_watch``). Both run this same code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

import trio

from ..errors import collapse_cancelled


class Watchable(Protocol):
    """What the service needs from a connection it watches."""

    #: The scope of the connection's watcher task, once one is started.
    watch_scope: trio.CancelScope | None
    #: Ticks since the connection was registered or last active (it sets 0 when active).
    idle_ticks: int

    @property
    def receiving(self) -> bool:
        """Whether someone is waiting in the connection's ASGI ``receive`` right now."""
        ...

    async def watch(self) -> None:
        """Read the client until it leaves, then cancel the connection's scope."""
        ...


class DisconnectWatch:
    """Hands out disconnect watchers to connections idle for longer than a tick.

    Made and run by :func:`open_disconnect_watch`.
    """

    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        self._registered: dict[Watchable, None] = {}
        self._wake: trio.Event | None = None

    async def _run(self, delay: float) -> None:
        while True:
            if not self._registered:
                self._wake = trio.Event()
                await self._wake.wait()
            await trio.sleep(delay)
            # Idle since before the previous tick, so for at least ``delay`` seconds; one
            # active since then may be a fast request about to finish, or a handler between
            # two reads.
            overdue = []
            for watched in self._registered:
                watched.idle_ticks += 1
                if watched.idle_ticks >= 2 and not watched.receiving:
                    overdue.append(watched)
            for watched in overdue:
                self._start(watched)

    def _start(self, watched: Watchable) -> None:
        del self._registered[watched]
        watched.watch_scope = trio.CancelScope()
        self._nursery.start_soon(watched.watch)

    def register(self, watched: Watchable) -> None:
        """Watch ``watched`` once it has been idle for a tick. Not a checkpoint."""
        watched.idle_ticks = 0
        self._registered[watched] = None
        if self._wake is not None:
            self._wake.set()
            self._wake = None

    def watch_now(self, watched: Watchable) -> None:
        """Start the watcher of a registered connection at once. Not a checkpoint."""
        if watched in self._registered:
            self._start(watched)

    def unregister(self, watched: Watchable) -> None:
        """Stop watching ``watched``, cancelling its watcher task if one was started.

        Not a checkpoint.
        """
        if watched in self._registered:
            del self._registered[watched]
        elif watched.watch_scope is not None:
            watched.watch_scope.cancel(reason="connection finished")


@asynccontextmanager
async def open_disconnect_watch(delay: float) -> AsyncIterator[DisconnectWatch]:
    """Run a ``DisconnectWatch`` service, ticking every ``delay`` seconds, for the block.

    Leaving the block cancels the service and the watchers it started. An error from the
    block, or a cancellation from outside, comes out as itself, not in the group of the
    service's nursery.
    """
    try:
        async with trio.open_nursery() as nursery:
            watch = DisconnectWatch(nursery)
            nursery.start_soon(watch._run, delay)
            yield watch
            nursery.cancel_scope.cancel(reason="disconnect watch closed")
    except BaseExceptionGroup as group:
        collapsed = collapse_cancelled(group)
        if collapsed is group:
            raise
        raise collapsed from None
