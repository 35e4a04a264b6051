"""Request parsing on httptools (``pip install 'trioquart[speed]'``), by h11's rules.

A head is cut at its first blank line, as h11 cuts it, then handed to httptools whole, and the
fields it reports are checked here by h11's rules (``Host``, ``Content-Length``,
``Transfer-Encoding``). Where httptools refuses a head that h11 might take (an unknown method,
a bare LF, obsolete line folding, a duplicate ``Content-Length`` ...), h11 parses that head
itself, so that both parsers accept and refuse the same heads. Bodies are read here, framed as
h11 frames them, so that every piece ends at the same byte as h11's and what follows stays
unread.
"""

from __future__ import annotations

import re

import h11
import httptools

from .http_parser import END_OF_BODY, EndOfBody, ProtocolError, RequestHead, comma_tokens
from .http_parser_h11 import head_from_h11

_BLANK_LINE = re.compile(rb"\n\r?\n")
# RFC 9112's request-line: token SP request-target SP HTTP-version, the target being visible
# characters (what h11 accepts; llhttp also takes several spaces and HTTP/0.9 lines).
_REQUEST_LINE = re.compile(rb"([-!#$%&'*+.^_`|~0-9a-zA-Z]+) ([\x21-\x7e]+) HTTP/([0-9]\.[0-9])")
# A chunk size of at most 20 hex digits, extensions ignored, then optional whitespace.
_CHUNK_HEADER = re.compile(rb"([0-9A-Fa-f]{1,20})(?:;.*)?[ \t]*\r\n")
_DIGITS = re.compile(rb"[0-9]{1,20}")  # h11's limit


class ReceiveBuffer:
    """The bytes received and not yet parsed, and whether the client closed."""

    __slots__ = ("_search", "closed", "data")

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        # Where the next search for a line end may start: what was searched is not again.
        self._search = 0

    def take(self, count: int) -> bytes:
        """Remove and return the first ``count`` bytes (fewer if there are fewer)."""
        self._search = 0
        data = self.data
        if count >= len(data):
            out = bytes(data)
            data.clear()
            return out
        out = bytes(data[:count])
        del data[:count]
        return out

    def take_line(self) -> bytes | None:
        """The first line with its CRLF, once it is complete."""
        end = self.data.find(b"\r\n", max(0, self._search - 1))
        if end < 0:
            self._search = len(self.data)
            return None
        return self.take(end + 2)

    def take_block(self) -> bytes | None:
        """Everything up to and with the first blank line (LF or CRLF ones), once it is here."""
        match = _BLANK_LINE.search(self.data, self._search)
        if match is None:
            self._search = max(0, len(self.data) - 2)
            return None
        return self.take(match.end())

    def take_empty_line(self) -> bool:
        """Remove a blank line at the very start, if there is one."""
        if self.data[:1] == b"\n":
            self.take(1)
            return True
        if self.data[:2] == b"\r\n":
            self.take(2)
            return True
        return False


class _Fields:
    """httptools' callback: the header fields of one head, names lowercased."""

    __slots__ = ("headers",)

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        """A field; llhttp keeps the whitespace after a value, h11 does not."""
        self.headers.append((name.lower(), value.rstrip(b" \t")))


class ContentLengthReader:
    """A body of a known length."""

    __slots__ = ("_length", "_remaining")

    def __init__(self, length: int) -> None:
        self._length = length
        self._remaining = length

    def __call__(self, buffer: ReceiveBuffer) -> bytes | EndOfBody | None:
        """The next piece of the body, or ``None`` until more has arrived."""
        if not self._remaining:
            return END_OF_BODY
        if not buffer.data:
            return None
        data = buffer.take(self._remaining)
        self._remaining -= len(data)
        return data

    def read_eof(self) -> None:
        """The client closed before the end of the body."""
        raise ProtocolError(
            "peer closed connection without sending complete message body "
            f"(received {self._length - self._remaining} bytes, expected {self._length})"
        )


