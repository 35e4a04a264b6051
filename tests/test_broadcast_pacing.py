"""Bursts (``trioquart/broadcast/pacing.py``): publishing and reading a busy channel let other
tasks run at least once per ``BURST`` calls, are cancel points on every call, and take
buffered messages without a turn of the scheduler in between."""

from __future__ import annotations

import pytest
import trio

from trioquart.broadcast import Broadcast
from trioquart.broadcast.pacing import BURST, Pacer


class Ticker:
    """A task that counts its turns: it runs once each time the others let it."""

    def __init__(self) -> None:
        self.ticks = 0

    async def run(self) -> None:
        while True:
            self.ticks += 1
            await trio.lowlevel.checkpoint()


async def test_a_pacer_lets_other_tasks_run_once_per_burst(nursery: trio.Nursery) -> None:
    ticker = Ticker()
    nursery.start_soon(ticker.run)
    pacer = Pacer()
    ticks = ticker.ticks
    for _ in range(BURST - 1):
        await pacer.checkpoint()
    assert ticker.ticks == ticks
    # Two schedule points: trio may run this task first at one turn, not at both.
    for _ in range(BURST + 1):
        await pacer.checkpoint()
    assert ticker.ticks > ticks
    nursery.cancel_scope.cancel()


async def test_a_pacer_counts_again_after_the_caller_waited(nursery: trio.Nursery) -> None:
    ticker = Ticker()
    nursery.start_soon(ticker.run)
    pacer = Pacer()
    ticks = ticker.ticks
    for _ in range(BURST - 1):
        await pacer.checkpoint()
    pacer.yielded()
    for _ in range(BURST - 1):
        await pacer.checkpoint()
    assert ticker.ticks == ticks
    nursery.cancel_scope.cancel()


async def test_every_call_of_a_pacer_is_a_cancel_point() -> None:
    pacer = Pacer()
    with trio.CancelScope() as scope:
        scope.cancel()
        with pytest.raises(trio.Cancelled):
            await pacer.checkpoint()
    assert scope.cancelled_caught is False


async def test_publish_in_a_cancelled_scope_delivers_nothing() -> None:
    async with Broadcast() as broadcast, broadcast.subscribe("room") as messages:
        with trio.CancelScope() as scope:
            scope.cancel()
            await broadcast.publish("room", "never")
        assert scope.cancelled_caught
        await broadcast.publish("room", "sent")
        assert await messages.__anext__() == "sent"


async def test_a_publishing_loop_lets_other_tasks_run(nursery: trio.Nursery) -> None:
    async with Broadcast() as broadcast:
        published = 0

        async def publish_forever() -> None:
            nonlocal published
            while True:
                await broadcast.publish("room", "spam")
                published += 1

        nursery.start_soon(publish_forever)
        gaps = []
        for _ in range(10):
            before = published
            await trio.lowlevel.checkpoint()
            gaps.append(published - before)
        nursery.cancel_scope.cancel()
    # Between two turns of this task, the publisher had at most two turns of its own.
    assert 0 < max(gaps) <= 2 * BURST


async def test_a_subscriber_takes_buffered_messages_without_a_turn_in_between(
    nursery: trio.Nursery,
) -> None:
    ticker = Ticker()
    async with Broadcast() as broadcast, broadcast.subscribe("room") as messages:
        nursery.start_soon(ticker.run)
        for number in range(BURST - 1):
            await broadcast.publish("room", str(number))
        ticks = ticker.ticks
        received = [await messages.__anext__() for _ in range(BURST - 1)]
        assert ticker.ticks == ticks
        assert received == [str(number) for number in range(BURST - 1)]
        nursery.cancel_scope.cancel()


async def test_a_subscriber_of_a_busy_channel_lets_other_tasks_run(nursery: trio.Nursery) -> None:
    ticker = Ticker()
    async with Broadcast(buffer=4 * BURST) as broadcast, broadcast.subscribe("room") as messages:
        nursery.start_soon(ticker.run)
        for number in range(3 * BURST):
            broadcast._hub.deliver("room", str(number))
        ticks = ticker.ticks
        for _ in range(3 * BURST):
            await messages.__anext__()
        assert ticker.ticks - ticks >= 2
        nursery.cancel_scope.cancel()


async def test_a_subscriber_whose_broadcast_closed_with_nothing_buffered_stops() -> None:
    async with Broadcast() as broadcast, broadcast.subscribe("room") as messages:
        await broadcast.publish("room", "last")
        broadcast._hub.close()
        assert [message async for message in messages] == ["last"]
