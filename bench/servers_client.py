"""The servers stage's websocket load: ``python -m bench.servers_client URL ...``.

Opens ``--connections`` websockets to ``URL`` (``ws://host:port/path``), echoes a few messages
on each to warm up, prints ``{"ready": N}`` and waits for a line on stdin; then every
connection sends ``--messages`` text messages one at a time, each after the echo of the
previous one came back, and the process prints ``{"echoes": ..., "elapsed": ...}`` before it
closes the websockets. The parent reads the server's CPU time between the two lines, so the
handshakes and the closes are not counted.

wsproto over trio's TCP streams, nothing more: the cheapest client there is in Python, the
same for every server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import deque
from urllib.parse import urlsplit

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

WARMUP_MESSAGES = 20
MESSAGE = "x" * 64
_RECEIVE_SIZE = 64 * 1024


class EchoClient:
    """One websocket to the echo app."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self._stream = stream
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._events: deque[Event] = deque()

    @classmethod
    async def connect(cls, host: str, port: int, path: str) -> EchoClient:
        """Connect and complete the opening handshake."""
        client = cls(await trio.open_tcp_stream(host, port))
        await client._stream.send_all(client._ws.send(Request(host=f"{host}:{port}", target=path)))
        event = await client._next_event()
        if not isinstance(event, AcceptConnection):
            raise RuntimeError(f"handshake refused: {event!r}")
        return client

    async def _next_event(self) -> Event:
        """The next event that is not a ping (pings are answered here)."""
        while True:
            while not self._events:
                data = await self._stream.receive_some(_RECEIVE_SIZE)
                if not data:
                    raise RuntimeError("the server closed the connection")
                self._ws.receive_data(data)
                self._events.extend(self._ws.events())
            event = self._events.popleft()
            if isinstance(event, Ping):
                await self._stream.send_all(self._ws.send(event.response()))
            elif isinstance(event, RejectConnection):
                raise RuntimeError(f"handshake refused with {event.status_code}")
            else:
                return event

    async def echo(self, text: str) -> None:
        """Send ``text`` and wait for the same text back (in one or more frames)."""
        await self._stream.send_all(self._ws.send(TextMessage(data=text)))
        received = ""
        while True:
            event = await self._next_event()
            if not isinstance(event, TextMessage):
                raise RuntimeError(f"expected the echo, got {event!r}")
            received += event.data
            if event.message_finished:
                break
        if received != text:
            raise RuntimeError(f"echo mismatch: {received[:100]!r}")

    async def close(self) -> None:
        """The closing handshake, then the TCP connection."""
        await self._stream.send_all(self._ws.send(CloseConnection(code=1000)))
        with trio.move_on_after(5):
            while not isinstance(await self._next_event(), CloseConnection):
                pass
        await self._stream.aclose()


async def _wait_for_line() -> None:
    async with trio.lowlevel.FdStream(os.dup(sys.stdin.fileno())) as stdin:
        while b"\n" not in await stdin.receive_some():
            pass


async def run(url: str, connections: int, messages: int) -> None:
    """Connect, warm up, report ready, wait for the go, run, report, close."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    clients = [await EchoClient.connect(host, port, parts.path or "/") for _ in range(connections)]
    for client in clients:
        for _ in range(WARMUP_MESSAGES):
            await client.echo(MESSAGE)
    print(json.dumps({"ready": connections}), flush=True)
    await _wait_for_line()

    async def echo_all(client: EchoClient) -> None:
        for _ in range(messages):
            await client.echo(MESSAGE)

    started = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for client in clients:
            nursery.start_soon(echo_all, client)
    elapsed = time.perf_counter() - started
    print(json.dumps({"echoes": connections * messages, "elapsed": elapsed}), flush=True)
    for client in clients:
        await client.close()


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.servers_client URL --connections N --messages M``."""
    parser = argparse.ArgumentParser(prog="python -m bench.servers_client")
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--messages", type=int, default=1000, help="per connection")
    args = parser.parse_args(argv)
    trio.run(run, args.url, args.connections, args.messages)


if __name__ == "__main__":
    main()
