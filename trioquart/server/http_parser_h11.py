"""Request parsing on h11, the parser that is always there.

Only h11's reading side is used. Its connection expects to write the response as well before it
reads the next request, so each request gets a fresh ``h11.Connection``, fed what the previous
one left unread: that costs well under a microsecond, where sending h11 the response events
would cost more than writing the response does.
"""

from __future__ import annotations

import h11

from .http_parser import (
    END_OF_BODY,
    EndOfBody,
    ProtocolError,
    RequestHead,
    expects_continue,
    keeps_alive,
)


def head_from_h11(request: h11.Request) -> RequestHead:
    """A request head from h11's event.

    Raises:
        ProtocolError: both ``Content-Length`` and ``Transfer-Encoding`` (which h11 takes).
    """
    headers = list(request.headers)
    names = {name for name, _ in headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        raise ProtocolError("both Content-Length and Transfer-Encoding")
    size = len(request.method) + len(request.target) + len(b"  HTTP/1.1\r\n\r\n")
    size += sum([len(name) + len(value) + len(b": \r\n") for name, value in headers])
    return RequestHead(
        method=request.method,
        target=request.target,
        http_version=request.http_version,
        headers=headers,
        keep_alive=keeps_alive(request.http_version, headers),
        expects_continue=expects_continue(request.http_version, headers),
        size=size,
        upgrade=b"upgrade" in names,
    )


class H11Parser:
    """The reading side of a connection, on h11."""

    def __init__(self, max_head_bytes: int) -> None:
        self._max_head_bytes = max_head_bytes
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=max_head_bytes)

    def receive_data(self, data: bytes) -> None:
        """Add what the client sent next; ``b""`` once it has closed."""
        self._h11.receive_data(data)

    def next_head(self) -> RequestHead | None:
        """The next request's head, or ``None`` until more has arrived or after a clean close.

        Raises:
            ProtocolError: the head is malformed, too large, or cut short by a close.
        """
        try:
            event = self._h11.next_event()
        except h11.RemoteProtocolError as exc:
            raise ProtocolError(str(exc), exc.error_status_hint) from exc
        if isinstance(event, h11.Request):
            return head_from_h11(event)
        return None  # NEED_DATA, or ConnectionClosed with nothing unread

    def next_body(self) -> bytes | EndOfBody | None:
        """The next piece of the body, ``END_OF_BODY`` after its last, or ``None`` for now.

        Raises:
            ProtocolError: the body is malformed, or the client closed before its end.
        """
        try:
            event = self._h11.next_event()
        except h11.RemoteProtocolError as exc:
            raise ProtocolError(str(exc), exc.error_status_hint) from exc
        if isinstance(event, h11.Data):
            return bytes(event.data)
        if isinstance(event, h11.EndOfMessage):
            return END_OF_BODY
        return None

    def next_cycle(self) -> None:
        """Get ready for the next request: a new h11 connection, given what is unread."""
        data, closed = self._h11.trailing_data
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=self._max_head_bytes)
        if data:
            self._h11.receive_data(data)
        if closed:
            self._h11.receive_data(b"")

    @property
    def buffered(self) -> bytes:
        """What the client sent that no head or body chunk has taken yet."""
        return bytes(self._h11.trailing_data[0])

    @property
    def closed(self) -> bool:
        """Whether the client has closed its side."""
        return self._h11.trailing_data[1]
