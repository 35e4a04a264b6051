"""In-process scenarios: each ASGI app driven directly from trio, with no sockets.

Every measurement runs inside the app's lifespan, and rates are per CPU second of the
benchmark thread (see :class:`Clock`). HTTP requests are sequential, each with a
fresh scope; the request body arrives as one ``http.request`` message, after which
``receive()`` blocks until the response is complete and then reports ``http.disconnect``, as
Hypercorn does. Websocket connections get ``websocket.connect``, ping-pong text messages, and
finally ``websocket.disconnect``.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import trio

from bench.apps import ECHO_BODY_SIZE, GET_JSON, GET_TEXT, HELLO, POST_ECHO, item_json
from bench.asgi import ASGIApp, Message, Scope, http_scope, websocket_scope
from bench.lifespan import running_lifespan
from bench.stats import Sample

SCENARIO_TIMEOUT = 120.0
WS_PAYLOAD = "benchmark websocket message, 64 bytes long".ljust(64, ".")


class BenchError(RuntimeError):
    """An app answered a benchmark request wrongly."""


def freeze_heap() -> None:
    """Keep everything imported and built so far out of the timed collections, equally for all."""
    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class Durations:
    """How long each timed loop runs, in seconds."""

    http: float
    ws: float
    warmup: int


class Clock:
    """Wall and CPU time since creation; rates are per CPU second of this thread.

    The in-process scenarios never wait for I/O, so the thread's CPU time is the time the work
    took, minus the spells when another process had the core (common on a shared machine).
    """

    def __init__(self) -> None:
        self.start_wall, self.start_cpu = self.now()

    @staticmethod
    def now() -> tuple[float, float]:
        """(wall, CPU) readings, for :meth:`rate`'s ``at``."""
        return time.perf_counter(), time.thread_time()

    def wall(self) -> float:
        """Wall-clock seconds since creation."""
        return time.perf_counter() - self.start_wall

    def rate(self, count: int, at: tuple[float, float] | None = None) -> Sample:
        """``count`` per CPU second up to ``at`` (default: now); the wall rate as an extra."""
        wall, cpu = at or self.now()
        return Sample(
            count / (cpu - self.start_cpu), {"wall_rate": count / (wall - self.start_wall)}
        )


class _Exchange:
    """The server side of one in-memory HTTP request/response."""

    __slots__ = ("body", "body_sent", "chunks", "done", "finished", "status")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.body_sent = False
        self.finished = False
        self.done: trio.Event | None = None
        self.status = 0
        self.chunks: list[bytes] = []

    async def receive(self) -> Message:
        if not self.body_sent:
            self.body_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        if not self.finished:
            if self.done is None:
                self.done = trio.Event()
            await self.done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
        elif kind == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.finished = True
                if self.done is not None:
                    self.done.set()


async def http_request(app: ASGIApp, scope: Scope, body: bytes = b"") -> tuple[int, bytes]:
    """Run one request through the app; return the status and the body."""
    exchange = _Exchange(body)
    await app(scope, exchange.receive, exchange.send)
    if not exchange.finished:
        raise BenchError(f"{scope['method']} {scope['path']}: the app returned mid-response")
    return exchange.status, b"".join(exchange.chunks)


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP scenario: a route, how to call it and what it must answer."""

    name: str
    method: str
    path: Callable[[int], str]
    body: bytes
    expected: Callable[[int], bytes | None]


def _expect_json(index: int) -> bytes | None:
    return None  # checked by _check, JSON formatting differs between frameworks


ECHO_BODY = bytes(range(256)) * (ECHO_BODY_SIZE // 256)
HTTP_ROUTES = (
    HttpRoute(GET_TEXT, "GET", lambda i: "/", b"", lambda i: HELLO.encode()),
    HttpRoute(GET_JSON, "GET", lambda i: f"/items/{i}", b"", _expect_json),
    HttpRoute(POST_ECHO, "POST", lambda i: "/echo", ECHO_BODY, lambda i: ECHO_BODY),
)


def _check(route: HttpRoute, index: int, status: int, body: bytes) -> None:
    """Fail loudly when an app gives a wrong answer (a fast wrong answer is no result)."""
    if status != 200:
        raise BenchError(f"{route.name}: status {status}, body {body[:200]!r}")
    expected = route.expected(index)
    if expected is None:
        if json.loads(body) != item_json(index):
            raise BenchError(f"{route.name}: unexpected JSON {body[:200]!r}")
    elif body != expected:
        raise BenchError(f"{route.name}: unexpected body {body[:200]!r}")


async def _time_http(app: ASGIApp, route: HttpRoute, state: dict[str, Any], d: Durations) -> Sample:
    """Sequential requests to one route for ``d.http`` seconds; requests per CPU second."""
    body_size = len(route.body)
    for index in range(d.warmup):
        status, body = await http_request(
            app, http_scope(route.method, route.path(index), body_size, state), route.body
        )
        _check(route, index, status, body)
    gc.collect()
    count = 0
    clock = Clock()
    while True:
        for _ in range(50):
            scope = http_scope(route.method, route.path(count), body_size, state)
            status, _body = await http_request(app, scope, route.body)
            if status != 200:
                raise BenchError(f"{route.name}: status {status}")
            count += 1
        if clock.wall() >= d.http:
            return clock.rate(count)


async def _http_scenarios(
    app: ASGIApp, routes: Sequence[HttpRoute], d: Durations
) -> dict[str, Sample]:
    with trio.fail_after(SCENARIO_TIMEOUT):
        async with running_lifespan(app) as state:
            return {route.name: await _time_http(app, route, state, d) for route in routes}


def run_http(app: ASGIApp, routes: Sequence[HttpRoute], d: Durations) -> dict[str, Sample]:
    """Requests per CPU second for each route, in a fresh trio run inside the app's lifespan."""
    return trio.run(_http_scenarios, app, routes, d)


