"""HTTP/1.1: one connection, its requests one after the other, in one task.

The app is called in the connection's own task. Its ``receive`` reads the socket itself: the
body while there is one, then, if the app waits again, until the client leaves (an
``http.disconnect``) or the response is complete. An app that only sends learns that the client
has gone when a write fails: ``send`` raises ``ClientDisconnectedError``.

Timeouts are deadlines: while a request's head is awaited, ``head_deadline`` says by when it
must have come. The server checks every connection's deadline a few times a second (see
``serve.py``) and cancels the wait of those past it. Not trio's own deadlines: setting and
clearing one on every request, a heap push and two context managers in trio, cost about an
eighth of the server's CPU per request (5 of 45 us under wrk).

A response whose first body message is its last goes out in one write, with a
``Content-Length``; a longer one is streamed with the app's ``Content-Length`` or chunked.
Errors the server answers itself (400, 408, 413, 431, 500, 501, 505) close the connection.

Requests are read by a parser (``http_parser.py``: h11 or httptools); responses are written by
``http_response.py``, the same whichever parser read the request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from contextlib import suppress
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

import trio

from .access_log import log_request
from .config import ServerConfig
from .http_parser import END_OF_BODY, ProtocolError, RequestHead, comma_tokens, new_parser
from .http_response import BodyFraming, ResponseStart, start_response
from .types import ASGI_VERSIONS, ASGIApp, Message, Scope
from .websocket import serve_websocket

log = logging.getLogger("trioquart.server")

#: How much the socket is read at a time.
READ_SIZE = 65536
#: How much of a request body the app left unread is read and dropped to keep the connection;
#: past it the connection is closed instead.
DRAIN_LIMIT = 65536
#: How much a client may send after its request while the app waits for a disconnect; past it
#: the server stops reading (pipelined requests wait in the parser's buffer).
PIPELINE_LIMIT = 65536
#: How long a connection closed after an error keeps reading what the client still sends, so
#: that the kernel does not reset the connection before the client has read the response.
LINGER_SECONDS = 1.0

#: What a client address is in a scope, and a server address (a Unix socket has no port).
Client = tuple[str, int] | None
Server = tuple[str, int | None] | None


class ClientDisconnectedError(OSError):
    """What ``send`` raises once the client has gone: the response can no longer be written."""


class DateHeader:
    """The ``Date`` header's value, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def value(self) -> bytes:
        """The current date in the format of HTTP."""
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._value = formatdate(second, usegmt=True).encode("ascii")
        return self._value


DATE = DateHeader()


