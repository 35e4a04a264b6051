"""The broadcast's exception types and the gap marker a subscription yields.

The tree::

    BroadcastError                 every error of the broadcast
    ├── SubscriberTooSlowError     a subscriber's buffer filled up: it was dropped
    └── BroadcastUnavailableError  the backend stayed unreachable: nothing was done

Misuse (a broadcast that is not open, a bad URL, a message that is neither ``str`` nor
``bytes``) raises ``RuntimeError``, ``ValueError`` or ``TypeError``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What a broadcast carries: received as the type it was published as.
Message = str | bytes


class BroadcastError(Exception):
    """The base class of the broadcast's errors."""


class SubscriberTooSlowError(BroadcastError):
    """Raised by a subscription whose reader fell ``buffer`` messages behind and was dropped.

    The others are not held up by it. A websocket handler turns it into a close with 1008.

    Attributes:
        channel: the channel subscribed to.
        buffer: how many messages could wait unread.
    """

    def __init__(self, channel: str, buffer: int) -> None:
        super().__init__(
            f"The subscriber of channel {channel!r} fell {buffer} messages behind and was "
            "dropped so as not to stall the others; close its connection (1008) or subscribe "
            "again"
        )
        self.channel = channel
        self.buffer = buffer

    def __repr__(self) -> str:
        return f"SubscriberTooSlowError(channel={self.channel!r}, buffer={self.buffer})"


class BroadcastUnavailableError(BroadcastError):
    """Raised by ``publish()``, ``join()`` and ``members()`` when the backend stayed
    unreachable for the broadcast's ``publish_timeout``; nothing was done.

    Attributes:
        action: what could not be done (``"publish"``, ``"join"``, ``"list members"``).
        url: the broadcast's URL (without a password).
        waited: the seconds waited.
    """

    def __init__(self, action: str, url: str, waited: float) -> None:
        super().__init__(
            f"Could not {action}: the broadcast backend at {url} was unreachable for "
            f"{waited:g} seconds; try again later"
        )
        self.action = action
        self.url = url
        self.waited = waited

    def __repr__(self) -> str:
        return (
            f"BroadcastUnavailableError(action={self.action!r}, url={self.url!r}, "
            f"waited={self.waited!r})"
        )


@dataclass(frozen=True)
class Gap:
    """Yielded by a subscription where messages may have been lost (the backend's link
    dropped): what was published while it was down never arrives.

    Attributes:
        channel: the channel subscribed to.
        reason: what happened, for logs.
    """

    channel: str
    reason: str
