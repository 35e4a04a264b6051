"""The HTTP side of a websocket: checking the upgrade request and writing the responses to it.

Every response here ends the HTTP exchange: the ``101`` hands the connection over to
websocket frames, and any other status comes with ``Connection: close`` (the server closes
the connection once the websocket handler returns).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from wsproto.utilities import generate_accept_token

from .types import Message

Headers = list[tuple[bytes, bytes]]

# RFC 9110 token characters (field names, subprotocols); a value must not break out of its line.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE_FORBIDDEN = re.compile(rb"[\r\n\x00]")


def supported_version(request_headers: Headers) -> bool:
    """Whether the request asks for websocket version 13, the only one there is (RFC 6455)."""
    versions = [value for name, value in request_headers if name == b"sec-websocket-version"]
    return [version.strip() for version in versions] == [b"13"]


def websocket_key(request_headers: Headers) -> bytes | None:
    """The request's ``Sec-WebSocket-Key``, if there is exactly one and it is valid."""
    keys = [value for name, value in request_headers if name == b"sec-websocket-key"]
    if len(keys) != 1:
        return None
    key = keys[0].strip()
    try:
        decoded = base64.b64decode(key, validate=True)
    except binascii.Error:
        return None
    return key if len(decoded) == 16 else None


def switching_protocols(
    key: bytes, subprotocol: str | None, extra: Headers, server_header: str | None
) -> bytes:
    """The ``101 Switching Protocols`` response accepting the websocket with ``key``.

    Raises:
        ValueError: ``subprotocol`` is not a token.
    """
    headers: Headers = [
        (b"Upgrade", b"websocket"),
        (b"Connection", b"Upgrade"),
        (b"Sec-WebSocket-Accept", generate_accept_token(key)),
    ]
    if subprotocol is not None:
        token = subprotocol.encode()
        if not _TOKEN.fullmatch(token):
            raise ValueError(f"a websocket subprotocol must be a token, not {subprotocol!r}")
        headers.append((b"Sec-WebSocket-Protocol", token))
    return _head(101, _with_server(headers, server_header) + extra)


def simple_response(status: int, server_header: str | None, extra: Headers | None = None) -> bytes:
    """A complete response with ``status`` and an empty body."""
    headers = [*(extra or []), (b"Content-Length", b"0"), (b"Connection", b"close")]
    return _head(status, _with_server(headers, server_header))


class AppResponse:
    """An HTTP response the application sends instead of accepting the websocket.

    It is written as ``websocket.http.response.body`` messages come: with the app's own
    ``Content-Length`` if it gave one, else with ``Content-Length`` when the first body
    message is the last, else chunked.
    """

    def __init__(self, start: Message, server_header: str | None) -> None:
        status = start.get("status")
        if type(status) is not int or not 100 <= status <= 999 or status == 101:
            raise ValueError(f"websocket.http.response.start needs an HTTP status, not {status!r}")
        self._status = status
        self._headers = [*_with_server([], server_header), *checked_headers(start.get("headers"))]
        self._length_given = any(name.lower() == b"content-length" for name, _ in self._headers)
        self._chunked = False
        self.head_written = False
        self.finished = False

    def body(self, message: Message) -> bytes:
        """The bytes to write for one ``websocket.http.response.body`` message."""
        body = message.get("body", b"")
        if not isinstance(body, bytes | bytearray):
            raise TypeError(f"websocket.http.response.body needs bytes, not {type(body)}")
        more = bool(message.get("more_body", False))
        out = b""
        if not self.head_written:
            headers = self._headers
            if not self._length_given:
                self._chunked = more
                framing = (b"Transfer-Encoding", b"chunked") if more else None
                headers = [*headers, framing or (b"Content-Length", str(len(body)).encode())]
            out = _head(self._status, [*headers, (b"Connection", b"close")])
            self.head_written = True
        if self._chunked:
            out += b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            out += b"" if more else b"0\r\n\r\n"
        else:
            out += body
        self.finished = not more
        return out


def checked_headers(headers: Iterable[Any] | None) -> Headers:
    """The app's ``headers`` as a list of byte pairs, each safe to write on its own line.

    Raises:
        TypeError: a header is not a pair of bytes.
        ValueError: a name is not a token, or a value holds CR, LF or NUL.
    """
    checked: Headers = []
    for pair in headers or ():
        name, value = pair
        if not isinstance(name, bytes) or not isinstance(value, bytes):
            raise TypeError(f"header names and values must be bytes, not {pair!r}")
        if not _TOKEN.fullmatch(name) or _FIELD_VALUE_FORBIDDEN.search(value):
            raise ValueError(f"invalid header {pair!r}")
        checked.append((name, value))
    return checked


def _with_server(headers: Headers, server_header: str | None) -> Headers:
    if server_header is None:
        return headers
    return [(b"Server", server_header.encode("latin-1")), *headers]


def _head(status: int, headers: Headers) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        phrase = b""
    lines = [b"HTTP/1.1 %d %s" % (status, phrase)]
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n"
