"""The hub: this process's subscribers, each with a bounded buffer, by channel.

Delivering never waits. A message is put in each subscriber's buffer with ``send_nowait``; a
subscriber whose buffer is full is dropped (its subscription raises
``SubscriberTooSlowError``) rather than allowed to stall the others. The hub owns no task
and does no I/O: the backends call ``Hub.deliver`` and ``Hub.report_gap``, and the
``Broadcast`` adds and removes subscribers.
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

from .errors import Gap, Message, SubscriberTooSlowError
from .pacing import Pacer


@dataclass(frozen=True)
class HubStatistics:
    """A snapshot of a hub.

    Attributes:
        channels: the channels with a subscriber in this process.
        subscribers: the subscriptions open in this process.
        dropped: the subscribers dropped for being too slow, since the hub was made.
    """

    channels: int
    subscribers: int
    dropped: int


class Subscription:
    """One subscriber's messages: an async iterator of ``str``, ``bytes`` and ``Gap``.

    Made by ``Broadcast.subscribe``. Iteration ends when the broadcast closes.
    """

    def __init__(self, channel: str, buffer: int) -> None:
        self.channel = channel
        self.buffer = buffer
        self.dropped = False
        self._send, self._receive = trio.open_memory_channel[Message | Gap](buffer)
        self._pacer = Pacer()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message | Gap:
        """The next message, waiting for one. A cancel point; messages already buffered are
        taken in bursts (see ``pacing``).

        Raises:
            SubscriberTooSlowError: this subscriber fell behind and was dropped.
            StopAsyncIteration: the broadcast closed.
        """
        await self._pacer.checkpoint()
        if self.dropped:
            raise SubscriberTooSlowError(self.channel, self.buffer)
        try:
            return self._receive.receive_nowait()
        except trio.WouldBlock:
            pass
        except trio.EndOfChannel:
            raise StopAsyncIteration from None
        try:
            item = await self._receive.receive()
        except trio.EndOfChannel:
            # A subscriber waiting here has an empty buffer, so it cannot have been dropped:
            # the channel ended because the broadcast closed.
            raise StopAsyncIteration from None
        self._pacer.yielded()
        return item

    def statistics(self) -> trio.MemoryChannelStatistics:
        """The buffer's statistics (``current_buffer_used`` is how far behind it is)."""
        return self._receive.statistics()

    def _put(self, item: Message | Gap) -> bool:
        """Buffer ``item``; ``False`` if the buffer is full. Not a checkpoint."""
        try:
            self._send.send_nowait(item)
        except trio.WouldBlock:
            return False
        return True

    def _end(self) -> None:
        self._send.close()


class Hub:
    """The subscribers of this process, by channel."""

    def __init__(self, buffer: int) -> None:
        self.buffer = buffer
        self._channels: dict[str, set[Subscription]] = {}
        self._dropped = 0
        self._closed = False

    @property
    def channels(self) -> list[str]:
        """The channels with a subscriber here."""
        return list(self._channels)

    def add(self, channel: str, buffer: int | None = None) -> Subscription:
        """A new subscription to ``channel`` with a buffer of ``buffer`` (the hub's default
        when ``None``). Not a checkpoint."""
        subscription = Subscription(channel, self.buffer if buffer is None else buffer)
        if self._closed:
            subscription._end()
        else:
            self._channels.setdefault(channel, set()).add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> bool:
        """Take ``subscription`` out; whether its channel has no subscriber here any more.
        Not a checkpoint; removing twice does nothing more."""
        subscribers = self._channels.get(subscription.channel)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._channels[subscription.channel]
        subscription._end()
        return subscription.channel not in self._channels

    def deliver(self, channel: str, item: Message | Gap) -> None:
        """Buffer ``item`` for every subscriber of ``channel``, dropping those that are full.
        Not a checkpoint."""
        for subscription in list(self._channels.get(channel, ())):
            if not subscription._put(item):
                self._drop(subscription)

    def report_gap(self, reason: str) -> None:
        """Tell every subscriber that messages may have been lost. Not a checkpoint."""
        for channel in list(self._channels):
            self.deliver(channel, Gap(channel, reason))

    def close(self) -> None:
        """End every subscription (their iteration stops) and take no new ones."""
        self._closed = True
        for subscribers in self._channels.values():
            for subscription in subscribers:
                subscription._end()
        self._channels.clear()

    def statistics(self) -> HubStatistics:
        """How many channels and subscribers there are, and how many were dropped."""
        return HubStatistics(
            channels=len(self._channels),
            subscribers=sum(len(subscribers) for subscribers in self._channels.values()),
            dropped=self._dropped,
        )

    def _drop(self, subscription: Subscription) -> None:
        subscription.dropped = True
        self._dropped += 1
        self.remove(subscription)
