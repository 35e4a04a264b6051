"""The ``redis://`` backend (``trioquart/broadcast/redis_backend.py``) against a real
``redis-server`` started by the test (``conftest.py``): two ``Broadcast`` instances stand for
two workers.

Real sockets and a real server mean real time: every test is bounded with ``fail_after``, and
waits are for events (a message, a gap, a refused publish), never fixed sleeps, except where
the behaviour is about time itself (presence expiry).
"""

from __future__ import annotations

import logging
from functools import partial

import coredis
import pytest
import trio

from trioquart.broadcast import (
    Broadcast,
    BroadcastUnavailableError,
    Gap,
    Message,
    Subscription,
)
from trioquart.broadcast.redis_backend import RedisBackend

from .conftest import RedisServer, free_port


def worker(
    server: RedisServer, *, publish_timeout: float = 5.0, presence_ttl: float = 30.0
) -> Broadcast:
    """A broadcast as one worker process would open it, with short backoffs for tests."""
    backend = RedisBackend(
        "127.0.0.1", server.port, 0, backoff=0.01, max_backoff=0.2, presence_ttl=presence_ttl
    )
    return Broadcast(server.url, publish_timeout=publish_timeout, backend=backend)


async def wait_disconnected(*broadcasts: Broadcast) -> None:
    """Wait until every one of ``broadcasts`` has seen its link drop (polled: the drop is
    seen by a task inside the backend, with no event to await from here)."""
    while any(broadcast.connected for broadcast in broadcasts):  # noqa: ASYNC110
        await trio.sleep(0.01)


async def next_message(subscription: Subscription) -> Message | Gap:
    with trio.fail_after(5):
        return await subscription.__anext__()


async def test_redis_two_workers_exchange_str_and_bytes(redis_server: RedisServer) -> None:
    with trio.fail_after(10):
        async with (
            worker(redis_server) as first,
            worker(redis_server) as second,
            first.subscribe("room") as on_first,
            second.subscribe("room") as on_second,
            second.subscribe("room") as also_on_second,
        ):
            messages: list[Message] = ["from first", b"\x00bytes", "", b""]
            for message in messages:
                await first.publish("room", message)
            for subscription in (on_first, on_second, also_on_second):
                for message in messages:
                    received = await next_message(subscription)
                    assert received == message
                    assert type(received) is type(message)


async def test_redis_one_subscriber_connection_per_process(redis_server: RedisServer) -> None:
    with trio.fail_after(10):
        async with (
            worker(redis_server) as broadcast,
            coredis.Redis(host="127.0.0.1", port=redis_server.port) as admin,
        ):
            async with broadcast.subscribe("a"), broadcast.subscribe("a"), broadcast.subscribe("b"):
                assert await admin.pubsub_numsub("a", "b") == {b"a": 1, b"b": 1}
            assert await admin.pubsub_numsub("a", "b") == {b"a": 0, b"b": 0}


async def test_redis_restart_mid_conversation(redis_server: RedisServer) -> None:
    """Redis stops while two workers talk: publishing gives up after its bound, the
    subscriptions come back by themselves, and a gap marks where messages were lost."""
    with trio.fail_after(20):
        async with (
            worker(redis_server) as first,
            worker(redis_server, publish_timeout=0.3) as second,
            first.subscribe("room") as messages,
        ):
            await second.publish("room", "before")
            assert await next_message(messages) == "before"
            await redis_server.stop()
            await wait_disconnected(first, second)
            with pytest.raises(BroadcastUnavailableError) as caught:
                await second.publish("room", "during")
            assert caught.value.action == "publish"
            await redis_server.start()
            assert await next_message(messages) == Gap(
                "room", "the link to Redis was lost and is back"
            )
            await second.publish("room", "after")
            assert await next_message(messages) == "after"


async def test_redis_publish_waits_for_the_link_within_its_bound(
    redis_server: RedisServer,
) -> None:
    with trio.fail_after(20):
        async with worker(redis_server) as first, first.subscribe("room") as messages:
            await redis_server.stop()
            await wait_disconnected(first)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(first.publish, "room", "queued while down")
                await redis_server.start()
            # Published once the link was back: the subscriber gets it, around its gap.
            received = {await next_message(messages), await next_message(messages)}
            assert "queued while down" in received


