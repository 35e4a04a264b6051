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

log = logging.getLogger("trioquart")


class BackgroundNursery:
    """A nursery whose tasks' exceptions are logged, not propagated.

    Args:
        nursery: the underlying trio nursery (owned by the lifespan).
    """

    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    @property
    def cancel_scope(self) -> trio.CancelScope:
        """The underlying nursery's cancel scope (cancelled at shutdown)."""
        return self._nursery.cancel_scope

    def start_soon(
        self, fn: Callable[..., Awaitable[Any]], *args: Any, name: object = None
    ) -> None:
        """Start ``fn(*args)`` as a background task; errors are logged. Not a checkpoint."""
        self._nursery.start_soon(_logging_errors, fn, args, name=name or fn)

    async def start(
        self, fn: Callable[..., Awaitable[Any]], *args: Any, name: object = None
    ) -> Any:
        """Start ``fn(*args, task_status=...)`` and wait until it reports that it started.

        Errors before ``task_status.started()`` are raised here; later ones are logged.
        """
        return await self._nursery.start(_logging_errors_after_start, fn, args, name=name or fn)


async def _logging_errors(fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
    try:
        await fn(*args)
    except Exception:
        log.exception("Background task %r crashed", fn)


async def _logging_errors_after_start(
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
    except Exception:
        if not started:
            raise
        log.exception("Background task %r crashed", fn)
