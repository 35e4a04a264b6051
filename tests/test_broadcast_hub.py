"""The hub of local subscribers (``trioquart/broadcast/hub.py``): bounded buffers, dropping
the slow, gap markers, closing. No backend and no network."""

from __future__ import annotations

import pytest

from trioquart.broadcast import Gap, HubStatistics, SubscriberTooSlowError
from trioquart.broadcast.hub import Hub


async def test_hub_delivers_to_every_subscriber_of_the_channel_only() -> None:
    hub = Hub(4)
    first, second, other = hub.add("room"), hub.add("room"), hub.add("other")
    hub.deliver("room", "hello")
    hub.deliver("room", b"bytes")
    hub.deliver("nobody", "lost")
    for subscription in (first, second):
        assert await subscription.__anext__() == "hello"
        assert await subscription.__anext__() == b"bytes"
    assert other.statistics().current_buffer_used == 0
    assert sorted(hub.channels) == ["other", "room"]


async def test_hub_drops_a_full_subscriber_and_keeps_the_others() -> None:
    hub = Hub(2)
    slow, fast = hub.add("room"), hub.add("room")
    for number in range(3):
        hub.deliver("room", str(number))
        assert await fast.__anext__() == str(number)
    assert slow.dropped
    assert hub.statistics() == HubStatistics(channels=1, subscribers=1, dropped=1)
    with pytest.raises(SubscriberTooSlowError) as caught:
        await slow.__anext__()
    assert (caught.value.channel, caught.value.buffer) == ("room", 2)
    assert str(caught.value) == (
        "The subscriber of channel 'room' fell 2 messages behind and was dropped so as not to"
        " stall the others; close its connection (1008) or subscribe again"
    )
    assert repr(caught.value) == "SubscriberTooSlowError(channel='room', buffer=2)"
    hub.deliver("room", "after")
    assert await fast.__anext__() == "after"


async def test_hub_per_subscription_buffer() -> None:
    hub = Hub(64)
    subscription = hub.add("room", 1)
    hub.deliver("room", "one")
    hub.deliver("room", "two")
    assert subscription.dropped


async def test_hub_gap_reaches_every_channel() -> None:
    hub = Hub(4)
    first, second = hub.add("a"), hub.add("b")
    hub.report_gap("link down")
    assert await first.__anext__() == Gap("a", "link down")
    assert await second.__anext__() == Gap("b", "link down")


async def test_hub_close_ends_iteration_and_refuses_new_subscribers() -> None:
    hub = Hub(4)
    subscription = hub.add("room")
    hub.deliver("room", "last")
    hub.close()
    assert [message async for message in subscription] == ["last"]
    late = hub.add("room")
    assert [message async for message in late] == []
    assert hub.statistics() == HubStatistics(channels=0, subscribers=0, dropped=0)


def test_hub_remove_says_when_the_channel_is_empty() -> None:
    hub = Hub(4)
    first, second = hub.add("room"), hub.add("room")
    assert not hub.remove(first)
    assert hub.remove(second)
    assert hub.remove(second)  # twice: nothing more
    assert hub.channels == []
