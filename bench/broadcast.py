"""Broadcast fan-out: trioquart's ``Broadcast`` on trio beside ``broadcaster`` on asyncio.

One channel, 1,000 subscribers (each a ``subscribe()`` block read by a task of its own), one
publisher. Over ``memory://`` all of them share one process; over Redis the publisher and the
subscribers are two processes, each with its own broadcast, linked by a ``redis-server`` the
stage starts on a free port and stops.

Theory of operation: the subscribers count the copies of each message; when the last of the
1,000 has one, their process publishes an acknowledgement on a second channel, with the time
it happened (``time.perf_counter``, the system-wide monotonic clock on Linux, so that it is
comparable across processes). The publisher

- pings until one ping is acknowledged (every subscriber is then listening),
- publishes ``latency`` messages one at a time, each after the previous was acknowledged:
  publish to last receiver, p50 and p99;
- publishes ``messages`` with at most ``window`` unacknowledged: messages per second fanned
  out to every subscriber, from the first publish to the last receiver of the last one.

The window keeps each subscriber less than ``window`` messages behind, below trioquart's
buffer (64), so that nobody is dropped and both libraries deliver every message
(``broadcaster``'s queues are unbounded). The harness is written once, on anyio, which runs
on trio for trioquart and on asyncio for ``broadcaster``: both pay the same for it.

Each run happens in fresh child processes (``python -m bench.broadcast ...``) that print one
JSON line. Linux only, like the rest of the bench.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import anyio

from bench.apps import SUBJECT
from bench.report import Group, Results
from bench.stats import Sample, percentile

if TYPE_CHECKING:
    # Imported when used: the bench must load even where one of them is missing.
    import broadcaster

    import trioquart.broadcast

#: The two implementations: name in the report, anyio backend.
IMPLEMENTATIONS = {"trioquart": "trio", "broadcaster": "asyncio"}
BACKENDS = ("memory", "redis")
CHANNEL = "bench"
ACKS = "bench-acks"
PING_SECONDS = 0.05
READY_TIMEOUT = 60.0
RUN_TIMEOUT = 600.0

Popen = subprocess.Popen[str]


@dataclass(frozen=True)
class BroadcastSettings:
    """How many subscribers, how many messages (measured for latency, then for the rate), and
    how many may be unacknowledged during the rate run."""

    subscribers: int = 1000
    latency: int = 200
    messages: int = 2000
    window: int = 32


#: The peer measured beside trioquart in this stage only (it is a library, not an app).
PEER = "broadcaster"

BROADCAST_RATE = Group(
    "broadcast_rate",
    "Broadcast fan-out to every subscriber (one channel, a window of unacknowledged messages)",
    "messages/s",
    per_op=False,
)
BROADCAST_LATENCY = Group(
    "broadcast_latency",
    "Broadcast latency from publish to the last subscriber, one message at a time",
    "ms",
    higher_is_better=False,
)


def scenario_name(backend: str, subscribers: int) -> str:
    """The scenario's name in the report."""
    return f"{backend}, {subscribers:,} subscribers"


# --- The two libraries behind one small interface -------------------------------------------


class Channel(Protocol):
    """What the harness needs of a broadcast."""

    async def publish(self, channel: str, message: str) -> None:
        """Publish ``message`` on ``channel``."""

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """Subscribe to ``channel``: the messages, as ``str``."""


