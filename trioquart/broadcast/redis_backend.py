"""The ``redis://`` backend, on coredis (anyio-based, so its pub/sub runs under trio).

Theory of operation:

- **One subscriber connection per process.** coredis's ``PubSub`` holds one connection for
  every channel this process's hub has a subscriber for (``_channels``). Publishing and
  presence use the client's pool.
- **A dropped link is survived.** ``run`` keeps a pub/sub open in a loop. coredis's own
  reconnection is turned off (``retry_policy=None``) because it would resubscribe silently:
  here, a lost link ends the pub/sub, ``run`` reconnects with exponential backoff, subscribes
  to every channel again, and only then tells the hub that messages may have been lost (a
  ``Gap``), so the marker sits exactly where the hole is.
- **Publishing retries until the broadcast's bound.** ``publish``, ``join`` and ``members``
  retry with backoff while Redis is unreachable; the ``Broadcast`` gives up after its
  ``publish_timeout``.
- **Presence expires.** Each room is a sorted set of ``<process>:<n>:<member>`` entries
  scored by their expiry (Unix time). This process refreshes its entries every third of
  ``presence_ttl``; a crashed process stops refreshing and its members drop out of
  ``members()`` within ``presence_ttl`` seconds. The workers' clocks are assumed to agree
  within a fraction of the TTL.

It does not own the hub (the broadcast does) nor the nursery its task runs in.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import coredis
import coredis.exceptions
import trio
from coredis.patterns.pubsub import PubSub
from coredis.retry import NoRetryPolicy

from .backend import Backend
from .errors import Message
from .framing import decode, encode
from .hub import Hub
from .presence import Membership

T = TypeVar("T")
log = logging.getLogger(__name__)

#: What a lost or refused link raises, from coredis and from the sockets under it.
LINK_ERRORS = (coredis.exceptions.ConnectionError, TimeoutError, OSError)
#: The prefix of the presence keys.
PRESENCE_PREFIX = "trioquart:presence:"


class RedisBackend(Backend):
    """Messages and presence across processes, through one Redis server.

    Args:
        host, port, db, username, password: where Redis is (from the URL).
        backoff: the first wait before reconnecting or retrying, in seconds; it doubles up to
            ``max_backoff``.
        presence_ttl: seconds after which the members of a process that stopped refreshing
            them are gone.
    """

    def __init__(
        self,
        host: str,
        port: int,
        db: int,
        *,
        username: str | None = None,
        password: str | None = None,
        backoff: float = 0.1,
        max_backoff: float = 5.0,
        presence_ttl: float = 30.0,
    ) -> None:
        self.host, self.port, self.db = host, port, db
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.presence_ttl = presence_ttl
        # Commands are retried here, by _retrying (coredis's own retries would be a second,
        # unbounded-by-us layer).
        self._client: coredis.Redis[bytes] = coredis.Redis(
            host=host,
            port=port,
            db=db,
            username=username,
            password=password,
            retry_policy=NoRetryPolicy(),
        )
        self._channels: set[str] = set()
        self._subscribing: dict[str, trio.Event] = {}
        self._pubsub: PubSub[bytes] | None = None
        self._process = uuid.uuid4().hex
        self._serial = itertools.count()
        self._entries: dict[Membership, str] = {}
        #: Set while the subscriber connection is up; a new one after each drop.
        self._link_up = trio.Event()

    @property
    def connected(self) -> bool:
        """Whether the subscriber connection is up now."""
        return self._link_up.is_set()

    async def connect(self) -> None:
        """Check that Redis listens.

        Raises:
            ConnectionError: it does not.
            PermissionError: it refuses the URL's user name and password.
        """
        error = await self._unreachable()
        if error is not None:
            raise ConnectionError(
                f"Could not connect the broadcast to Redis at {self.host}:{self.port} "
                f"(db {self.db}): {error}; is redis-server running there?"
            ) from error
        # Credentials are checked here too: refused later, inside run(), they would surface
        # as an exception group nested three deep in coredis's and the broadcast's nurseries.
        try:
            async with self._client:
                await self._client.ping()
        except ExceptionGroup as group:
            reason = _first_leaf(group)
            if isinstance(reason, coredis.exceptions.AuthenticationError):
                raise PermissionError(
                    f"Redis at {self.host}:{self.port} refused the broadcast's credentials: "
                    f"{reason}; check the user name and password in the URL"
                ) from reason
            raise ConnectionError(
                f"Could not connect the broadcast to Redis at {self.host}:{self.port} "
                f"(db {self.db}): {reason}; is redis-server running there?"
            ) from reason

    async def run(self, hub: Hub, *, task_status: trio.TaskStatus[None]) -> None:
        """Connect, report started, then keep the subscriber link up until cancelled."""
        self._channels.clear()
        self._entries.clear()
        self._link_up = trio.Event()
        async with self._client, trio.open_nursery() as nursery:
            nursery.start_soon(self._refresh_presence)
            await self._keep_subscribed(hub, task_status)

    async def _keep_subscribed(self, hub: Hub, task_status: trio.TaskStatus[None]) -> None:
        started = False
        delay = self.backoff
        while True:
            try:
                async with self._client.pubsub(
                    retry_policy=None, ignore_subscribe_messages=True
                ) as pubsub:
                    if self._channels:
                        await pubsub.subscribe(*self._channels)
                    self._pubsub = pubsub
                    self._link_up.set()
                    try:
                        if started:
                            hub.report_gap("the link to Redis was lost and is back")
                        else:
                            task_status.started()
                            started = True
                        delay = self.backoff
                        await self._read(hub, pubsub)
                    finally:
                        self._pubsub = None
                        self._link_up = trio.Event()
            except* LINK_ERRORS:
                pass
            # coredis leaves a connection's buffers unclosed when connecting fails (they warn
            # when collected), so a plain TCP probe waits for Redis to listen again first.
            while True:
                await trio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                if await self._unreachable() is None:
                    break

    async def _unreachable(self) -> OSError | None:
        """Why Redis's port refuses a TCP connection now, or ``None`` if it accepts one."""
        try:
            stream = await trio.open_tcp_stream(self.host, self.port)
        except OSError as error:
            return error
        await stream.aclose()
        return None

    async def _read(self, hub: Hub, pubsub: PubSub[bytes]) -> None:
        while True:
            message = await pubsub.get_message()
            if message is None or message["type"] != "message":
                continue  # acknowledgements (filtered to None by coredis)
            # A client without decode_responses hands out bytes (coredis types it wider).
            channel = cast(bytes, message["channel"]).decode()
            try:
                item = decode(cast(bytes, message["data"]))
            except ValueError:
                log.warning("Ignored a message on channel %r not published by a Broadcast", channel)
                continue
            hub.deliver(channel, item)

    async def publish(self, channel: str, message: Message) -> None:
        """Publish ``message`` on ``channel``, retrying while Redis is unreachable."""
        frame = encode(message)
        await self._retrying(lambda: self._client.publish(channel, frame))

    async def subscribe(self, channel: str) -> None:
        """Subscribe the process's connection to ``channel``, unless it is already. While the
        link is down this only records the channel: it is subscribed on reconnection."""
        # A second subscriber that arrives while the first waits for Redis's acknowledgement
        # waits for it too: returning at once could miss the first messages.
        acknowledged = self._subscribing.get(channel)
        if acknowledged is not None:
            await acknowledged.wait()
            return
        if channel in self._channels:
            await trio.lowlevel.checkpoint()
            return
        self._channels.add(channel)
        acknowledged = self._subscribing[channel] = trio.Event()
        try:
            await self._tell_pubsub(channel, subscribe=True)
        finally:
            del self._subscribing[channel]
            acknowledged.set()

    async def unsubscribe(self, channel: str) -> None:
        """Unsubscribe the process's connection from ``channel``."""
        self._channels.discard(channel)
        await self._tell_pubsub(channel, subscribe=False)

    async def _tell_pubsub(self, channel: str, *, subscribe: bool) -> None:
        pubsub = self._pubsub
        if pubsub is None:
            await trio.lowlevel.checkpoint()
            return
        try:
            if subscribe:
                await pubsub.subscribe(channel)
            else:
                await pubsub.unsubscribe(channel)
        except LINK_ERRORS:
            # Either the link dropped meanwhile (run() reconnects and subscribes to every
            # channel again), or the acknowledgement is late (the command went out and Redis
            # applies it when it gets to it). Neither is the subscriber's error.
            pass

    async def join(self, membership: Membership) -> None:
        """Add an entry for the member to the room's sorted set, refreshed until ``leave``."""
        entry = f"{self._process}:{next(self._serial)}:{membership.member}"
        await self._write_entry(membership.room, entry)
        self._entries[membership] = entry

    async def leave(self, membership: Membership) -> None:
        """Remove the member's entry (if Redis is unreachable, it expires)."""
        entry = self._entries.pop(membership)
        await self._retrying(lambda: self._client.zrem(_key(membership.room), [entry]))

    async def members(self, room: str) -> list[str]:
        """The distinct members of ``room`` whose entries have not expired, sorted."""
        key = _key(room)
        now = time.time()
        await self._retrying(lambda: self._client.zremrangebyscore(key, 0, now))
        entries = await self._retrying(
            lambda: self._client.zrange(key, now, "+inf", sortby=coredis.PureToken.BYSCORE)
        )
        return sorted({_member(entry) for entry in entries})

    async def _write_entry(self, room: str, entry: str) -> None:
        key = _key(room)
        expiry = time.time() + self.presence_ttl
        await self._retrying(lambda: self._client.zadd(key, {entry: expiry}))
        await self._retrying(lambda: self._client.expire(key, int(self.presence_ttl * 2) + 1))

    async def _refresh_presence(self) -> None:
        while True:
            await trio.sleep(self.presence_ttl / 3)
            for membership, entry in list(self._entries.items()):
                with trio.move_on_after(self.presence_ttl / 3):
                    await self._write_entry(membership.room, entry)

    async def _retrying(self, command: Callable[[], Awaitable[T]]) -> T:
        """``command()``, run once the link is up, and again after each link error (the
        caller bounds the wait)."""
        delay = self.backoff
        while True:
            await self._link_up.wait()
            try:
                return await command()
            except LINK_ERRORS:
                # The subscriber loop may not have seen the drop yet: back off meanwhile.
                await trio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def _key(room: str) -> str:
    return PRESENCE_PREFIX + room


def _member(entry: Any) -> str:
    text = entry.decode() if isinstance(entry, bytes) else str(entry)
    return text.split(":", 2)[2]