class _WsConnection:
    """The server side of one in-memory websocket connection."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.scope = websocket_scope("/ws", state)
        self.to_app, self.app_inbox = trio.open_memory_channel[Message](math.inf)
        self.app_outbox, self.from_app = trio.open_memory_channel[Message](math.inf)

    async def serve(self) -> None:
        """Run the app for this connection (a task in the caller's nursery)."""
        async with self.app_outbox:
            await self.app(self.scope, self.app_inbox.receive, self.app_outbox.send)

    async def connect(self) -> None:
        await self.to_app.send({"type": "websocket.connect"})
        reply = await self.from_app.receive()
        if reply["type"] != "websocket.accept":
            raise BenchError(f"websocket not accepted: {reply!r}")

    async def echo(self, text: str) -> None:
        await self.to_app.send({"type": "websocket.receive", "text": text})
        reply = await self.from_app.receive()
        if reply["type"] != "websocket.send" or reply.get("text") != text:
            raise BenchError(f"bad websocket echo: {reply!r}")

    async def disconnect(self) -> None:
        await self.to_app.send({"type": "websocket.disconnect", "code": 1000})


async def _time_ws(app: ASGIApp, state: dict[str, Any], connections: int, seconds: float) -> Sample:
    """Ping-pong on ``connections`` concurrent connections for ``seconds``; messages per CPU second.

    Connecting and disconnecting happen outside the timed window.
    """
    counts = [0] * connections
    connected = finished = 0
    stopped = (0.0, 0.0)
    all_connected = trio.Event()
    go = trio.Event()
    stop = False

    async def client(index: int, conn: _WsConnection) -> None:
        nonlocal connected, finished, stopped
        await conn.connect()
        connected += 1
        if connected == connections:
            all_connected.set()
        await go.wait()
        done = 0
        while not stop:
            await conn.echo(WS_PAYLOAD)
            done += 1
        counts[index] = done
        finished += 1
        if finished == connections:
            stopped = Clock.now()
        await conn.disconnect()

    async with trio.open_nursery() as nursery:
        for index in range(connections):
            conn = _WsConnection(app, state)
            nursery.start_soon(conn.serve)
            nursery.start_soon(client, index, conn)
        await all_connected.wait()
        gc.collect()
        clock = Clock()
        go.set()
        await trio.sleep(seconds)
        stop = True
    return clock.rate(sum(counts), at=stopped)


def ws_scenario_name(connections: int) -> str:
    """The scenario's name in the report."""
    return f"ws echo, {connections} connection{'s' if connections > 1 else ''}"


async def _ws_scenarios(app: ASGIApp, fan_outs: Sequence[int], d: Durations) -> dict[str, Sample]:
    with trio.fail_after(SCENARIO_TIMEOUT):
        async with running_lifespan(app) as state:
            await _time_ws(app, state, 1, d.ws / 10)  # warm-up
            return {ws_scenario_name(n): await _time_ws(app, state, n, d.ws) for n in fan_outs}


def run_ws(app: ASGIApp, fan_outs: Sequence[int], d: Durations) -> dict[str, Sample]:
    """Websocket echo messages per CPU second on ``n`` concurrent connections, for each ``n``."""
    return trio.run(_ws_scenarios, app, fan_outs, d)
