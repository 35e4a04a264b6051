"""A minimal accept loop around ``serve_websocket``, for testing the websocket side alone.

Each connection's request head is read with h11, a small websocket scope is built from it,
and the connection is handed to ``serve_websocket``; the stream is closed afterwards, as the
real server does. Clients connect to ``.host``/``.port``, like ``tests.e2e.conftest``'s.
"""

from __future__ import annotations

import base64
import os
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import h11
import trio
from trio_websocket import WebSocketConnection
from wsproto.connection import Connection, ConnectionType
from wsproto.events import CloseConnection, Event

from tests.e2e.conftest import open_websocket
from trioquart.server.config import ServerConfig
from trioquart.server.types import ASGI_VERSIONS, ASGIApp, Message, Receive, Scope, Send
from trioquart.server.websocket import serve_websocket


@dataclass
class WsServer:
    """A running harness: where it listens, and the event that stops its websockets."""

    host: str
    port: int
    stopping: trio.Event = field(default_factory=trio.Event)

    @property
    def ws_url(self) -> str:
        """The base ``ws://`` URL."""
        return f"ws://{self.host}:{self.port}"


@asynccontextmanager
async def ws_server(app: ASGIApp, config: ServerConfig | None = None) -> AsyncIterator[WsServer]:
    """Serve ``app``'s websockets on an ephemeral port of 127.0.0.1 for the block.

    Leaving the block cancels whatever connections are still being served.
    """
    config = config or ServerConfig(port=0)
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    server = WsServer("127.0.0.1", port)

    async def handle(stream: trio.SocketStream) -> None:
        try:
            await serve_one(stream, app, config, server.stopping)
        finally:
            await stream.aclose()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handle, listeners)
        try:
            yield server
        finally:
            nursery.cancel_scope.cancel()


async def serve_one(
    stream: trio.abc.Stream, app: ASGIApp, config: ServerConfig, stopping: trio.Event
) -> None:
    """Read one request head from ``stream`` and serve it as a websocket."""
    connection = h11.Connection(h11.SERVER)
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await stream.receive_some()
            if not data:
                return
            connection.receive_data(bytes(data))
            continue
        assert isinstance(event, h11.Request), event
        break
    headers = [(bytes(name), bytes(value)) for name, value in event.headers]
    await serve_websocket(
        stream,
        app,
        websocket_scope(event, headers),
        headers,
        connection.trailing_data[0],
        config,
        stopping,
    )


def websocket_scope(request: h11.Request, headers: list[tuple[bytes, bytes]]) -> Scope:
    """A websocket scope for ``request``, with what these tests look at."""
    path, _, query = bytes(request.target).partition(b"?")
    offered = [
        token.strip().decode()
        for name, value in headers
        if name == b"sec-websocket-protocol"
        for token in value.split(b",")
    ]
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": dict(ASGI_VERSIONS),
        "http_version": "1.1",
        "scheme": "ws",
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": None,
        "server": None,
        "subprotocols": offered,
        "state": {},
        "extensions": {"websocket.http.response": {}},
    }
    return scope


def handshake_request(
    port: int, *, key: bytes | None = None, version: bytes = b"13", path: bytes = b"/"
) -> bytes:
    """The bytes of a websocket upgrade request (a fresh valid key unless one is given)."""
    if key is None:
        key = base64.b64encode(os.urandom(16))
    lines = [
        b"GET " + path + b" HTTP/1.1",
        b"Host: 127.0.0.1:%d" % port,
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Version: " + version,
    ]
    if key:
        lines.append(b"Sec-WebSocket-Key: " + key)
    return b"\r\n".join(lines) + b"\r\n\r\n"


