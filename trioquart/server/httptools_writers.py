"""What ``HttptoolsConnection`` writes: response heads and bodies, framed as h11 frames them."""

from __future__ import annotations

import re

import h11


class BodyWriter:
    """Frames a response body: by its ``Content-Length``, chunked, or ended by closing."""

    __slots__ = ("_mode", "_remaining")

    def __init__(self, mode: bytes | None, length: int = 0) -> None:
        self._mode = mode
        self._remaining = length

    def data(self, data: bytes) -> bytes:
        """The bytes of some body."""
        if self._mode == b"chunked":
            return b"%x\r\n%s\r\n" % (len(data), data) if data else b""
        if self._mode != b"close":
            self._remaining -= len(data)
            if self._remaining < 0:
                raise h11.LocalProtocolError("Too much data for declared Content-Length")
        return bytes(data)

    def end(self, trailers: list[tuple[bytes, bytes]]) -> bytes:
        """The bytes that end the body (its trailers, if chunked)."""
        if self._mode == b"chunked":
            return b"0\r\n" + _fields(trailers) + b"\r\n"
        if self._remaining:
            raise h11.LocalProtocolError("Too little data for declared Content-Length")
        if trailers:
            raise h11.LocalProtocolError("trailers need a chunked body")
        return b""


def head(
    status: int, reason: bytes, headers: list[tuple[bytes, bytes]], version: bytes = b"1.1"
) -> bytes:
    """A response's status line and header block."""
    if version != b"1.1":
        raise h11.LocalProtocolError("I only send HTTP/1.1")
    if b"\r" in reason or b"\n" in reason:
        raise h11.LocalProtocolError("CR or LF in the reason phrase")
    return b"HTTP/1.1 %d %s\r\n%s\r\n" % (status, reason, _fields(headers))


# RFC 9110 5.1 and 5.5, as h11 reads them: a token for the name, visible characters (and
# obs-text) with inner spaces or tabs for the value.
_NAME = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_VALUE = rb"(?:[\x21-\x7e\x80-\xff]+(?:[ \t]+[\x21-\x7e\x80-\xff]+)*)?"
_FIELD_LINES = re.compile(rb"(?:" + _NAME + rb": " + _VALUE + rb"\r\n)*")


def _fields(headers: list[tuple[bytes, bytes]]) -> bytes:
    """Header lines, ``Host`` first as h11 writes them.

    Raises:
        h11.LocalProtocolError: a name that is not a token, or a value with a character a
            field value cannot hold (CR, LF, NUL ...). Checked once over the whole block,
            rather than per field as h11 does, which is what makes it cheaper.
    """
    hosts = [field for field in headers if field[0].lower() == b"host"]
    if hosts:
        headers = hosts + [field for field in headers if field[0].lower() != b"host"]
    block = b"".join([b"%s: %s\r\n" % field for field in headers])
    # The count: a value holding "\r\nName: x" would pass as two well-formed lines.
    if _FIELD_LINES.fullmatch(block) is None or block.count(b"\n") != len(headers):
        raise h11.LocalProtocolError("A header name or value that HTTP does not allow")
    return block