class HTTP11Connection:
    """One HTTP/1.1 connection: reads requests, runs the app for each, writes responses."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        app: ASGIApp,
        config: ServerConfig,
        *,
        secure: bool,
        client: Client,
        server: Server,
        state: dict[str, object] | None,
        stopping: trio.Event,
    ) -> None:
        self.stream = stream
        self.app = app
        self.config = config
        self.secure = secure
        self.client = client
        self.server = server
        self.state = state
        self.stopping = stopping
        self.parser = new_parser(config)
        #: Set once the client has gone (end of stream or a failed read or write).
        self.disconnected = False
        #: By when the head being awaited must have come (on trio's clock); infinite while
        #: none is awaited. ``expire`` acts on it.
        self.head_deadline = math.inf
        #: What ``expire`` and ``stop`` cancel: the wait for a head. One scope for the
        #: connection's life, cancelled at most once: the connection then ends.
        self._head_timeout = trio.CancelScope()
        #: Whether the connection waits for the first byte of a request (``stop`` may end it).
        self._idle = False
        self._served = 0
        self._linger = False
        self._reading = trio.Lock()
        name = config.server_header
        self._server_field = None if name is None else (b"server", name.encode("latin-1"))

    def stop(self) -> None:
        """Close the connection if it waits for a request; otherwise after its response."""
        if self._idle:
            self._head_timeout.cancel()

    def expire(self, now: float) -> None:
        """End the connection if the head it waits for is overdue at ``now`` (408 if begun)."""
        if now >= self.head_deadline:
            self._head_timeout.cancel()

    async def run(self) -> None:
        """Serve requests until the connection ends, then close it."""
        try:
            with self._head_timeout:
                while True:
                    request = await self._next_request()
                    if request is None or self._head_timeout.cancel_called:
                        # A head that came as its timeout (or the shutdown) ended the wait:
                        # the connection closes unanswered, as if it had come a moment later.
                        return
                    if is_websocket_upgrade(request):
                        await self._hand_over_websocket(request)
                        return
                    exchange = Exchange(self, request)
                    await exchange.run()
                    self._served += 1
                    if not await self._finish_cycle(exchange):
                        return
            # The head did not come in time, or the server stopped while none had begun.
            if self.parser.buffered and not self.disconnected:
                await self.write_error(408)
        finally:
            await self._close()

    async def read(self) -> bytes:
        """Read what the client sent next; ``b""`` (and ``disconnected``) once it has gone.

        One reader at a time: a task the app left reading in ``receive`` (cancelled, but not
        yet unwound) is waited for, and what it read still reaches the parser.
        """
        reading = self._reading
        try:
            if reading.locked():
                await reading.acquire()
            else:
                # Free, as it nearly always is: taking it without the schedule point that
                # acquire() makes, since receive_some makes one anyway.
                reading.acquire_nowait()
            try:
                data = bytes(await self.stream.receive_some(READ_SIZE))
            finally:
                reading.release()
        except trio.BrokenResourceError:
            data = b""
        self._received(data)
        return data

    def _received(self, data: bytes) -> None:
        """Give the parser what was read; ``b""`` means the client has gone."""
        if not data:
            self.disconnected = True
        self.parser.receive_data(data)

    async def write(self, data: bytes) -> None:
        """Write ``data``, or raise ``ClientDisconnectedError`` if the client has gone."""
        try:
            await self.stream.send_all(data)
        except trio.BrokenResourceError as exc:
            self.disconnected = True
            raise ClientDisconnectedError("the client has gone") from exc

    async def write_error(self, status: int, *, head_only: bool = False) -> None:
        """Answer with ``status`` and a short text body, for a connection about to close."""
        self._linger = True
        body = f"{status} {HTTPStatus(status).phrase}\n".encode()
        start = start_response(
            status,
            [(b"content-type", b"text/plain; charset=utf-8")],
            method=b"HEAD" if head_only else b"GET",
            http_version=b"1.1",
            keep_alive=False,
            length=len(body),
            defaults=self.standard_headers(),
        )
        with trio.move_on_after(self.config.header_timeout), suppress(ClientDisconnectedError):
            await self.write(start.head + (b"" if head_only else body))

    def standard_headers(self) -> list[tuple[bytes, bytes]]:
        """The ``Date`` and ``Server`` fields of a response (lowercase names)."""
        if self._server_field is None:
            return [(b"date", DATE.value())]
        return [(b"date", DATE.value()), self._server_field]

    async def _next_request(self) -> RequestHead | None:
        """The next request's head, or ``None`` when the connection is to close.

        Waiting for it is bounded by ``keep_alive_timeout`` while nothing has arrived (by
        ``header_timeout`` on a new connection), then by ``header_timeout`` from the first byte.
        Answers a malformed head (400), one too large (431) and one too slow (408).
        """
        parser = self.parser
        started = bool(parser.buffered)
        if self.stopping.is_set() and not started:
            return None
        # What the deadline is set for: None (no wait yet: a pipelined request needs none),
        # "idle" (nothing of the head yet) or "head" (from its first byte).
        timing: str | None = None
        try:
            while True:
                head = parser.next_head()
                if head is not None:
                    refusal = head_refusal(head, self.config)
                    if refusal is not None:
                        await self.write_error(refusal)
                        return None
                    return head
                if parser.closed:
                    return None  # the client closed between requests
                wait = "head" if started else "idle"
                if wait != timing:
                    timing = wait
                    idle = self.config.keep_alive_timeout if self._served else None
                    timeout = (
                        idle if idle is not None and not started else self.config.header_timeout
                    )
                    self.head_deadline = trio.current_time() + timeout
                self._idle = not started
                if self._reading.locked():
                    # A task the app left reading (cancelled, not yet unwound): what it
                    # reads reaches the parser, which may then hold the head.
                    async with self._reading:
                        continue
                # self.read() without its lock, inlined: no other task reads now (an
                # exchange reads no more once complete), and this saves 2 us of CPU per
                # request under wrk (A/B, 3x2 runs).
                try:
                    data = bytes(await self.stream.receive_some(READ_SIZE))
                except trio.BrokenResourceError:
                    data = b""
                self._received(data)
                started = started or bool(data)
        except ProtocolError as exc:
            if not self.disconnected:
                await self.write_error(exc.status)
            return None
        finally:
            self._idle = False
            if timing is not None:
                self.head_deadline = math.inf

    async def _finish_cycle(self, exchange: Exchange) -> bool:
        """Get ready for the connection's next request; ``False`` if it is to close instead."""
        if self.disconnected or self.stopping.is_set() or not exchange.keep_alive:
            return False
        if not exchange.body_done:
            if not await self._drain():
                return False
            exchange.body_done = True  # an app task still calling receive must not read on
        self.parser.next_cycle()
        return True

    async def _drain(self) -> bool:
        """Read and drop the rest of a request body the app left; ``False`` if it is too long."""
        dropped = 0
        deadline: float | None = None
        try:
            while dropped <= DRAIN_LIMIT:
                piece = self.parser.next_body()
                if piece is END_OF_BODY:
                    return True
                if piece is not None:
                    dropped += len(piece)
                    continue
                # Only the waits are timed: a request without a body (most of them) ends here
                # at once, without a cancel scope.
                if deadline is None:
                    deadline = trio.current_time() + self.config.keep_alive_timeout
                with trio.move_on_at(deadline):
                    await self.read()
                    continue
                return False
        except ProtocolError:  # a malformed body, or the client left
            pass
        return False

    async def _hand_over_websocket(self, request: RequestHead) -> None:
        """Give the connection to the websocket side, which answers the handshake itself."""
        headers = request.headers
        scope = self._base_scope(request, "wss" if self.secure else "ws")
        scope["type"] = "websocket"
        scope["subprotocols"] = [
            protocol.strip()
            for name, value in headers
            if name == b"sec-websocket-protocol"
            for protocol in value.decode("latin-1").split(",")
            if protocol.strip()
        ]
        scope["extensions"] = {"websocket.http.response": {}}
        initial = self.parser.buffered
        await serve_websocket(
            self.stream, self.app, scope, headers, initial, self.config, self.stopping
        )

    def http_scope(self, request: RequestHead) -> Scope:
        """The ASGI scope of an HTTP request."""
        scope = self._base_scope(request, "https" if self.secure else "http")
        scope["type"] = "http"
        scope["method"] = request.method.decode("ascii")
        return scope

    def _base_scope(self, request: RequestHead, scheme: str) -> Scope:
        """The fields HTTP and websocket scopes share."""
        raw_path, _, query = request.target.partition(b"?")
        scope: Scope = {
            "asgi": dict(ASGI_VERSIONS),
            # A higher minor version is served as the highest this server speaks (RFC 9112
            # 2.3); other major versions are refused before this.
            "http_version": "1.0" if request.http_version == b"1.0" else "1.1",
            "scheme": scheme,
            "path": (unquote_to_bytes(raw_path) if b"%" in raw_path else raw_path).decode(
                "utf-8", "replace"
            ),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": self.config.root_path,
            "headers": request.headers,
            "client": self.client,
            "server": self.server,
            "extensions": {},
        }
        if self.state is not None:
            scope["state"] = dict(self.state)
        return scope

    async def _close(self) -> None:
        """Close the connection; after an error, first read what the client still sends."""
        if (
            self._linger
            and not self.disconnected
            and isinstance(self.stream, trio.abc.HalfCloseableStream)
        ):
            with (
                trio.move_on_after(LINGER_SECONDS, shield=True),
                suppress(trio.BrokenResourceError),
            ):
                await self.stream.send_eof()
                while await self.stream.receive_some(READ_SIZE):
                    pass
        with trio.move_on_after(LINGER_SECONDS, shield=True):
            await self.stream.aclose()


