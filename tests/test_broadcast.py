"""``Broadcast`` over the ``memory://`` backend (``trioquart/broadcast/broadcast.py``), in
process: publish and subscribe, str and bytes, slow subscribers, closing, misuse, presence.

Time is virtual where a test waits (``autojump_clock``); ordering uses
``wait_all_tasks_blocked``.
"""

from __future__ import annotations

import re

import pytest
import trio
import trio.testing

import trioquart.broadcast
from trioquart.broadcast import (
    Broadcast,
    BroadcastUnavailableError,
    Gap,
    HubStatistics,
    Message,
    SubscriberTooSlowError,
)
from trioquart.broadcast.backend import Backend
from trioquart.broadcast.hub import Hub
from trioquart.broadcast.memory import MemoryBackend
from trioquart.broadcast.presence import Membership


async def test_broadcast_keeps_str_and_bytes() -> None:
    async with (
        Broadcast() as broadcast,
        broadcast.subscribe("room") as first,
        broadcast.subscribe("room") as second,
    ):
        messages: list[Message] = ["text", b"\x00bytes", "", b""]
        for message in messages:
            await broadcast.publish("room", message)
        for subscription in (first, second):
            for message in messages:
                received = await subscription.__anext__()
                assert received == message
                assert type(received) is type(message)


async def test_broadcast_channels_are_separate() -> None:
    async with (
        Broadcast() as broadcast,
        broadcast.subscribe("a") as a,
        broadcast.subscribe("b") as b,
    ):
        await broadcast.publish("a", "for a")
        await broadcast.publish("b", "for b")
        assert await a.__anext__() == "for a"
        assert await b.__anext__() == "for b"
        assert broadcast.statistics() == HubStatistics(channels=2, subscribers=2, dropped=0)
        assert broadcast.connected
    assert broadcast.statistics() == HubStatistics(channels=0, subscribers=0, dropped=0)
    assert not broadcast.connected


async def test_broadcast_drops_the_slow_subscriber_and_keeps_the_others() -> None:
    async with Broadcast(buffer=64) as broadcast:
        async with (
            broadcast.subscribe("room", buffer=3) as slow,
            broadcast.subscribe("room") as fast,
        ):
            for number in range(10):
                await broadcast.publish("room", str(number))
                assert await fast.__anext__() == str(number)
            with pytest.raises(SubscriberTooSlowError):
                async for _ in slow:
                    pass  # pragma: no cover - dropped before the first read
        assert broadcast.statistics().dropped == 1


