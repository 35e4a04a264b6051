"""Writing a response: its status line, its header block and its body's framing (RFC 9112).

The same for every parser. The rules are h11's, so that a response reads the same whichever
parser served the request (the tests compare the bytes with h11's): a ``Content-Length`` frames
the body; a ``Transfer-Encoding`` from the app, or neither header, means chunked (or, to an
HTTP/1.0 client, a body ended by closing the connection); 204 and 304 keep the app's fields
and have no body; a response to ``HEAD`` is framed as the ``GET`` would be and has no body.

The header block is checked with one regular expression over the whole block rather than one
per field (h11's way), which is most of what makes writing it here cheaper.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus

from .http_parser import comma_tokens

#: The reason phrase of each status code.
REASONS = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}

# RFC 9110 5.1 and 5.5, as h11 reads them: a token for the name; for the value, visible
# characters (and obs-text) with spaces or tabs inside, none at either end. One pattern over the
# whole block, written to be matched without backtracking.
_FIELD_LINES = re.compile(
    rb"(?:[-!#$%&'*+.^_`|~0-9a-zA-Z]+: "
    rb"(?:[\x21-\x7e\x80-\xff][\t\x20-\x7e\x80-\xff]*(?<![ \t]))?\r\n)*"
)
_DIGITS = re.compile(rb"[0-9]{1,20}")
#: The fields that frame a body.
_FRAMING_NAMES = frozenset({b"content-length", b"transfer-encoding"})


class ResponseError(RuntimeError):
    """The app's response breaks HTTP: a field HTTP does not allow, a body that does not match
    its ``Content-Length``, an unsupported ``Transfer-Encoding``."""


class BodyFraming:
    """How one response's body goes out: by its length, chunked, or ended by closing."""

    __slots__ = ("_chunked", "_remaining")

    def __init__(self, *, chunked: bool = False, length: int | None = None) -> None:
        self._chunked = chunked
        #: What the ``Content-Length`` still expects, or ``None`` without one.
        self._remaining = length

    def data(self, data: bytes) -> bytes:
        """The bytes that carry ``data``.

        Raises:
            ResponseError: more than the ``Content-Length`` said.
        """
        if self._chunked:
            return b"%x\r\n%s\r\n" % (len(data), data) if data else b""
        if self._remaining is not None:
            self._remaining -= len(data)
            if self._remaining < 0:
                raise ResponseError("more body than its Content-Length")
        return data

    def end(self) -> bytes:
        """The bytes that end the body.

        Raises:
            ResponseError: less than the ``Content-Length`` said.
        """
        if self._chunked:
            return b"0\r\n\r\n"
        if self._remaining:
            raise ResponseError("less body than its Content-Length")
        return b""


class ResponseStart:
    """A response's head, ready to write, with its body's framing."""

    __slots__ = ("body", "head", "keep_alive")

    def __init__(self, head: bytes, body: BodyFraming, keep_alive: bool) -> None:
        self.head = head
        self.body = body
        #: Whether the connection may serve another request after this response.
        self.keep_alive = keep_alive