class ChunkedReader:
    """A chunked body, read by h11's rules (its 20-digit sizes, its trailers)."""

    __slots__ = ("_in_chunk", "_to_discard", "_trailer")

    def __init__(self) -> None:
        self._in_chunk = 0
        self._to_discard = b""
        self._trailer = False

    def __call__(self, buffer: ReceiveBuffer) -> bytes | EndOfBody | None:
        """The next piece of the body, or ``None`` until more has arrived."""
        if self._trailer:
            block = b"" if buffer.take_empty_line() else buffer.take_block()
            if block is None:
                return None
            _check_trailer(block)
            return END_OF_BODY
        if self._to_discard:
            data = buffer.take(len(self._to_discard))
            if not data:
                return None
            if not self._to_discard.startswith(data):
                raise ProtocolError(f"malformed chunk footer: {data!r}")
            self._to_discard = self._to_discard[len(data) :]
            if self._to_discard:
                return None
        if not self._in_chunk:
            line = buffer.take_line()
            if line is None:
                return None
            match = _CHUNK_HEADER.fullmatch(line)
            if match is None:
                raise ProtocolError(f"illegal chunk header: {line!r}")
            self._in_chunk = int(match[1], 16)
            if not self._in_chunk:
                self._trailer = True
                return self(buffer)
        if not buffer.data:
            return None
        data = buffer.take(self._in_chunk)
        self._in_chunk -= len(data)
        if not self._in_chunk:
            self._to_discard = b"\r\n"
        return data

    def read_eof(self) -> None:
        """The client closed before the end of the body."""
        raise ProtocolError(
            "peer closed connection without sending complete message body (incomplete chunked read)"
        )


def _check_trailer(block: bytes) -> None:
    """Refuse a trailer section h11 would refuse (ASGI has no place for its fields).

    Rare enough that h11's own checks, an event built from the fields, are the simplest.
    """
    lines: list[bytes] = []
    for raw in block.split(b"\n")[:-2]:
        line = raw[:-1] if raw.endswith(b"\r") else raw
        if line[:1] in (b" ", b"\t"):
            if not lines:
                raise ProtocolError("continuation line at start of headers")
            lines[-1] += b" " + line.lstrip(b" \t")
        else:
            lines.append(line)
    fields = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ProtocolError(f"illegal header line: {line!r}")
        fields.append((name, value.strip(b" \t")))
    try:
        h11.EndOfMessage(headers=fields)
    except h11.LocalProtocolError as exc:
        raise ProtocolError(str(exc), exc.error_status_hint) from exc


#: The fields ``_framed`` looks at (``Upgrade`` only to note it); the others pass through.
_FRAMING_FIELDS = frozenset(
    {b"host", b"content-length", b"transfer-encoding", b"connection", b"expect", b"upgrade"}
)