async def test_broadcast_close_ends_subscriptions_and_their_loops() -> None:
    record: list[Message | Gap] = []

    async def listen(
        broadcast: Broadcast, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        async with broadcast.subscribe("room") as messages:
            task_status.started()
            async for message in messages:
                record.append(message)
        record.append("ended")

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery, Broadcast() as broadcast:
            await nursery.start(listen, broadcast)
            await broadcast.publish("room", "hello")
            await trio.testing.wait_all_tasks_blocked()
            assert record == ["hello"]
            # The broadcast is closed; the nursery exits only once the loop has ended.
    assert record == ["hello", "ended"]


async def test_broadcast_subscriber_cancelled_while_waiting() -> None:
    """The subscriber's scope is cancelled while it waits for a message: it sees
    ``trio.Cancelled`` there, and its channel is given up."""
    record: list[str] = []
    unsubscribed: list[str] = []

    class Recording(MemoryBackend):
        async def unsubscribe(self, channel: str) -> None:
            await super().unsubscribe(channel)
            unsubscribed.append(channel)

    async def listen(broadcast: Broadcast) -> None:
        async with broadcast.subscribe("room") as messages:
            try:
                await messages.__anext__()
            except trio.Cancelled:
                record.append("cancelled")
                raise

    async with Broadcast(backend=Recording()) as broadcast, trio.open_nursery() as nursery:
        nursery.start_soon(listen, broadcast)
        await trio.testing.wait_all_tasks_blocked()
        nursery.cancel_scope.cancel(reason="test")
    assert record == ["cancelled"]
    assert unsubscribed == ["room"]


async def test_broadcast_unsubscribes_only_when_the_last_subscriber_leaves() -> None:
    unsubscribed: list[str] = []

    class Recording(MemoryBackend):
        async def unsubscribe(self, channel: str) -> None:
            await super().unsubscribe(channel)
            unsubscribed.append(channel)

    async with Broadcast(backend=Recording()) as broadcast:
        async with broadcast.subscribe("room"):
            async with broadcast.subscribe("room"):
                pass
            assert unsubscribed == []
        assert unsubscribed == ["room"]


class Unreachable(Backend):
    """A backend whose link never comes up: publishing waits forever."""

    async def connect(self) -> None:
        await trio.lowlevel.checkpoint()

    async def run(self, hub: Hub, *, task_status: trio.TaskStatus[None]) -> None:
        task_status.started()

    async def publish(self, channel: str, message: Message) -> None:
        await trio.sleep_forever()

    async def subscribe(self, channel: str) -> None:
        raise OSError("unreachable")

    async def unsubscribe(self, channel: str) -> None:
        await trio.lowlevel.checkpoint()

    async def join(self, membership: Membership) -> None:
        await trio.sleep_forever()

    async def leave(self, membership: Membership) -> None:
        raise AssertionError("never joined")  # pragma: no cover - the point of the test

    async def members(self, room: str) -> list[str]:
        await trio.sleep_forever()


async def test_broadcast_publish_gives_up_after_its_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with Broadcast(
        "custom://user:secret@example.org:1/0", publish_timeout=2.5, backend=Unreachable()
    ) as broadcast:
        start = trio.current_time()
        with pytest.raises(
            BroadcastUnavailableError,
            match=(
                r"^Could not publish: the broadcast backend at "
                r"custom://user:\*\*\*@example.org:1/0 was unreachable for 2.5 seconds; try "
                r"again later$"
            ),
        ) as caught:
            await broadcast.publish("room", "hello")
        assert trio.current_time() - start == pytest.approx(2.5)
        assert repr(caught.value) == (
            "BroadcastUnavailableError(action='publish', url='custom://user:***@example.org:1/0',"
            " waited=2.5)"
        )


async def test_broadcast_publish_is_cancellable() -> None:
    async with Broadcast(backend=Unreachable()) as broadcast:
        with trio.move_on_after(0) as scope:
            await broadcast.publish("room", "hello")
    assert scope.cancelled_caught


async def test_broadcast_failed_subscribe_leaves_no_subscriber() -> None:
    async with Broadcast(backend=Unreachable()) as broadcast:
        with pytest.raises(OSError, match=r"^unreachable$"):
            async with broadcast.subscribe("room"):
                pass  # pragma: no cover - subscribing failed
        assert broadcast.statistics().subscribers == 0


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("memory://", "memory://"),
        ("custom://:secret@host", "custom://:***@host"),
        ("custom://user@host", "custom://user@host"),
    ],
)
async def test_broadcast_misuse_outside_the_block(url: str, shown: str) -> None:
    broadcast = Broadcast(url, backend=MemoryBackend())
    message = (
        rf"^Cannot {{}}: Broadcast\('{re.escape(shown)}'\) is not open. Use it inside 'async with "
        r"broadcast:', for example in an app.while_serving generator$"
    )
    with pytest.raises(RuntimeError, match=message.format("publish")):
        await broadcast.publish("room", "hello")
    with pytest.raises(RuntimeError, match=message.format("subscribe")):
        async with broadcast.subscribe("room"):
            pass  # pragma: no cover - refused
    with pytest.raises(RuntimeError, match=message.format("join")):
        async with broadcast.join("room", "bob"):
            pass  # pragma: no cover - refused
    with pytest.raises(RuntimeError, match=message.format("members")):
        await broadcast.members("room")


async def test_broadcast_opened_twice() -> None:
    async with Broadcast() as broadcast:
        with pytest.raises(
            RuntimeError, match=r"^Broadcast\('memory://'\) is already open; open it once$"
        ):
            await broadcast.__aenter__()


async def test_broadcast_publish_refuses_other_types() -> None:
    async with Broadcast() as broadcast:
        with pytest.raises(
            TypeError, match=r"^Broadcast.publish\(\) got int; publish str or bytes$"
        ):
            await broadcast.publish("room", 1)  # type: ignore[arg-type]


def test_broadcast_buffer_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"^Broadcast buffer must be at least 1, got 0$"):
        Broadcast(buffer=0)


async def test_broadcast_presence_counts_members_until_they_leave() -> None:
    async with Broadcast() as broadcast:
        assert await broadcast.members("room") == []
        async with broadcast.join("room", "bob") as membership:
            assert (membership.room, membership.member) == ("room", "bob")
            async with broadcast.join("room", "alice"), broadcast.join("room", "bob"):
                assert await broadcast.members("room") == ["alice", "bob"]
            assert await broadcast.members("room") == ["bob"]
        assert await broadcast.members("room") == []


async def test_broadcast_presence_left_after_close_is_a_no_op() -> None:
    async with Broadcast() as broadcast:
        membership = broadcast.join("room", "bob")
        await membership.__aenter__()
    await membership.__aexit__(None, None, None)


async def test_broadcast_opens_again_after_closing() -> None:
    broadcast = Broadcast()
    for _ in range(2):
        async with broadcast, broadcast.subscribe("room") as messages, broadcast.join("r", "bob"):
            await broadcast.publish("room", "hello")
            assert await messages.__anext__() == "hello"
            assert await broadcast.members("r") == ["bob"]
            assert broadcast.statistics().subscribers == 1


def test_broadcast_public_names_are_documented() -> None:
    for name in trioquart.broadcast.__all__:
        value = getattr(trioquart.broadcast, name)
        if isinstance(value, type):
            assert value.__doc__, f"trioquart.broadcast.{name} has no docstring"
    assert trioquart.broadcast.Message == str | bytes