def start_response(
    status: int,
    headers: list[tuple[bytes, bytes]],
    *,
    method: bytes,
    http_version: bytes,
    keep_alive: bool,
    length: int | None = None,
    defaults: Iterable[tuple[bytes, bytes]] = (),
) -> ResponseStart:
    """The head of a response to a ``method`` request of ``http_version``, and its framing.

    ``keep_alive`` is whether the connection could go on as far as the request and the server
    are concerned; the response may still close it (``Connection: close`` from the app, or a
    body ended by closing). The head then says ``Connection: close``. ``length`` is the length
    of the whole body when it is known now: without a ``Content-Length`` or
    ``Transfer-Encoding`` from the app, the response then gets a ``Content-Length``.
    ``defaults`` are fields (lowercase names) added unless the app's ``headers`` have them.
    ``headers`` may be added to.

    Raises:
        ResponseError: a status outside 200-999, a field HTTP does not allow, an unsupported
            ``Transfer-Encoding``, a malformed ``Content-Length``.
    """
    if not 200 <= status <= 999:
        raise ResponseError(f"a response's status must be from 200 to 999, not {status}")
    lowered = [name.lower() for name, _ in headers]
    for name, value in defaults:
        if name not in lowered:
            headers.append((name, value))
            lowered.append(name)
    no_body = status in (204, 304)
    if not no_body and b"transfer-encoding" not in lowered and b"connection" not in lowered:
        # The common cases, framed by a length: the app's own Content-Length (plain digits,
        # what nearly every app sends), or the whole body's.
        known = _plain_content_length(headers, lowered)
        if known is None and length is not None and b"content-length" not in lowered:
            headers.append((b"content-length", b"%d" % length))
            known = length
        if known is not None and method != b"CONNECT":
            if not keep_alive:
                headers.append((b"Connection", b"close"))
            return ResponseStart(
                b"HTTP/1.1 %d %s\r\n%s\r\n"
                % (status, REASONS.get(status, b""), header_block(headers)),
                BodyFraming(length=0 if method == b"HEAD" else known),
                keep_alive,
            )
    closes_after = False
    if length is not None and not no_body and _FRAMING_NAMES.isdisjoint(lowered):
        # A whole body and no framing from the app: the length is known.
        headers.append((b"content-length", b"%d" % length))
        lowered.append(b"content-length")
        framing = BodyFraming(length=length)
    else:
        app_length = _content_length(headers, lowered)
        chunked = b"transfer-encoding" in lowered
        if chunked:
            _check_transfer_encoding(headers, lowered)
        if no_body:
            framing = BodyFraming(length=0)
        elif chunked or app_length is None:
            headers = [
                field
                for field, name in zip(headers, lowered, strict=True)
                if name not in _FRAMING_NAMES
            ]
            if http_version < b"1.1":
                framing = BodyFraming()
                closes_after = method != b"HEAD"
            else:
                headers.append((b"Transfer-Encoding", b"chunked"))
                framing = BodyFraming(chunked=True)
            lowered = [name.lower() for name, _ in headers]
        else:
            framing = BodyFraming(length=app_length)
            headers, lowered = _one_content_length(headers, lowered, app_length)
    if method == b"HEAD":
        framing = BodyFraming(length=0)
    if b"connection" in lowered:
        tokens = {
            token
            for (_, value), name in zip(headers, lowered, strict=True)
            if name == b"connection"
            for token in comma_tokens(value)
        }
    else:
        tokens = set()
    if method == b"CONNECT":
        keep_alive = False  # what follows a CONNECT is not HTTP
    if not keep_alive or closes_after:
        # The app's own "Connection: close" alone is written as it came, as h11 does.
        keep_alive = False
        tokens = tokens - {b"keep-alive"} | {b"close"}
        headers = [
            field for field, name in zip(headers, lowered, strict=True) if name != b"connection"
        ]
        headers += [(b"Connection", token) for token in sorted(tokens)]
    elif b"close" in tokens:
        keep_alive = False
    reason = REASONS.get(status, b"")
    return ResponseStart(
        b"HTTP/1.1 %d %s\r\n%s\r\n" % (status, reason, header_block(headers)),
        framing,
        keep_alive,
    )


def _plain_content_length(headers: list[tuple[bytes, bytes]], lowered: list[bytes]) -> int | None:
    """The app's one ``Content-Length``, if it is plain digits (h11's limit: 20 of them)."""
    if lowered.count(b"content-length") != 1:
        return None
    value = headers[lowered.index(b"content-length")][1]
    # bytes.isdigit takes ASCII digits only.
    return int(value) if value.isdigit() and len(value) <= 20 else None


def _content_length(headers: list[tuple[bytes, bytes]], lowered: list[bytes]) -> int | None:
    """The response's ``Content-Length``, or ``None`` without one."""
    if b"content-length" not in lowered:
        return None
    found: set[bytes] = set()
    for (_, value), name in zip(headers, lowered, strict=True):
        if name == b"content-length":
            found.update(part.strip() for part in value.split(b","))
    if len(found) != 1:
        raise ResponseError("conflicting Content-Length fields")
    value = found.pop()
    if _DIGITS.fullmatch(value) is None:
        raise ResponseError(f"a malformed Content-Length: {value!r}")
    return int(value)


def _one_content_length(
    headers: list[tuple[bytes, bytes]], lowered: list[bytes], length: int
) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    """The fields with the app's ``Content-Length`` fields (equal, checked) written as one."""
    first = lowered.index(b"content-length")
    if lowered.count(b"content-length") == 1 and headers[first][1].isdigit():
        return headers, lowered
    kept = [
        (headers[index][0], b"%d" % length) if index == first else headers[index]
        for index, name in enumerate(lowered)
        if name != b"content-length" or index == first
    ]
    return kept, [name.lower() for name, _ in kept]


def _check_transfer_encoding(headers: list[tuple[bytes, bytes]], lowered: list[bytes]) -> None:
    """Refuse a ``Transfer-Encoding`` other than one ``chunked`` (the server frames bodies)."""
    values = [
        value.lower()
        for (_, value), name in zip(headers, lowered, strict=True)
        if name == b"transfer-encoding"
    ]
    if values != [b"chunked"]:
        raise ResponseError("only Transfer-Encoding: chunked is supported")


def header_block(headers: list[tuple[bytes, bytes]]) -> bytes:
    """The header lines, each ended by CRLF, in the app's order.

    Raises:
        ResponseError: a name that is not a token, or a value with a character a field value
            cannot hold (CR, LF, NUL ...).
    """
    block = b"".join([b"%s: %s\r\n" % (name, value) for name, value in headers])
    # The count: a value holding "\r\nName: x" would pass as two well-formed lines.
    if _FIELD_LINES.fullmatch(block) is None or block.count(b"\n") != len(headers):
        raise ResponseError("a header name or value that HTTP does not allow")
    return block