class Exchange:
    """One request and its response: the app's ``receive`` and ``send``."""

    # One per request: slots make it cheaper to build and to use.
    __slots__ = (
        "_complete",
        "_continue_expected",
        "_framing",
        "_received",
        "_sent",
        "_start",
        "_status",
        "_waiting",
        "body_done",
        "connection",
        "keep_alive",
        "rejected",
        "request",
        "scope",
    )

    def __init__(self, connection: HTTP11Connection, request: RequestHead) -> None:
        self.connection = connection
        self.request = request
        self.scope = connection.http_scope(request)
        #: Set when the server answered in the app's stead (a body over the limit).
        self.rejected = False
        #: Whether the request body has been read to its end.
        self.body_done = False
        #: Whether the connection may serve another request after this one.
        self.keep_alive = False
        #: Whether the client waits for ``100 Continue`` and nothing has answered it yet.
        self._continue_expected = request.expects_continue
        self._start: Message | None = None
        self._framing: BodyFraming | None = None
        self._complete = False
        self._status = 0
        self._sent = 0
        self._received = 0
        self._waiting: trio.CancelScope | None = None

    async def run(self) -> None:
        """Run the app for the request, and answer in its stead if it did not."""
        connection = self.connection
        began = time.monotonic() if connection.config.access_log else 0.0
        try:
            if self._declared_too_large():
                await self._reject()
            else:
                try:
                    await connection.app(self.scope, self.receive, self.send)
                except Exception:
                    if connection.disconnected:
                        log.debug("ASGI app error after the client left", exc_info=True)
                    else:
                        log.exception("ASGI app error")
                    self._complete = False
            if self._framing is None and not self.rejected and not connection.disconnected:
                self._status = 500
                await connection.write_error(500, head_only=self.request.method == b"HEAD")
        finally:
            if connection.config.access_log:
                log_request(
                    connection.client,
                    self.scope["method"],
                    self.scope["path"],
                    self.scope["http_version"],
                    self._status,
                    self._sent,
                    time.monotonic() - began,
                )
        if not self._complete:
            self.keep_alive = False

    def _declared_too_large(self) -> bool:
        """Whether the request's ``Content-Length`` is over ``max_body_bytes``."""
        limit = self.connection.config.max_body_bytes
        if limit is None:
            return False
        lengths = [value for name, value in self.request.headers if name == b"content-length"]
        return bool(lengths) and int(lengths[0]) > limit

    async def _reject(self) -> None:
        """Answer 413 in the app's stead."""
        self.rejected = True
        self._status = 413
        await self.connection.write_error(413)

    async def receive(self) -> Message:
        """The app's ``receive``: the body, then ``http.disconnect`` when the client leaves."""
        if not self.body_done and not self.rejected and not self.connection.disconnected:
            message = await self._read_body()
            if message is not None:
                return message
        if not self._complete and not self.rejected and not self.connection.disconnected:
            await self._wait_for_disconnect()
        return {"type": "http.disconnect"}

    async def _read_body(self) -> Message | None:
        """The next body message, or ``None`` if the client has gone or sent too much."""
        connection = self.connection
        if self._continue_expected:
            self._continue_expected = False
            with suppress(ClientDisconnectedError):
                await connection.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        limit = connection.config.max_body_bytes
        chunks: list[bytes] = []
        try:
            while True:
                piece = connection.parser.next_body()
                if piece is END_OF_BODY:
                    self.body_done = True
                    return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                if piece is not None:
                    self._continue_expected = False  # the client sent it without waiting
                    chunks.append(piece)
                    self._received += len(piece)
                    if limit is not None and self._received > limit:
                        if self._framing is None:
                            await self._reject()
                        self.rejected = True
                        return None
                elif chunks:
                    return {"type": "http.request", "body": b"".join(chunks), "more_body": True}
                else:
                    await connection.read()
        except ProtocolError:  # a malformed body, or the client left before its end
            connection.disconnected = True
            return None

    async def _wait_for_disconnect(self) -> None:
        """Wait until the client leaves or the response is complete."""
        connection = self.connection
        with trio.CancelScope() as self._waiting:
            while not connection.disconnected:
                if len(connection.parser.buffered) > PIPELINE_LIMIT:
                    await trio.sleep_forever()
                await connection.read()
        self._waiting = None

    async def send(self, message: Message) -> None:
        """The app's ``send``.

        Raises:
            ClientDisconnectedError: the client has gone.
            ResponseError: the response breaks HTTP (a field HTTP does not allow ...).
            RuntimeError: the message is not one expected now.
        """
        if self.connection.disconnected or self.rejected:
            raise ClientDisconnectedError("the client has gone")
        kind = message["type"]
        if kind == "http.response.start" and self._start is None:
            self._start = message
            self._status = int(message["status"])
        elif kind == "http.response.body" and self._start is not None and not self._complete:
            more_body = bool(message.get("more_body", False))
            data = self._body_bytes(bytes(message.get("body", b"")), more_body)
            if data:
                await self.connection.write(data)
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} in an HTTP response")

    def _body_bytes(self, body: bytes, more_body: bool) -> bytes:
        """What to write for a body message: the head if not yet written, then ``body``, then
        the end if it is the last."""
        framing = self._framing
        data = b""
        if framing is None:
            start = self._start_response(body, more_body)
            framing = self._framing = start.body
            self.keep_alive = start.keep_alive
            # Answered: a 100 Continue now would land inside the response.
            self._continue_expected = False
            data = start.head
        if body and self.request.method != b"HEAD" and self._status not in (204, 304):
            data += framing.data(body)
            self._sent += len(body)
        if not more_body:
            data += framing.end()
            self._complete = True
            if self._waiting is not None:
                self._waiting.cancel()
        return data

    def _start_response(self, body: bytes, more_body: bool) -> ResponseStart:
        """The head of the response the app started, and its framing."""
        assert self._start is not None
        pairs = list(self._start.get("headers", ()))
        try:
            # The pairs as they are: nearly always bytes, which the writer expects. Copying
            # every pair cost 6% of the server's instructions per request (callgrind, A/B).
            return self._response_head(list(pairs), body, more_body)
        except (TypeError, AttributeError):
            # Other byte strings (bytearray, memoryview) are copied to bytes, and the head
            # made again. memoryview() refuses what is no byte string: bytes(5) would be
            # five NULs.
            fields = [(bytes(memoryview(name)), bytes(memoryview(value))) for name, value in pairs]
            return self._response_head(fields, body, more_body)

    def _response_head(
        self, headers: list[tuple[bytes, bytes]], body: bytes, more_body: bool
    ) -> ResponseStart:
        """``start_response`` for this exchange, with ``headers``."""
        connection = self.connection
        request = self.request
        return start_response(
            self._status,
            headers,
            method=request.method,
            http_version=request.http_version,
            # A client still waiting for "100 Continue" may or may not send its body now: the
            # connection cannot be reused safely.
            keep_alive=request.keep_alive
            and not connection.stopping.is_set()
            and not self._continue_expected,
            length=None if more_body else len(body),
            defaults=connection.standard_headers(),
        )


def head_refusal(request: RequestHead, config: ServerConfig) -> int | None:
    """The status that refuses ``request`` from its head alone, or ``None`` to serve it.

    - 505: an HTTP major version other than 1 (both parsers read any ``HTTP/d.d``, the HTTP/2
      preface included).
    - 431: more header fields than ``max_header_count``, or a head larger than
      ``max_header_bytes`` (the parsers limit a head only while it is incomplete, so one that
      arrives whole is measured here).
    """
    if not request.http_version.startswith(b"1."):
        return 505
    if len(request.headers) > config.max_header_count or request.size > config.max_header_bytes:
        return 431
    return None


def is_websocket_upgrade(request: RequestHead) -> bool:
    """Whether ``request`` asks to become a websocket."""
    if request.method != b"GET" or not request.upgrade:
        return False
    upgrade = header_tokens(request.headers, b"upgrade")
    return b"websocket" in upgrade and b"upgrade" in header_tokens(request.headers, b"connection")


def header_tokens(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> set[bytes]:
    """The lowercased comma-separated tokens of every ``name`` header."""
    return {token for found, value in headers if found == name for token in comma_tokens(value)}
