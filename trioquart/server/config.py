"""What the built-in server can be told: where to listen, its limits and its timeouts."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    """The built-in server's settings; every one has a production-ready default.

    Timeouts are in seconds. ``None`` turns a limit or a timeout off where it says so.
    """

    #: The address to listen on; port 0 lets the system pick a free port.
    host: str = "127.0.0.1"
    port: int = 8000
    #: A Unix socket path to listen on instead of ``host`` and ``port``.
    uds: str | None = None
    #: The listen backlog (the kernel caps it at ``net.core.somaxconn``).
    backlog: int = 2048
    #: Serves HTTPS and WSS through ``trio.SSLStream`` (ALPN ``http/1.1``).
    ssl_context: ssl.SSLContext | None = None
    #: ``root_path`` in every scope, for an app mounted under a prefix by a proxy.
    root_path: str = ""
    #: How requests are parsed: ``"h11"``, ``"httptools"`` (``pip install
    #: 'trioquart[speed]'``), or ``"auto"``: httptools when it is installed, else h11.
    parser: Literal["auto", "h11", "httptools"] = "auto"

    #: How long a kept-alive connection may sit idle between requests.
    keep_alive_timeout: float = 5.0
    #: How long a request's head (request line and headers) may take to arrive, counted from
    #: its first byte or from the end of the previous response (against slowloris).
    header_timeout: float = 10.0
    #: The largest request head in bytes; a larger one gets 431.
    max_header_bytes: int = 16 * 1024
    #: The most header fields in a request; more get 431.
    max_header_count: int = 100
    #: The largest request body in bytes, or ``None`` for no limit here (the app may set its
    #: own); a larger one gets 413.
    max_body_bytes: int | None = None
    #: How long shutdown waits for requests in flight and websocket close handshakes before it
    #: cancels them.
    graceful_timeout: float = 10.0

    #: The largest websocket message in bytes; a larger one closes the connection with 1009.
    websocket_max_message_size: int = 16 * 1024 * 1024
    #: Seconds of silence from the client after which a ping is sent, or ``None`` for no pings.
    websocket_ping_interval: float | None = 20.0
    #: How long the client has to answer that ping before the connection is closed (1011).
    websocket_ping_timeout: float = 20.0

    #: Log each request on the ``trioquart.server.access`` logger.
    access_log: bool = False
    #: The ``Server`` header's value, or ``None`` to send none.
    server_header: str | None = "trioquart"
