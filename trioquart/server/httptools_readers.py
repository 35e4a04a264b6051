"""What ``HttptoolsConnection`` reads: request heads through httptools, bodies framed as h11 does.

A head is cut at its first blank line, as h11 cuts it, then handed to httptools whole. Where
httptools refuses a head that h11 might take (an unknown method, a bare LF, obsolete line
folding, duplicate ``Content-Length`` ...), h11 itself parses that head, so that both accept and
refuse the same heads. Bodies are read here, with h11's rules, so that every event ends at the
same byte as h11's and the bytes after it stay unread.
"""

from __future__ import annotations

import re

import h11
import httptools

_BLANK_LINE = re.compile(rb"\n\r?\n")
# RFC 9112's request-line: token SP request-target SP HTTP-version, the target being visible
# characters (what h11 accepts; llhttp also takes several spaces and HTTP/0.9 lines).
_REQUEST_LINE = re.compile(rb"([-!#$%&'*+.^_`|~0-9a-zA-Z]+) ([\x21-\x7e]+) HTTP/([0-9]\.[0-9])")
# A chunk size of at most 20 hex digits, extensions ignored, then optional whitespace.
_CHUNK_HEADER = re.compile(rb"([0-9A-Fa-f]{1,20})(?:;.*)?[ \t]*\r\n")


class ReceiveBuffer:
    """The bytes received and not yet turned into events, and whether the client closed."""

    __slots__ = ("_search", "closed", "data")

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        # Where the next search for a line end may start: what was searched is not again.
        self._search = 0

    def take(self, count: int) -> bytes:
        """Remove and return the first ``count`` bytes (fewer if there are fewer)."""
        out = bytes(self.data[:count])
        del self.data[:count]
        self._search = 0
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


class _Head:
    """httptools' callbacks: the header fields of one head."""

    __slots__ = ("headers",)

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        """A field; llhttp keeps the whitespace after a value, h11 does not."""
        self.headers.append((name, value.rstrip(b" \t")))


def read_head(buffer: ReceiveBuffer) -> h11.Request | None:
    """The next request's head, or ``None`` until it is complete.

    Raises:
        h11.LocalProtocolError: the head is malformed (as h11 raises it, before it re-raises).
    """
    if buffer.take_empty_line():
        raise h11.LocalProtocolError("no request line received")
    head = buffer.take_block()
    if head is None:
        if buffer.data and buffer.data[0] < 0x21:
            raise h11.LocalProtocolError("illegal request line")
        return None
    fields = _Head()
    try:
        httptools.HttpRequestParser(fields).feed_data(head)
    except httptools.HttpParserUpgrade:
        pass  # CONNECT or "Upgrade": the head was read whole all the same
    except httptools.HttpParserError:
        return _parse_with_h11(head)
    line = _REQUEST_LINE.fullmatch(head, 0, head.find(b"\r\n"))
    if line is None:
        return _parse_with_h11(head)
    method, target, version = line.groups()
    # _parsed skips h11's regular expression over every field, which llhttp has checked
    # (strictly); h11 still applies its Host, Content-Length and Transfer-Encoding rules.
    return h11.Request(
        method=method, target=target, headers=fields.headers, http_version=version, _parsed=True
    )


def _parse_with_h11(head: bytes) -> h11.Request:
    """``head`` as h11 reads it: a request, or h11's ``RemoteProtocolError``."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(head)
    request = connection.next_event()
    assert isinstance(request, h11.Request)  # a whole head is a request or an error
    return request


class ContentLengthReader:
    """A body of a known length."""

    __slots__ = ("_length", "_remaining")

    def __init__(self, length: int) -> None:
        self._length = length
        self._remaining = length

    def __call__(self, buffer: ReceiveBuffer) -> h11.Data | h11.EndOfMessage | None:
        """The next event of the body, or ``None`` until more has arrived."""
        if not self._remaining:
            return h11.EndOfMessage()
        if not buffer.data:
            return None
        data = buffer.take(self._remaining)
        self._remaining -= len(data)
        return h11.Data(data=data)

    def read_eof(self) -> h11.EndOfMessage:
        """The client closed before the end of the body."""
        raise h11.RemoteProtocolError(
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

    def __call__(self, buffer: ReceiveBuffer) -> h11.Data | h11.EndOfMessage | None:
        """The next event of the body, or ``None`` until more has arrived."""
        if self._trailer:
            block = b"" if buffer.take_empty_line() else buffer.take_block()
            if block is None:
                return None
            return h11.EndOfMessage(headers=_trailer_fields(block))
        if self._to_discard:
            data = buffer.take(len(self._to_discard))
            if not data:
                return None
            if not self._to_discard.startswith(data):
                raise h11.LocalProtocolError(f"malformed chunk footer: {data!r}")
            self._to_discard = self._to_discard[len(data) :]
            if self._to_discard:
                return None
        chunk_start = not self._in_chunk
        if chunk_start:
            line = buffer.take_line()
            if line is None:
                return None
            match = _CHUNK_HEADER.fullmatch(line)
            if match is None:
                raise h11.LocalProtocolError(f"illegal chunk header: {line!r}")
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
        return h11.Data(data=data, chunk_start=chunk_start, chunk_end=not self._in_chunk)

    def read_eof(self) -> h11.EndOfMessage:
        """The client closed before the end of the body."""
        raise h11.RemoteProtocolError(
            "peer closed connection without sending complete message body (incomplete chunked read)"
        )


def _trailer_fields(block: bytes) -> list[tuple[bytes, bytes]]:
    """The fields of a trailer section, obsolete folds unfolded; h11's event checks them."""
    lines: list[bytes] = []
    for raw in block.split(b"\n")[:-2]:
        line = raw[:-1] if raw.endswith(b"\r") else raw
        if line[:1] in (b" ", b"\t"):
            if not lines:
                raise h11.LocalProtocolError("continuation line at start of headers")
            lines[-1] += b" " + line.lstrip(b" \t")
        else:
            lines.append(line)
    fields = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon:
            raise h11.LocalProtocolError(f"illegal header line: {line!r}")
        fields.append((name, value.strip(b" \t")))
    return fields
