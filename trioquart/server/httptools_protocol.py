"""HTTP/1.1 for a server on httptools: what ``http11.py`` uses of ``h11.Connection``, faster.

``HttptoolsConnection`` has the same methods, states and events as an ``h11.Connection`` in the
server role, for the part of h11 the server uses: h11's events come in and out, its sentinels
are the states, its exceptions are raised. Request heads are parsed by httptools (see
``httptools_readers``); responses are written here, with h11's framing and ``Connection: close``
rules, without h11's regular expressions over every header.

Stricter than h11 in one way: a request with both ``Content-Length`` and ``Transfer-Encoding``
is refused with a 400. RFC 9112 §6.1 allows that, or reading it by its ``Transfer-Encoding``
(h11's choice) provided the connection then closes, which h11 does not do: request smuggling.
"""

from __future__ import annotations

from typing import Any

import h11

from .httptools_readers import ChunkedReader, ContentLengthReader, ReceiveBuffer, read_head
from .httptools_writers import BodyWriter, head

__all__ = ["HttptoolsConnection"]

#: A state of either side: one of h11's sentinels (``h11.IDLE``, ``h11.DONE`` ...).
State = Any

#: What ``next_event`` returns, as h11's does.
NextEvent = h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]

# A public state of h11 that its __all__ leaves out.
_MIGHT_SWITCH: State = h11.MIGHT_SWITCH_PROTOCOL  # type: ignore[attr-defined]

# The joint states (client, server) that move a side on by themselves, as in h11.
_AUTOMATIC: dict[tuple[State, State], tuple[State, State]] = {
    (_MIGHT_SWITCH, h11.SWITCHED_PROTOCOL): (
        h11.SWITCHED_PROTOCOL,
        h11.SWITCHED_PROTOCOL,
    ),
    (h11.CLOSED, h11.DONE): (h11.CLOSED, h11.MUST_CLOSE),
    (h11.CLOSED, h11.IDLE): (h11.CLOSED, h11.MUST_CLOSE),
    (h11.ERROR, h11.DONE): (h11.ERROR, h11.MUST_CLOSE),
    (h11.DONE, h11.ERROR): (h11.MUST_CLOSE, h11.ERROR),
}


_SWITCHING = (_MIGHT_SWITCH, h11.SWITCHED_PROTOCOL)


def _tokens(value: bytes) -> list[bytes]:
    """The lowercased, non-empty comma-separated tokens of a header value."""
    return [token for token in (part.strip() for part in value.lower().split(b",")) if token]