class HttptoolsParser:
    """The reading side of a connection, on httptools."""

    def __init__(self, max_head_bytes: int) -> None:
        self._max_head_bytes = max_head_bytes
        self._buffer = ReceiveBuffer()
        #: The current body's reader, or ``None`` between requests.
        self._body: ContentLengthReader | ChunkedReader | None = None
        self._failed = False

    def receive_data(self, data: bytes) -> None:
        """Add what the client sent next; ``b""`` once it has closed."""
        if data:
            self._buffer.data += data
        else:
            self._buffer.closed = True

    def next_head(self) -> RequestHead | None:
        """The next request's head, or ``None`` until more has arrived or after a clean close.

        Raises:
            ProtocolError: the head is malformed, too large, or cut short by a close.
        """
        if self._failed:
            raise ProtocolError("the connection had a protocol error already")
        buffer = self._buffer
        if not buffer.data:
            return None
        try:
            # h11 refuses an empty line before the request line, and whitespace.
            if buffer.data[0] < 0x21:
                raise ProtocolError("illegal request line")
            block = buffer.take_block()
            if block is not None:
                return self._parse(block)
            if len(buffer.data) > self._max_head_bytes:
                raise ProtocolError("the request head is too large", 431)
            if buffer.closed:
                raise ProtocolError("peer unexpectedly closed connection")
            return None
        except ProtocolError:
            self._failed = True
            raise

    def _parse(self, block: bytes) -> RequestHead:
        """A whole head: httptools reads it, the checks here or h11 judge it."""
        fields = _Fields()
        try:
            httptools.HttpRequestParser(fields).feed_data(block)
        except httptools.HttpParserUpgrade:
            pass  # CONNECT or "Upgrade": the head was read whole all the same
        except httptools.HttpParserError:
            return self._head_by_h11(block)
        line = _REQUEST_LINE.fullmatch(block, 0, block.find(b"\r\n"))
        if line is None:
            return self._head_by_h11(block)
        method, target, version = line.groups()
        head = self._framed(method, target, version, fields.headers, len(block))
        return self._head_by_h11(block) if head is None else head

    def _framed(
        self,
        method: bytes,
        target: bytes,
        version: bytes,
        headers: list[tuple[bytes, bytes]],
        size: int,
    ) -> RequestHead | None:
        """The head, its fields checked by h11's rules and its body's reader chosen; ``None``
        for framing fields llhttp should have refused already (h11 then judges the head).

        Keep-alive and ``Expect`` follow ``keeps_alive`` and ``expects_continue``, in this one
        pass over the fields (the parser tests hold both parsers to the same answers).
        """
        hosts = 0
        length: bytes | None = None
        chunked = False
        keep_alive = version >= b"1.1"
        expects = False
        upgrade = False
        for index, (name, value) in enumerate(headers):
            if name not in _FRAMING_FIELDS:
                continue
            if name == b"host":
                hosts += 1
            elif name == b"content-length":
                if length is not None or _DIGITS.fullmatch(value) is None:
                    return None
                length = value
            elif name == b"transfer-encoding":
                value = value.lower()
                if chunked or value != b"chunked":
                    return None
                chunked = True
                headers[index] = (name, value)
            elif name == b"connection":
                keep_alive = keep_alive and b"close" not in comma_tokens(value)
            elif name == b"expect":
                expects = expects or b"100-continue" in comma_tokens(value)
            else:
                upgrade = True
        if version == b"1.1" and not hosts:
            raise ProtocolError("Missing mandatory Host: header")
        if hosts > 1:
            raise ProtocolError("Found multiple Host: headers")
        if chunked and length is not None:
            raise ProtocolError("both Content-Length and Transfer-Encoding")
        if chunked:
            self._body = ChunkedReader()
        elif length is None:
            self._body = _NO_BODY
        else:
            self._body = ContentLengthReader(int(length))
        return RequestHead(
            method,
            target,
            version,
            headers,
            keep_alive,
            expects and version >= b"1.1",
            size,
            upgrade,
        )

    def _head_by_h11(self, block: bytes) -> RequestHead:
        """``block`` as h11 reads it (one that httptools refused, or read otherwise)."""
        connection = h11.Connection(h11.SERVER)
        connection.receive_data(block)
        try:
            request = connection.next_event()
        except h11.RemoteProtocolError as exc:
            raise ProtocolError(str(exc), exc.error_status_hint) from exc
        assert isinstance(request, h11.Request)  # a whole head is a request or an error
        head = head_from_h11(request)
        chunked = any(name == b"transfer-encoding" for name, _ in head.headers)
        lengths = [value for name, value in head.headers if name == b"content-length"] or [b"0"]
        self._body = ChunkedReader() if chunked else ContentLengthReader(int(lengths[0]))
        return head

    def next_body(self) -> bytes | EndOfBody | None:
        """The next piece of the body, ``END_OF_BODY`` after its last, or ``None`` for now.

        Raises:
            ProtocolError: the body is malformed, or the client closed before its end.
        """
        assert self._body is not None, "no request head was read"
        if self._failed:
            raise ProtocolError("the connection had a protocol error already")
        buffer = self._buffer
        try:
            piece = self._body(buffer)
            if piece is None:
                if buffer.closed:
                    self._body.read_eof()
                # A chunk's size line or the trailers, unended: limited as a head is.
                if len(buffer.data) > self._max_head_bytes:
                    raise ProtocolError("a chunk header or trailer section is too large", 431)
        except ProtocolError:
            self._failed = True
            raise
        return piece

    def next_cycle(self) -> None:
        """Get ready for the next request."""
        self._body = None

    @property
    def buffered(self) -> bytes:
        """What the client sent that no head or body chunk has taken yet."""
        return bytes(self._buffer.data)

    @property
    def closed(self) -> bool:
        """Whether the client has closed its side."""
        return self._buffer.closed


#: The reader of a request without a body (it keeps no state).
_NO_BODY = ContentLengthReader(0)
