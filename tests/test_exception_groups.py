"""collapse_cancelled on the groups trio's nurseries really raise."""

from __future__ import annotations

import trio
import trio.testing

from trioquart.errors import collapse_cancelled


async def group_from_nursery_cancelled_from_outside(*failures: Exception) -> BaseException:
    """Cancel a nursery from outside while one child per failure raises it on the way out and
    one more child is just cancelled; return what came out of the nursery."""

    async def fails_when_cancelled(error: Exception) -> None:
        try:
            await trio.sleep_forever()
        finally:
            raise error

    caught: list[BaseException] = []
    with trio.CancelScope() as outside:
        try:
            async with trio.open_nursery() as nursery:
                for error in failures:
                    nursery.start_soon(fails_when_cancelled, error)
                nursery.start_soon(trio.sleep_forever)
                await trio.testing.wait_all_tasks_blocked()
                outside.cancel()
        except BaseException as error:
            caught.append(error)
    [raised] = caught
    return raised


async def test_one_error_among_cancellations_is_that_error() -> None:
    failure = ValueError("cleanup failed")
    group = await group_from_nursery_cancelled_from_outside(failure)
    assert isinstance(group, BaseExceptionGroup)
    assert collapse_cancelled(group) is failure


async def test_two_errors_among_cancellations_stay_a_group() -> None:
    group = await group_from_nursery_cancelled_from_outside(ValueError("one"), KeyError("two"))
    assert collapse_cancelled(group) is group


async def test_cancellations_alone_are_one_cancelled() -> None:
    group = await group_from_nursery_cancelled_from_outside()
    assert isinstance(collapse_cancelled(group), trio.Cancelled)
