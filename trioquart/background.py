"""BackgroundNursery: the app-wide nursery handed to users as ``app.nursery``.

It wraps the lifespan's ``trio.Nursery`` with one difference: a task that raises is logged
and ends alone, instead of cancelling its siblings and taking the server down with it. A web
server's background jobs (cache refreshers, fan-out loops) are independent of each other, so
one failing must not stop the rest; code that wants all-or-nothing semantics opens its own
nursery inside a task. ``trio.Cancelled`` still propagates, so shutdown works as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from . import signals
from .signals import got_background_exception

log = logging.getLogger("trioquart")


class BackgroundNursery:
    """A nursery whose tasks' exceptions are logged, not propagated.

    Opened by the lifespan with ``await nursery.start(background.run)`` and closed with
    :meth:`aclose`; it runs in a task of its own, so that it can close before the
    ``while_serving`` generators, which were entered after it opened, are resumed.
    """

    def __init__(self, sender: Any = None) -> None:
        #: What ``got_background_exception`` is sent from (the app).
        self.sender = sender
        self._nursery: trio.Nursery | None = None
        self._stop = trio.Event()
        self._closed = trio.Event()
        self._timeout = 0.0

    @property
    def cancel_scope(self) -> trio.CancelScope:
        """The underlying nursery's cancel scope (cancelled at shutdown)."""
        return self._open_nursery().cancel_scope

    def start_soon(
        self, fn: Callable[..., Awaitable[Any]], *args: Any, name: object = None
    ) -> None:
        """Start ``fn(*args)`` as a background task; errors are logged. Not a checkpoint.

        Raises:
            RuntimeError: the nursery is closed (the app is no longer served).
        """
        self._open_nursery().start_soon(self._logging_errors, fn, args, name=name or fn)

    async def start(
        self, fn: Callable[..., Awaitable[Any]], *args: Any, name: object = None
    ) -> Any:
        """Start ``fn(*args, task_status=...)`` and wait until it reports that it started.

        Errors before ``task_status.started()`` are raised here; later ones are logged.
        """
        nursery = self._open_nursery()
        return await nursery.start(self._logging_errors_after_start, fn, args, name=name or fn)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Open the nursery and keep it open until :meth:`aclose`."""
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                task_status.started()
                await self._stop.wait()
                nursery.cancel_scope.deadline = trio.current_time() + self._timeout
        finally:
            self._nursery = None
            self._closed.set()

    async def aclose(self, timeout: float) -> None:
        """Give the tasks ``timeout`` seconds to finish, cancel the rest, and wait for them."""
        self._timeout = timeout
        self._stop.set()
        await self._closed.wait()

    def _open_nursery(self) -> trio.Nursery:
        if self._nursery is None:
            raise RuntimeError("The app-wide nursery is closed: the app is no longer served.")
        return self._nursery

    async def _logging_errors(
        self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]
    ) -> None:
        try:
            await fn(*args)
        except Exception as error:
            await self._report(fn, error)

    async def _logging_errors_after_start(
        self,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        started = False

        class _Status:
            def started(self, value: Any = None) -> None:
                nonlocal started
                started = True
                task_status.started(value)

        try:
            await fn(*args, task_status=_Status())
        except Exception as error:
            if not started:
                raise
            await self._report(fn, error)

    async def _report(self, fn: Callable[..., Awaitable[Any]], error: Exception) -> None:
        log.error("Background task %r crashed", fn, exc_info=error)
        try:
            await signals.send(got_background_exception, self.sender, exception=error)
        except Exception:
            log.exception("A receiver of got_background_exception failed")