async def test_redis_subscribe_while_the_link_is_down(redis_server: RedisServer) -> None:
    with trio.fail_after(20):
        async with worker(redis_server) as first, worker(redis_server) as second:
            await redis_server.stop()
            await wait_disconnected(first, second)
            async with first.subscribe("late") as messages:
                await redis_server.start()
                assert isinstance(await next_message(messages), Gap)
                await second.publish("late", "hello")
                assert await next_message(messages) == "hello"


async def test_redis_ignores_frames_it_did_not_publish(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    with trio.fail_after(10):
        async with (
            worker(redis_server) as broadcast,
            broadcast.subscribe("room") as messages,
            coredis.Redis(host="127.0.0.1", port=redis_server.port) as admin,
        ):
            await admin.publish("room", b"xforeign")
            await broadcast.publish("room", "ours")
            assert await next_message(messages) == "ours"
    assert caplog.record_tuples == [
        (
            "trioquart.broadcast.redis_backend",
            logging.WARNING,
            "Ignored a message on channel 'room' not published by a Broadcast",
        )
    ]


async def test_redis_unreachable_at_start() -> None:
    port = free_port()
    with trio.fail_after(10), pytest.raises(ConnectionError) as caught:
        async with Broadcast(f"redis://127.0.0.1:{port}/0"):
            pass  # pragma: no cover - never connected
    assert str(caught.value).startswith(
        f"Could not connect the broadcast to Redis at 127.0.0.1:{port} (db 0): "
    )
    assert str(caught.value).endswith("; is redis-server running there?")


async def test_redis_port_held_by_something_else(nursery: trio.Nursery) -> None:
    async def hang_up(stream: trio.SocketStream) -> None:
        await stream.aclose()

    listeners = await nursery.start(partial(trio.serve_tcp, hang_up, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    with trio.fail_after(10), pytest.raises(ConnectionError) as caught:
        async with Broadcast(f"redis://127.0.0.1:{port}/0"):
            pass  # pragma: no cover - never connected
    assert str(caught.value).startswith(
        f"Could not connect the broadcast to Redis at 127.0.0.1:{port} (db 0): "
    )
    nursery.cancel_scope.cancel()


async def test_redis_wrong_password_is_a_clear_error(redis_server: RedisServer) -> None:
    admin: coredis.Redis[bytes] = coredis.Redis(host="127.0.0.1", port=redis_server.port)
    async with admin:
        await admin.config_set({"requirepass": "right"})
    url = f"redis://:wrong@127.0.0.1:{redis_server.port}/0"
    with trio.fail_after(10), pytest.raises(PermissionError) as caught:
        async with Broadcast(url):
            pass  # pragma: no cover - never connected
    assert str(caught.value) == (
        f"Redis at 127.0.0.1:{redis_server.port} refused the broadcast's credentials: "
        "invalid username-password pair or user is disabled.; check the user name and "
        "password in the URL"
    )
    good = f"redis://:right@127.0.0.1:{redis_server.port}/0"
    async with (
        Broadcast(good) as first,
        Broadcast(good) as second,
        second.subscribe("room") as messages,
    ):
        await first.publish("room", "let in")
        with trio.fail_after(10):
            assert await messages.__anext__() == "let in"


async def test_redis_presence_across_workers_and_expiry(redis_server: RedisServer) -> None:
    """A worker that stops without leaving (a crash) loses its members once their entries
    expire; a live worker's members stay, refreshed."""
    ttl = 0.6
    with trio.fail_after(20):
        async with (
            worker(redis_server, presence_ttl=ttl) as first,
            first.join("lobby", "alice"),
            first.join("lobby", "alice"),
        ):
            crashed = worker(redis_server, presence_ttl=ttl)
            async with crashed:
                bob = crashed.join("lobby", "bob")
                await bob.__aenter__()
                assert await crashed.members("lobby") == ["alice", "bob"]
                assert await first.members("lobby") == ["alice", "bob"]
            # ``crashed`` is gone without leaving (its block closed the broadcast first); the
            # block is left afterwards, when leaving does nothing any more.
            assert await first.members("lobby") == ["alice", "bob"]
            started = trio.current_time()
            while "bob" in await first.members("lobby"):  # noqa: ASYNC110
                await trio.sleep(ttl / 10)  # expiry is about time: poll the clock
            assert trio.current_time() - started <= ttl + 0.5
            await trio.sleep(ttl)  # alice's entries outlive their first TTL, refreshed
            assert await first.members("lobby") == ["alice"]
            await bob.__aexit__(None, None, None)
        async with worker(redis_server) as later:
            assert await later.members("lobby") == []


async def test_redis_presence_waits_are_bounded(redis_server: RedisServer) -> None:
    with trio.fail_after(20):
        async with worker(redis_server, publish_timeout=0.3) as broadcast:
            await redis_server.stop()
            await wait_disconnected(broadcast)
            with pytest.raises(BroadcastUnavailableError) as joining:
                async with broadcast.join("lobby", "alice"):
                    pass  # pragma: no cover - refused
            with pytest.raises(BroadcastUnavailableError) as listing:
                await broadcast.members("lobby")
            assert (joining.value.action, listing.value.action) == ("join", "list members")
            await redis_server.start()


async def test_redis_late_subscription_acknowledgement(redis_server: RedisServer) -> None:
    """Redis holds every client (``CLIENT PAUSE``) while a subscriber arrives: coredis gives
    up waiting for the acknowledgement, the subscriber carries on, and Redis applies the
    subscription once it resumes."""
    with trio.fail_after(20):
        async with (
            worker(redis_server) as broadcast,
            coredis.Redis(host="127.0.0.1", port=redis_server.port) as admin,
        ):
            await admin.client_pause(1500, coredis.PureToken.ALL)
            async with broadcast.subscribe("paused") as messages:
                await broadcast.publish("paused", "applied")
                assert await next_message(messages) == "applied"


async def test_redis_second_subscriber_waits_for_the_acknowledgement(
    redis_server: RedisServer,
) -> None:
    """Race: a second subscriber to a channel arrives while the first still waits for Redis to
    acknowledge the subscription (held back by ``CLIENT PAUSE``); it returns only after the
    first, so neither misses a message published once they are in."""
    entered: list[str] = []
    received: list[str] = []
    all_in = trio.Event()

    async def subscriber(broadcast: Broadcast, name: str) -> None:
        async with broadcast.subscribe("room") as messages:
            entered.append(name)
            if len(entered) == 2:
                all_in.set()
            assert await next_message(messages) == "hello"
            received.append(name)

    with trio.fail_after(20):
        async with (
            worker(redis_server) as broadcast,
            coredis.Redis(host="127.0.0.1", port=redis_server.port) as admin,
        ):
            await admin.client_pause(300, coredis.PureToken.ALL)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(subscriber, broadcast, "first")
                nursery.start_soon(subscriber, broadcast, "second")
                await all_in.wait()
                await broadcast.publish("room", "hello")
    assert sorted(received) == ["first", "second"]


async def test_redis_commands_retry_while_redis_refuses_connections(
    redis_server: RedisServer,
) -> None:
    """Redis is up but refuses new clients (``maxclients`` reached) after dropping the pool's
    connection: publishing retries until its bound, and succeeds once Redis takes clients
    again."""
    with trio.fail_after(20):
        async with (
            worker(redis_server, publish_timeout=0.5) as broadcast,
            broadcast.subscribe("room") as messages,
            coredis.Redis(host="127.0.0.1", port=redis_server.port) as admin,
        ):
            await broadcast.publish("room", "before")
            assert await next_message(messages) == "before"
            # Left: the admin's connection and the subscriber's, and room for no other.
            await admin.client_kill(type_=coredis.PureToken.NORMAL, skipme=True)
            await admin.config_set({"maxclients": 2})
            with pytest.raises(BroadcastUnavailableError):
                await broadcast.publish("room", "refused")
            await admin.config_set({"maxclients": 100})
            await broadcast.publish("room", "after")
            assert await next_message(messages) == "after"