class RawClient:
    """A hand-driven websocket client: raw bytes out, wsproto's client parser for what comes in."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.frames = Connection(ConnectionType.CLIENT)
        self._pending: deque[Event] = deque()
        #: What came right after the response head.
        self.after_head = b""

    async def open(self, request: bytes) -> bytes:
        """Send an upgrade request; return the response head (frames after it are kept)."""
        await self.stream.send_all(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = await self.stream.receive_some()
            assert chunk, f"connection closed after {data!r}"
            data += bytes(chunk)
        head, _, self.after_head = data.partition(b"\r\n\r\n")
        self.frames.receive_data(self.after_head)
        return head

    async def send(self, event: Event) -> None:
        """Send one event, framed (and masked) by wsproto."""
        await self.stream.send_all(self.frames.send(event))

    async def next_event(self) -> Event:
        """The next event from the server (a 1006 close once the connection has ended)."""
        while not self._pending:
            self._pending.extend(self.frames.events())
            if not self._pending:
                data = await self.stream.receive_some()
                self.frames.receive_data(bytes(data) or None)
        return self._pending.popleft()

    async def close_frame(self) -> CloseConnection:
        """Skip to the server's close (or the connection's end), and return it."""
        while not isinstance(event := await self.next_event(), CloseConnection):
            pass
        return event

    async def read_to_end(self) -> bytes:
        """Everything the server sends until it closes the connection."""
        data = b""
        while chunk := await self.stream.receive_some():
            data += bytes(chunk)
        return data


@asynccontextmanager
async def raw_client(server: WsServer, request: bytes | None = None) -> AsyncIterator[RawClient]:
    """A ``RawClient`` connected to ``server`` that has sent ``request`` (a valid handshake
    unless told otherwise) and checked for the 101."""
    stream = await trio.open_tcp_stream(server.host, server.port)
    async with stream:
        client = RawClient(stream)
        head = await client.open(request or handshake_request(server.port))
        assert head.startswith(b"HTTP/1.1 101 "), head
        yield client


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, masked: bool = True
) -> bytes:
    """A hand-built client frame, which may break any rule of RFC 6455."""
    first = (0x80 if fin else 0) | rsv << 4 | opcode
    mask_bit = 0x80 if masked else 0
    length = len(payload)
    if length < 126:
        header = bytes([first, mask_bit | length])
    elif length < 65536:
        header = bytes([first, mask_bit | 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([first, mask_bit | 127]) + length.to_bytes(8, "big")
    if not masked:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))


class EchoApp:
    """An ASGI app that accepts (with ``accept``'s fields), echoes every message back as it
    came (text as text, bytes as bytes), and records what it receives until the disconnect."""

    def __init__(self, **accept: Any) -> None:
        self.accept = accept
        self.received: list[Message] = []
        self.ended = trio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            assert (await receive())["type"] == "websocket.connect"
            await send({"type": "websocket.accept", **self.accept})
            while (message := await receive())["type"] == "websocket.receive":
                self.received.append(message)
                await send({"type": "websocket.send", **without_type(message)})
            self.received.append(message)
        finally:
            self.ended.set()

    async def disconnect(self) -> Message:
        """The disconnect message the app got, once it has ended."""
        with trio.fail_after(5):
            await self.ended.wait()
        assert self.received[-1]["type"] == "websocket.disconnect"
        return self.received[-1]


def without_type(message: Message) -> dict[str, Any]:
    """``message``'s fields other than its type."""
    return {name: value for name, value in message.items() if name != "type"}


def ws_client(
    server: WsServer, path: str = "/", **options: Any
) -> AbstractAsyncContextManager[WebSocketConnection]:
    """A trio-websocket client of ``server`` (``tests.e2e.conftest.open_websocket``)."""
    # open_websocket only reads .host and .port of the server it is given.
    return open_websocket(server, path, **options)  # type: ignore[arg-type]


async def serve_stream(
    nursery: trio.Nursery,
    app: ASGIApp,
    stream: trio.abc.Stream,
    config: ServerConfig | None = None,
    stopping: trio.Event | None = None,
) -> trio.Event:
    """Serve one websocket on ``stream`` (one end of an in-memory pair) in ``nursery``.

    Returns an event set once ``serve_websocket`` has returned and the stream is closed.
    """
    done = trio.Event()
    stopping = stopping if stopping is not None else trio.Event()

    async def serve() -> None:
        try:
            await serve_one(stream, app, config or ServerConfig(), stopping)
        finally:
            await stream.aclose()
            done.set()

    nursery.start_soon(serve)
    return done
