"""Plain ``def`` functions where trioquart awaits: they run in a worker thread.

Quart accepts a plain function wherever it takes an ``async def`` one (views, hooks, error
handlers) and runs it in a thread, so blocking code (a database driver without async support)
does not stop the event loop. trioquart does the same with ``trio.to_thread.run_sync``, which
copies the caller's context into the thread: ``request``, ``session``, ``g`` and
``current_app`` work there as in the task that called it.

Functions are wrapped once, when they are registered, so a request pays nothing to find out
which kind it has.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from typing import Any, TypeVar

import trio

T = TypeVar("T")

_DONE = object()

#: Seconds a plain generator's ``close()`` may take when its stream ends.
CLOSE_TIMEOUT = 5.0


def is_async_callable(function: Callable[..., Any]) -> bool:
    """Whether calling ``function`` gives an awaitable or an async iterator (an ``async def``
    function, async generator function, or an object whose ``__call__`` is one)."""
    call = getattr(type(function), "__call__", None)  # noqa: B004 - the class's, not the object's
    return any(
        inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate)
        for candidate in (function, call)
    )


def run_sync(function: Callable[..., Any]) -> Callable[..., Any]:
    """An ``async def`` wrapper that calls ``function`` in a worker thread.

    The thread is not interrupted when the caller is cancelled (threads cannot be): the
    cancellation takes effect once the function returns, and what it returned is dropped.
    """

    @functools.wraps(function)
    async def call_in_thread(*args: Any, **kwargs: Any) -> Any:
        return await trio.to_thread.run_sync(functools.partial(function, *args, **kwargs))

    call_in_thread.__trioquart_sync__ = function  # type: ignore[attr-defined]
    return call_in_thread


def ensure_async(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` itself if it is async (see :func:`is_async_callable`), else
    :func:`run_sync` of it."""
    if is_async_callable(function):
        return function
    return run_sync(function)


async def iterate_in_thread(iterable: Iterable[T]) -> AsyncGenerator[T, None]:
    """Iterate a plain iterable (a generator streaming a body) one item per worker-thread
    call, so that a blocking ``next`` does not stop the event loop. Closing this async
    iterator closes a generator too (its ``finally`` runs in a thread as well)."""
    iterator: Iterator[T] = iter(iterable)
    try:
        while True:
            item: Any = await trio.to_thread.run_sync(next, iterator, _DONE)
            if item is _DONE:
                return
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            # Shielded (the stream may end by cancellation) but bounded: a generator whose
            # cleanup hangs is left to its thread rather than holding the request.
            with trio.move_on_after(CLOSE_TIMEOUT, shield=True):
                await trio.to_thread.run_sync(close, abandon_on_cancel=True)