class _Trioquart:
    def __init__(self, broadcast: trioquart.broadcast.Broadcast) -> None:
        self._broadcast = broadcast

    async def publish(self, channel: str, message: str) -> None:
        await self._broadcast.publish(channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        async with self._broadcast.subscribe(channel) as subscription:

            async def messages() -> AsyncIterator[str]:
                async for message in subscription:
                    if not isinstance(message, str):
                        raise RuntimeError(f"got {message!r}; the bench publishes str only")
                    yield message

            yield messages()


class _Broadcaster:
    def __init__(self, broadcast: broadcaster.Broadcast) -> None:
        self._broadcast = broadcast

    async def publish(self, channel: str, message: str) -> None:
        await self._broadcast.publish(channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        async with self._broadcast.subscribe(channel) as subscriber:

            async def messages() -> AsyncIterator[str]:
                while True:
                    event = await subscriber.get()
                    yield str(event.message)

            yield messages()


@contextlib.asynccontextmanager
async def open_channel(implementation: str, url: str) -> AsyncIterator[Channel]:
    """Open ``implementation``'s broadcast on ``url`` for the block."""
    if implementation == "trioquart":
        from trioquart.broadcast import Broadcast as TrioquartBroadcast

        async with TrioquartBroadcast(url) as broadcast:
            yield _Trioquart(broadcast)
    else:
        from broadcaster import Broadcast as BroadcasterBroadcast

        async with BroadcasterBroadcast(url) as other:
            yield _Broadcaster(other)


# --- The two roles ----------------------------------------------------------------------------


async def serve_subscribers(channel: Channel, count: int, *, report: bool = False) -> None:
    """Run ``count`` subscribers until a stop message; acknowledge each message they all got.

    Messages are ``kind id`` (``p`` ping, ``m`` measured, ``s`` stop); acknowledgements are
    ``id time``.
    """
    copies: dict[str, int] = {}

    async def subscriber(task_status: anyio.abc.TaskStatus[None]) -> None:
        async with channel.subscribe(CHANNEL) as messages:
            task_status.started()
            async for message in messages:
                kind, ident = message.split()
                if kind == "s":
                    return
                seen = copies.get(ident, 0) + 1
                if seen == count:
                    del copies[ident]
                    await channel.publish(ACKS, f"{ident} {time.perf_counter()!r}")
                else:
                    copies[ident] = seen

    async with anyio.create_task_group() as group:
        for _ in range(count):
            await group.start(subscriber)
        if report:
            print(json.dumps({"subscribed": count}), flush=True)


async def publish_and_measure(channel: Channel, settings: BroadcastSettings) -> dict[str, float]:
    """The publisher's side: ping until heard, then the latency run, then the rate run."""
    acked: dict[str, float] = {}
    changed = anyio.Event()

    async def read_acks(task_status: anyio.abc.TaskStatus[None]) -> None:
        nonlocal changed
        async with channel.subscribe(ACKS) as messages:
            task_status.started()
            async for message in messages:
                ident, stamp = message.split()
                acked[ident] = float(stamp)
                changed.set()
                changed = anyio.Event()

    async def wait_acked(ident: str) -> float:
        while ident not in acked:
            await changed.wait()
        return acked[ident]

    async with anyio.create_task_group() as group:
        await group.start(read_acks)
        with anyio.fail_after(READY_TIMEOUT):
            ping = 0
            while not acked:
                await channel.publish(CHANNEL, f"p {ping}")
                ping += 1
                with anyio.move_on_after(PING_SECONDS):
                    await changed.wait()
        latencies = []
        with anyio.fail_after(RUN_TIMEOUT):
            for index in range(settings.latency):
                ident = f"l{index}"
                started = time.perf_counter()
                await channel.publish(CHANNEL, f"m {ident}")
                latencies.append(await wait_acked(ident) - started)
            started = time.perf_counter()
            done = 0
            for index in range(settings.messages):
                if index - done >= settings.window:
                    await wait_acked(f"r{done}")
                    # Acknowledgements come in order: one subscriber process, FIFO channels.
                    while f"r{done}" in acked:
                        done += 1
                await channel.publish(CHANNEL, f"m r{index}")
            last = await wait_acked(f"r{settings.messages - 1}")
        await channel.publish(CHANNEL, "s 0")
        group.cancel_scope.cancel()
    latencies.sort()
    return {
        "rate": settings.messages / (last - started),
        "p50_ms": percentile(latencies, 0.5) * 1e3,
        "p99_ms": percentile(latencies, 0.99) * 1e3,
    }


async def _child(args: argparse.Namespace) -> None:
    settings = BroadcastSettings(args.subscribers, args.latency, args.messages, args.window)
    async with open_channel(args.implementation, args.url) as channel:
        if args.role == "subscribers":
            await serve_subscribers(channel, settings.subscribers, report=True)
        elif args.role == "publisher":
            print(json.dumps(await publish_and_measure(channel, settings)), flush=True)
        else:
            async with anyio.create_task_group() as group:
                group.start_soon(serve_subscribers, channel, settings.subscribers)
                print(json.dumps(await publish_and_measure(channel, settings)), flush=True)


def main(argv: list[str] | None = None) -> None:
    """One child process: ``python -m bench.broadcast IMPLEMENTATION URL ROLE ...``."""
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast")
    parser.add_argument("implementation", choices=IMPLEMENTATIONS)
    parser.add_argument("url")
    parser.add_argument("role", choices=("both", "publisher", "subscribers"))
    defaults = BroadcastSettings()
    parser.add_argument("--subscribers", type=int, default=defaults.subscribers)
    parser.add_argument("--latency", type=int, default=defaults.latency)
    parser.add_argument("--messages", type=int, default=defaults.messages)
    parser.add_argument("--window", type=int, default=defaults.window)
    args = parser.parse_args(argv)
    anyio.run(_child, args, backend=IMPLEMENTATIONS[args.implementation])


# --- The parent's side: processes and the Redis server ----------------------------------------


def available(implementation: str) -> str | None:
    """Why ``implementation`` (and its Redis client) cannot run here, or None."""
    modules = {"trioquart": ("trioquart", "coredis"), "broadcaster": ("broadcaster", "redis")}
    for module in modules[implementation]:
        try:
            __import__(module)
        except ImportError as error:
            return f"not installed ({error})"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A ``redis-server`` on a free port of 127.0.0.1, no persistence; yields its URL."""
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    port = _free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _spawn(implementation: str, url: str, role: str, settings: BroadcastSettings) -> Popen:
    command = [sys.executable, "-m", "bench.broadcast", implementation, url, role]
    command += ["--subscribers", str(settings.subscribers), "--latency", str(settings.latency)]
    command += ["--messages", str(settings.messages), "--window", str(settings.window)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def _result(process: Popen, what: str) -> dict[str, float]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(RUN_TIMEOUT)
        raise RuntimeError(f"{what} exited with {process.returncode} and no result")
    result: dict[str, float] = json.loads(line)
    return result


def run_once(
    implementation: str, backend: str, settings: BroadcastSettings, redis_url: str
) -> Sample:
    """One measurement in fresh processes: the rate, with p50_ms and p99_ms as extras."""
    what = f"{implementation} over {backend}"
    if backend == "memory":
        with _spawn(implementation, "memory://", "both", settings) as both:
            measured = _result(both, what)
            both.wait(RUN_TIMEOUT)
    else:
        with _spawn(implementation, redis_url, "subscribers", settings) as subscribers:
            _result(subscribers, f"{what}: the subscribers")
            with _spawn(implementation, redis_url, "publisher", settings) as publisher:
                measured = _result(publisher, f"{what}: the publisher")
                publisher.wait(RUN_TIMEOUT)
            subscribers.wait(RUN_TIMEOUT)
    rate = measured.pop("rate")
    return Sample(rate, measured)


def run(
    settings: BroadcastSettings,
    rounds: int,
    results: Results,
    progress: Callable[[str], None],
) -> None:
    """Measure trioquart and ``broadcaster`` (when installed) over each backend, in ``rounds``
    rounds where they take turns in an order that rotates; record rates and latencies."""
    implementations = [SUBJECT]
    missing = available(PEER)
    if missing is None:
        implementations.append(PEER)
        if PEER not in results.contenders:
            results.contenders.append(PEER)
    else:
        results.skipped[PEER] = missing
    for scenario, name, sample in _rounds(implementations, settings, rounds, progress):
        results.add(BROADCAST_RATE, scenario, name, sample)
        for key in ("p50_ms", "p99_ms"):
            results.add(
                BROADCAST_LATENCY, f"{scenario}, {key[:3]}", name, Sample(sample.extras[key])
            )


def _rounds(
    implementations: list[str],
    settings: BroadcastSettings,
    rounds: int,
    progress: Callable[[str], None],
) -> Iterator[tuple[str, str, Sample]]:
    with redis_server() as redis_url:
        for round_index in range(rounds):
            shift = round_index % len(implementations)
            turn = [*implementations[shift:], *implementations[:shift]]
            for backend in BACKENDS:
                for implementation in turn:
                    progress(
                        f"broadcast, round {round_index + 1}/{rounds}: "
                        f"{implementation} over {backend}"
                    )
                    sample = run_once(implementation, backend, settings, redis_url)
                    yield scenario_name(backend, settings.subscribers), implementation, sample


if __name__ == "__main__":
    main()
