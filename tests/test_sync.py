"""trioquart.sync: plain functions and generators where the framework awaits."""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import aclosing

import pytest
import trio
import trio.testing

from trioquart.sync import ensure_async, is_async_callable, iterate_in_thread, run_sync


async def _async_function() -> str:
    return "async"


async def _async_generator() -> AsyncIterator[int]:
    yield 1


class _AsyncCallable:
    async def __call__(self) -> str:
        return "object"


def test_is_async_callable_knows_every_async_kind() -> None:
    assert is_async_callable(_async_function)
    assert is_async_callable(_async_generator)
    assert is_async_callable(_AsyncCallable())
    assert is_async_callable(functools.partial(_async_function))
    assert not is_async_callable(lambda: None)
    assert not is_async_callable(len)


async def test_ensure_async_keeps_async_functions_and_wraps_plain_ones() -> None:
    assert ensure_async(_async_function) is _async_function

    def plain(value: int, *, times: int) -> tuple[int, str]:
        return value * times, threading.current_thread().name

    wrapped = ensure_async(plain)
    assert wrapped.__name__ == "plain"
    assert wrapped.__trioquart_sync__ is plain  # type: ignore[attr-defined]
    result, thread = await wrapped(3, times=2)
    assert result == 6
    assert thread != threading.current_thread().name


async def test_run_sync_refuses_a_plain_function_that_returns_a_coroutine() -> None:
    def hands_back_a_coroutine() -> Awaitable[str]:
        return _async_function()

    with pytest.raises(TypeError, match="appears to be asynchronous"):
        await run_sync(hands_back_a_coroutine)()


async def test_iterate_in_thread_yields_every_item_then_ends() -> None:
    assert [item async for item in iterate_in_thread(range(3))] == [0, 1, 2]
    assert [item async for item in iterate_in_thread(["a", None, "b"])] == ["a", None, "b"]


async def test_iterate_in_thread_closes_a_generator_that_hangs_in_cleanup_within_a_bound(
    autojump_clock: trio.testing.MockClock,
) -> None:
    release = threading.Event()
    started_close = threading.Event()

    def stubborn() -> Iterator[int]:
        try:
            yield 1
            yield 2  # pragma: no cover - closed after the first item
        finally:
            started_close.set()
            release.wait(10)

    start = trio.current_time()
    async with aclosing(iterate_in_thread(stubborn())) as items:
        async for item in items:
            assert item == 1
            break
    assert trio.current_time() - start == 5.0  # CLOSE_TIMEOUT, then the thread is left
    release.set()
    assert started_close.wait(5)
