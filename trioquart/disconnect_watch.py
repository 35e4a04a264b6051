"""DisconnectWatch: notices clients that leave while their handler is busy elsewhere.

Theory of operation: most requests finish in microseconds, and a watcher task per request
(a nursery plus a task that gets cancelled) costs several times more than the request itself.
So a connection only *registers* here (a dict insert); a single service task ticks every
``DISCONNECT_WATCH_DELAY`` seconds while connections are registered, and any connection that
has been idle for a whole tick (no activity since before the previous tick: its ``idle_ticks``
counter, which the service raises at each tick and the connection zeroes when active, has
reached 2) and is not receiving right now gets a watcher task (its ``watch`` method) in the
service's nursery. A
request that finishes before then never costs a task; a slow handler or a stream is watched
after at most two ticks, and a disconnect then cancels its scope.

Websocket connections use the same service: while their handler keeps calling ``receive()`` it
reads the client directly (and so sees a disconnect itself); a handler busy elsewhere for a
whole tick gets a reader task (see ``websocket_inbox.py``).

The service runs while the app is served (it is started by the lifespan, see ``lifespan.py``).
When it is not running, for example under the plain test client, ``register`` says so and the
caller falls back to a watcher task of its own from the start: slower, and equally correct.
"""

from __future__ import annotations

from typing import Protocol

import trio


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
    """Hands out disconnect watchers to connections idle for longer than ``delay`` seconds."""

    def __init__(self) -> None:
        self._nursery: trio.Nursery | None = None
        #: The number of ticks so far.
        self.tick = 0
        self._registered: dict[Watchable, None] = {}
        self._wake: trio.Event | None = None

    @property
    def running(self) -> bool:
        """Whether the service task is running (connections can take the fast path)."""
        return self._nursery is not None

    async def run(
        self, delay: float, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Run the service until cancelled. Start it with ``nursery.start``."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            try:
                while True:
                    if not self._registered:
                        self._wake = trio.Event()
                        await self._wake.wait()
                    await trio.sleep(delay)
                    self.tick += 1
                    self._start_watchers(nursery)
            finally:
                self._nursery = None
                self._wake = None

    def _start_watchers(self, nursery: trio.Nursery) -> None:
        # Idle since before the previous tick, so for at least ``delay`` seconds; a connection
        # active since then may be a fast request about to finish, or a handler between reads.
        overdue = []
        for watched in self._registered:
            watched.idle_ticks += 1
            if watched.idle_ticks >= 2 and not watched.receiving:
                overdue.append(watched)
        for watched in overdue:
            self._start(nursery, watched)

    def _start(self, nursery: trio.Nursery, watched: Watchable) -> None:
        del self._registered[watched]
        watched.watch_scope = trio.CancelScope()
        nursery.start_soon(watched.watch)

    def register(self, watched: Watchable) -> bool:
        """Watch ``watched`` once it has been idle for a tick. Not a checkpoint.

        Returns:
            ``False`` when the service is not running; the caller must watch by itself.
        """
        if self._nursery is None:
            return False
        watched.idle_ticks = 0
        self._registered[watched] = None
        if self._wake is not None:
            self._wake.set()
            self._wake = None
        return True

    def watch_now(self, watched: Watchable) -> None:
        """Start the watcher of a registered connection at once. Not a checkpoint."""
        if self._nursery is not None and watched in self._registered:
            self._start(self._nursery, watched)

    def unregister(self, watched: Watchable) -> None:
        """Stop watching ``watched``, cancelling its watcher task if one was started."""
        if self._registered.pop(watched, 0) is not None and watched.watch_scope is not None:
            watched.watch_scope.cancel(reason="connection finished")
