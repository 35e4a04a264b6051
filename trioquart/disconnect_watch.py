"""DisconnectWatch: notices clients that leave while their request is still running.

Theory of operation: most requests finish in microseconds, and a watcher task per request
(a nursery plus a task that gets cancelled) costs several times more than the request itself.
So a request only *registers* here (a dict insert); a single service task ticks every
``DISCONNECT_WATCH_DELAY`` seconds while requests are in flight, and any request that was
already registered at the previous tick gets a watcher task (``RequestInbox.watch``) in the
service's nursery. A request that finishes before then never costs a task; a slow handler or
a stream is watched after at most two ticks, and a disconnect then cancels its scope.

The service runs while the app is served (it is started by the lifespan, see ``lifespan.py``).
When it is not running, for example under the plain test client, ``register`` says so and the
caller falls back to a per-request nursery with a watcher task from the start: slower, and
equally correct.
"""

from __future__ import annotations

import trio

from .request_inbox import RequestInbox


class DisconnectWatch:
    """Hands out disconnect watchers to requests that run longer than ``delay`` seconds."""

    def __init__(self) -> None:
        self._nursery: trio.Nursery | None = None
        self._tick = 0
        self._in_flight: dict[RequestInbox, int] = {}
        self._wake: trio.Event | None = None

    @property
    def running(self) -> bool:
        """Whether the service task is running (requests can take the fast path)."""
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
                    if not self._in_flight:
                        self._wake = trio.Event()
                        await self._wake.wait()
                    await trio.sleep(delay)
                    self._tick += 1
                    self._start_watchers(nursery)
            finally:
                self._nursery = None
                self._wake = None

    def _start_watchers(self, nursery: trio.Nursery) -> None:
        # Registered before the previous tick, so in flight for at least ``delay`` seconds; a
        # request registered since then may be a fast one that is about to finish.
        overdue = [inbox for inbox, tick in self._in_flight.items() if tick < self._tick - 1]
        for inbox in overdue:
            del self._in_flight[inbox]
            inbox.watch_scope = trio.CancelScope()
            nursery.start_soon(inbox.watch)

    def register(self, inbox: RequestInbox) -> bool:
        """Watch ``inbox`` from the next-but-one tick on. Not a checkpoint.

        Returns:
            ``False`` when the service is not running; the caller must watch by itself.
        """
        if self._nursery is None:
            return False
        self._in_flight[inbox] = self._tick
        if self._wake is not None:
            self._wake.set()
            self._wake = None
        return True

    def unregister(self, inbox: RequestInbox) -> None:
        """Stop watching ``inbox``, cancelling its watcher task if one was started."""
        if self._in_flight.pop(inbox, None) is None and inbox.watch_scope is not None:
            inbox.watch_scope.cancel(reason="handler finished")
