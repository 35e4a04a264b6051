"""Publish and subscribe across websockets, in one process or across workers.

``Broadcast(url)`` is the entry point; see ``docs/broadcast.md``.
"""

from __future__ import annotations

from .broadcast import Broadcast as Broadcast
from .errors import BroadcastError as BroadcastError
from .errors import BroadcastUnavailableError as BroadcastUnavailableError
from .errors import Gap as Gap
from .errors import Message as Message
from .errors import SubscriberTooSlowError as SubscriberTooSlowError
from .hub import HubStatistics as HubStatistics
from .hub import Subscription as Subscription
from .presence import Membership as Membership

__all__ = [
    "Broadcast",
    "BroadcastError",
    "BroadcastUnavailableError",
    "Gap",
    "HubStatistics",
    "Membership",
    "Message",
    "SubscriberTooSlowError",
    "Subscription",
]
