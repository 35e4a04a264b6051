"""Load generators run in their own process: ``python -m bench.loadgen http|ws|ws-idle ...``.

* ``http``: a trio + h11 keep-alive client with K concurrent connections (used when ``wrk``
  is not installed).
* ``ws``: trio-websocket clients ping-ponging text messages.
* ``ws-idle``: open N websockets, exchange one message on each, print ``ready``, and hold them
  open until stdin closes (for the server memory scenario).

``http`` and ``ws`` print one JSON line: count, elapsed, rate, p50/p99 latency in ms, errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import h11
import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from bench.server import raise_fd_limit
from bench.stats import percentile

CONNECT_LIMIT = 64


def _report(count: int, elapsed: float, latencies: list[float], errors: int) -> None:
    latencies.sort()
    result = {
        "count": count,
        "elapsed": elapsed,
        "rate": count / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
    }
    print(json.dumps(result), flush=True)


class _Run:
    """Shared start/stop flags and results of a timed load run."""

    def __init__(self, clients: int, seconds: float) -> None:
        self.clients = clients
        self.seconds = seconds
        self.ready = 0
        self.all_ready = trio.Event()
        self.go = trio.Event()
        self.deadline = 0.0
        self.latencies: list[float] = []
        self.errors = 0
        self.connect_limit = trio.CapacityLimiter(CONNECT_LIMIT)
        self.target = "/"

    def client_ready(self) -> None:
        self.ready += 1
        if self.ready == self.clients:
            self.all_ready.set()

    async def timed(self) -> tuple[int, float]:
        """Start everyone at once; return (messages, elapsed) once the duration is over."""
        await self.all_ready.wait()
        start = time.perf_counter()
        self.deadline = start + self.seconds
        self.go.set()
        await trio.sleep(self.seconds)
        return len(self.latencies), time.perf_counter() - start


async def _http_connection(run: _Run, host: str, port: int, method: str, body: bytes) -> bool:
    """Requests back to back on one keep-alive connection; False once the deadline passed."""
    headers = [("host", f"{host}:{port}"), ("user-agent", "bench-h11"), ("accept", "*/*")]
    if body:
        headers += [
            ("content-type", "application/octet-stream"),
            ("content-length", str(len(body))),
        ]
    stream = await trio.open_tcp_stream(host, port)
    async with stream:
        conn = h11.Connection(h11.CLIENT)
        while time.perf_counter() < run.deadline:
            start = time.perf_counter()
            data = conn.send(h11.Request(method=method, target=run.target, headers=headers))
            if body:
                data += conn.send(h11.Data(data=body))
            data += conn.send(h11.EndOfMessage())
            await stream.send_all(data)
            status = 0
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await stream.receive_some(65536))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    run.errors += 1
                    return True
            run.latencies.append(time.perf_counter() - start)
            if status != 200:
                run.errors += 1
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return True  # the server asked to close (keep-alive request limit): reconnect
            conn.start_next_cycle()
    return False


async def _http_client(run: _Run, host: str, port: int, method: str, body: bytes) -> None:
    """One client: reconnect whenever the server closes, until the deadline."""
    run.client_ready()
    await run.go.wait()
    while await _http_connection(run, host, port, method, body):
        pass


async def run_http(url: str, method: str, body_size: int, connections: int, seconds: float) -> None:
    """HTTP load with an h11 client per connection."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    run = _Run(connections, seconds)
    run.target = parts.path or "/"
    body = b"x" * body_size
    async with trio.open_nursery() as nursery:
        for _ in range(connections):
            nursery.start_soon(_http_client, run, host, port, method, body)
        count, elapsed = await run.timed()
    _report(count, elapsed, run.latencies, run.errors)


@asynccontextmanager
async def _connect(run: _Run, url: str) -> AsyncIterator[WebSocketConnection]:
    """Open a websocket, with at most ``CONNECT_LIMIT`` handshakes in flight."""
    await run.connect_limit.acquire()
    handshaking = True
    try:
        async with open_websocket_url(url) as ws:
            run.connect_limit.release()
            handshaking = False
            yield ws
    finally:
        if handshaking:
            run.connect_limit.release()


async def _ws_client(run: _Run, url: str, payload: str) -> None:
    """One websocket client ping-ponging until the deadline."""
    async with _connect(run, url) as ws:
        run.client_ready()
        await run.go.wait()
        while time.perf_counter() < run.deadline:
            start = time.perf_counter()
            await ws.send_message(payload)
            reply = await ws.get_message()
            run.latencies.append(time.perf_counter() - start)
            if reply != payload:
                run.errors += 1


async def run_ws(url: str, clients: int, seconds: float, size: int) -> None:
    """Websocket echo load: ``clients`` connections, all connected before the clock starts."""
    run = _Run(clients, seconds)
    payload = "x" * size
    async with trio.open_nursery() as nursery:
        for _ in range(clients):
            nursery.start_soon(_ws_client, run, url, payload)
        count, elapsed = await run.timed()
    _report(count, elapsed, run.latencies, run.errors)


async def _idle_client(run: _Run, url: str, release: trio.Event) -> None:
    """Open a websocket, check one echo, then stay idle until released."""
    async with _connect(run, url) as ws:
        await ws.send_message("hello")
        if await ws.get_message() != "hello":
            run.errors += 1
        run.client_ready()
        await release.wait()


async def _wait_for_eof() -> None:
    async with trio.lowlevel.FdStream(os.dup(sys.stdin.fileno())) as stdin:
        while await stdin.receive_some():
            pass


async def run_ws_idle(url: str, clients: int) -> None:
    """Hold ``clients`` idle websockets open until stdin closes; print ``ready`` when open."""
    run = _Run(clients, 0.0)
    release = trio.Event()
    async with trio.open_nursery() as nursery:
        for _ in range(clients):
            nursery.start_soon(_idle_client, run, url, release)
        await run.all_ready.wait()
        print(json.dumps({"ready": clients, "errors": run.errors}), flush=True)
        await _wait_for_eof()
        release.set()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run one load generator."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    sub = parser.add_subparsers(dest="kind", required=True)
    http = sub.add_parser("http")
    http.add_argument("url")
    http.add_argument("--method", default="GET")
    http.add_argument("--body-size", type=int, default=0)
    http.add_argument("--connections", type=int, default=32)
    http.add_argument("--seconds", type=float, default=2.0)
    ws = sub.add_parser("ws")
    ws.add_argument("url")
    ws.add_argument("--clients", type=int, default=1)
    ws.add_argument("--seconds", type=float, default=2.0)
    ws.add_argument("--size", type=int, default=64)
    idle = sub.add_parser("ws-idle")
    idle.add_argument("url")
    idle.add_argument("--clients", type=int, default=1000)
    args = parser.parse_args(argv)
    raise_fd_limit()
    if args.kind == "http":
        trio.run(run_http, args.url, args.method, args.body_size, args.connections, args.seconds)
    elif args.kind == "ws":
        trio.run(run_ws, args.url, args.clients, args.seconds, args.size)
    else:
        trio.run(run_ws_idle, args.url, args.clients)


if __name__ == "__main__":
    main()