class HttptoolsConnection:
    """A server's side of one HTTP/1.1 connection, as ``h11.Connection(h11.SERVER)``."""

    def __init__(self, max_incomplete_event_size: int = 16 * 1024) -> None:
        self._max_incomplete = max_incomplete_event_size
        self._buffer = ReceiveBuffer()
        self._client: State = h11.IDLE
        self._server: State = h11.IDLE
        self._keep_alive = True
        self._upgrade = False
        self._connect = False
        self._method: bytes | None = None
        self._reader: ContentLengthReader | ChunkedReader = ContentLengthReader(0)
        self._writer = BodyWriter(None)
        #: The HTTP version of the client's last request (``b"1.1"``), as h11's.
        self.their_http_version: bytes | None = None
        #: Whether the client sent ``Expect: 100-continue`` and nothing has answered it yet.
        self.client_is_waiting_for_100_continue = False

    @property
    def our_state(self) -> State:
        """The server's state: one of h11's sentinels."""
        return self._server

    @property
    def their_state(self) -> State:
        """The client's state: one of h11's sentinels."""
        return self._client

    @property
    def they_are_waiting_for_100_continue(self) -> bool:
        """Whether the client waits for ``100 Continue`` before it sends its body."""
        return self.client_is_waiting_for_100_continue

    @property
    def trailing_data(self) -> tuple[bytes, bool]:
        """The bytes received and not yet parsed, and whether the client closed."""
        return bytes(self._buffer.data), self._buffer.closed

    def receive_data(self, data: bytes) -> None:
        """Add bytes from the client; ``b""`` means it closed."""
        if not data:
            self._buffer.closed = True
        elif self._buffer.closed:
            raise RuntimeError("received close, then received more data?")
        else:
            self._buffer.data += data

    def start_next_cycle(self) -> None:
        """Get ready for the next request once both sides are ``DONE``."""
        if self._client is not h11.DONE or self._server is not h11.DONE:
            raise h11.LocalProtocolError(
                f"not in a reusable state: client {self._client}, server {self._server}"
            )
        self._client = self._server = h11.IDLE
        self._method = None

    def next_event(self) -> NextEvent:
        """The next event from the client, ``h11.NEED_DATA`` or ``h11.PAUSED``.

        Raises:
            h11.RemoteProtocolError: the client broke the protocol (``error_status_hint`` is the
                status to answer), or closed in the middle of a request.
        """
        if self._client is h11.ERROR:
            raise h11.RemoteProtocolError("Can't receive data when peer state is ERROR")
        try:
            event = self._next_event()
            if event is h11.NEED_DATA:
                if len(self._buffer.data) > self._max_incomplete:
                    raise h11.RemoteProtocolError("Receive buffer too long", error_status_hint=431)
                if self._buffer.closed:
                    raise h11.RemoteProtocolError("peer unexpectedly closed connection")
            return event
        except BaseException as exc:
            self._client = h11.ERROR
            self._settle()
            if isinstance(exc, h11.LocalProtocolError):
                raise h11.RemoteProtocolError(str(exc), exc.error_status_hint) from exc
            raise

    def _next_event(self) -> NextEvent:
        """``next_event`` without its checks."""
        state = self._client
        buffer = self._buffer
        if state is h11.SEND_BODY:
            event = self._reader(buffer)
            if event is None:
                if buffer.data or not buffer.closed:
                    return h11.NEED_DATA
                event = self._reader.read_eof()
            self.client_is_waiting_for_100_continue = False
            if isinstance(event, h11.EndOfMessage):
                self._client = h11.DONE
                self._settle()
            return event
        if state is h11.IDLE:
            request = read_head(buffer)
            if request is not None:
                self._start_request(request)
                return request
        elif (state is h11.DONE and buffer.data) or state in _SWITCHING:
            return h11.PAUSED
        elif buffer.data:
            raise h11.LocalProtocolError("Got data when expecting EOF")
        if buffer.data or not buffer.closed:
            return h11.NEED_DATA
        self._client = h11.CLOSED
        self._settle()
        return h11.ConnectionClosed()

    def _start_request(self, request: h11.Request) -> None:
        """Take in a request's head: its framing, keep-alive, upgrade and ``Expect``."""
        length: bytes | None = None
        chunked = upgrade = expects = False
        closes = request.http_version < b"1.1"
        # raw_items() is a plain list, quicker to walk than the Headers sequence itself.
        for raw_name, value in request.headers.raw_items():
            name = raw_name.lower()
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"connection":
                closes = closes or b"close" in _tokens(value)
            elif name == b"upgrade":
                upgrade = upgrade or bool(_tokens(value))
            elif name == b"expect":
                expects = expects or b"100-continue" in _tokens(value)
        if chunked and length is not None:
            raise h11.LocalProtocolError("both Content-Length and Transfer-Encoding")
        self._reader = ChunkedReader() if chunked else ContentLengthReader(int(length or 0))
        self._method = request.method
        self._upgrade = upgrade
        self._connect = request.method == b"CONNECT"
        self.their_http_version = request.http_version
        # RFC 9110 §10.1.1: an HTTP/1.0 request's expectation is ignored.
        self.client_is_waiting_for_100_continue = expects and request.http_version >= b"1.1"
        if closes:
            self._keep_alive = False
        self._client = h11.SEND_BODY
        self._server = h11.SEND_RESPONSE

    def _settle(self) -> None:
        """Move the sides on as the joint state requires (h11's state-triggered transitions)."""
        while True:
            before = (self._client, self._server)
            if self._client is h11.DONE and (self._upgrade or self._connect):
                self._client = _MIGHT_SWITCH
            elif self._client is _MIGHT_SWITCH and not (self._upgrade or self._connect):
                self._client = h11.DONE
            if not self._keep_alive:
                if self._client is h11.DONE:
                    self._client = h11.MUST_CLOSE
                if self._server is h11.DONE:
                    self._server = h11.MUST_CLOSE
            self._client, self._server = _AUTOMATIC.get(
                (self._client, self._server), (self._client, self._server)
            )
            if (self._client, self._server) == before:
                return

    def send(self, event: h11.Event) -> bytes:
        """The bytes of a ``Response``, ``InformationalResponse``, ``Data`` or ``EndOfMessage``.

        Raises:
            h11.LocalProtocolError: the event is not one the server may send now, or its
                headers are not HTTP's (a name that is not a token, a value with CR, LF or
                NUL in it).
        """
        if self._server is h11.ERROR:
            raise h11.LocalProtocolError("Can't send data when our state is ERROR")
        try:
            return self._send(event)
        except BaseException:
            self._server = h11.ERROR
            self._settle()
            raise

    def _send(self, event: h11.Event) -> bytes:
        """``send`` without its error handling."""
        kind = type(event)
        if kind is h11.Data and self._server is h11.SEND_BODY:
            assert isinstance(event, h11.Data)
            return self._writer.data(event.data)
        if kind is h11.EndOfMessage and self._server is h11.SEND_BODY:
            assert isinstance(event, h11.EndOfMessage)
            data = self._writer.end(event.headers.raw_items())
            self._server = h11.DONE
            self._settle()
            return data
        if kind is h11.Response and self._server is h11.SEND_RESPONSE:
            assert isinstance(event, h11.Response)
            return self._send_response(event)
        if kind is h11.InformationalResponse and self._server is h11.SEND_RESPONSE:
            assert isinstance(event, h11.InformationalResponse)
            if event.status_code == 101:
                if not self._upgrade:
                    raise h11.LocalProtocolError("101 without an Upgrade request")
                self._server = h11.SWITCHED_PROTOCOL
            self.client_is_waiting_for_100_continue = False
            self._settle()
            return head(
                event.status_code, event.reason, event.headers.raw_items(), event.http_version
            )
        raise h11.LocalProtocolError(
            f"can't handle event type {kind.__name__} when role=SERVER and state={self._server}"
        )

    def _send_response(self, response: h11.Response) -> bytes:
        """A response's head, its framing and ``Connection`` fields set as h11 sets them."""
        status = response.status_code
        headers = response.headers.raw_items()
        lowered = [name.lower() for name, _ in headers]
        connect_ok = self._method == b"CONNECT" and 200 <= status < 300
        mode: bytes | None = None  # the body's framing: None (empty), b"length", b"chunked"...
        length = 0
        if status not in (204, 304) and not connect_ok:
            if b"transfer-encoding" in lowered:
                mode = b"chunked"
            elif b"content-length" in lowered:
                mode = b"length"
                length = int(headers[lowered.index(b"content-length")][1])
            else:
                mode = b"close"
        need_close = False
        if mode in (b"chunked", b"close"):
            drop = {b"content-length", b"transfer-encoding"}
            headers = [
                field for field, name in zip(headers, lowered, strict=True) if name not in drop
            ]
            lowered = [name for name in lowered if name not in drop]
            if self.their_http_version is None or self.their_http_version < b"1.1":
                mode = b"close"
                need_close = self._method != b"HEAD"
            else:
                mode = b"chunked"
                headers.append((b"Transfer-Encoding", b"chunked"))
                lowered.append(b"transfer-encoding")
        connection = [
            token
            for (_, value), name in zip(headers, lowered, strict=True)
            if name == b"connection"
            for token in _tokens(value)
        ]
        if not self._keep_alive or need_close:
            tokens = set(connection) - {b"keep-alive"} | {b"close"}
            headers = [
                field for field, name in zip(headers, lowered, strict=True) if name != b"connection"
            ]
            headers += [(b"Connection", token) for token in sorted(tokens)]
            connection = list(tokens)
        if b"close" in connection:
            self._keep_alive = False
        if self._method == b"HEAD":
            mode, length = None, 0
        data = head(status, response.reason, headers, response.http_version)
        self.client_is_waiting_for_100_continue = False
        if connect_ok:
            self._server = h11.SWITCHED_PROTOCOL
        else:
            self._upgrade = self._connect = False
            self._server = h11.SEND_BODY
            self._writer = BodyWriter(mode, length)
        self._settle()
        return data
