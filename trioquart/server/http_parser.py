"""What the connection needs of a request parser, whichever parser it is.

A parser turns the bytes a client sends into request heads and body chunks, and nothing else:
responses are written by ``http_response.py``, the same for every parser. Two parsers fit
here, h11 (``http_parser_h11.py``, always there) and httptools (``http_parser_httptools.py``,
with ``pip install 'trioquart[speed]'``); both accept and refuse the same requests, as the
tests check byte for byte.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from enum import Enum, auto
from typing import Final, Protocol

from .config import ServerConfig

#: Whether httptools is installed: ``parser="auto"`` then uses it.
HTTPTOOLS_INSTALLED = importlib.util.find_spec("httptools") is not None


class EndOfBody(Enum):
    """The type of :data:`END_OF_BODY` (an enum, so that type checkers narrow on it)."""

    END_OF_BODY = auto()


#: What ``next_body`` returns once the request body is complete.
END_OF_BODY: Final = EndOfBody.END_OF_BODY


class ProtocolError(Exception):
    """The client broke HTTP/1.1; ``status`` is the answer (400, 431 or 501).

    Both parsers refuse a request with both ``Content-Length`` and ``Transfer-Encoding``
    (400). RFC 9112 6.1 allows reading its body by ``Transfer-Encoding`` if the connection
    then closes; h11 keeps the connection open, which lets a request hide another (smuggling).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class RequestHead:
    """A request's line and header fields, as the connection serves it."""

    method: bytes
    target: bytes
    #: As the client wrote it, ``b"1.1"`` for instance.
    http_version: bytes
    #: In the order they came, names lowercased.
    headers: list[tuple[bytes, bytes]]
    #: Whether the client lets the connection serve another request after this one.
    keep_alive: bool
    #: Whether the client waits for ``100 Continue`` before it sends the body.
    expects_continue: bool
    #: The head's size in bytes, about as it came (exactly, on httptools), for the server's
    #: limit: the parsers limit only a head that is still incomplete.
    size: int
    #: Whether the head has an ``Upgrade`` field (a websocket handshake, perhaps).
    upgrade: bool


class Parser(Protocol):
    """A server's reading side of one HTTP/1.1 connection."""

    def receive_data(self, data: bytes) -> None:
        """Add what the client sent next; ``b""`` once it has closed."""

    def next_head(self) -> RequestHead | None:
        """The next request's head, or ``None`` until more has arrived or if the client closed
        cleanly between requests.

        Raises:
            ProtocolError: the head is malformed, too large, or cut short by a close.
        """

    def next_body(self) -> bytes | EndOfBody | None:
        """The next piece of the current request's body, :data:`END_OF_BODY` after its last,
        or ``None`` until more has arrived.

        Raises:
            ProtocolError: the body is malformed, or the client closed before its end.
        """

    def next_cycle(self) -> None:
        """Get ready for the next request, once the current one's body has ended."""

    @property
    def buffered(self) -> bytes:
        """What the client sent that no head or body chunk has taken yet."""

    @property
    def closed(self) -> bool:
        """Whether the client has closed its side."""


def new_parser(config: ServerConfig) -> Parser:
    """A parser for a new connection, the one ``config.parser`` names.

    Raises:
        ImportError: ``parser="httptools"`` without httptools installed.
    """
    # Imported here: the httptools module needs httptools, and each parser imports this one.
    if config.parser == "h11" or (config.parser == "auto" and not HTTPTOOLS_INSTALLED):
        from .http_parser_h11 import H11Parser

        return H11Parser(config.max_header_bytes)
    if not HTTPTOOLS_INSTALLED:
        raise ImportError(
            "ServerConfig(parser='httptools') needs httptools: pip install 'trioquart[speed]'"
        )
    from .http_parser_httptools import HttptoolsParser

    return HttptoolsParser(config.max_header_bytes)


def comma_tokens(value: bytes) -> list[bytes]:
    """The lowercased, non-empty comma-separated tokens of a header value."""
    return [token for token in (part.strip() for part in value.lower().split(b",")) if token]


def keeps_alive(http_version: bytes, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a request lets the connection go on: HTTP/1.1 without ``Connection: close``."""
    if http_version < b"1.1":
        return False
    return not any(
        name == b"connection" and b"close" in comma_tokens(value) for name, value in headers
    )


def expects_continue(http_version: bytes, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a request waits for ``100 Continue`` (ignored from HTTP/1.0, RFC 9110 10.1.1)."""
    return http_version >= b"1.1" and any(
        name == b"expect" and b"100-continue" in comma_tokens(value) for name, value in headers
    )
