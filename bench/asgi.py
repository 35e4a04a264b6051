"""ASGI scopes and types shared by the in-process drivers.

The scopes look like the ones Hypercorn builds for a browser-ish client: ASGI 3.0 with
spec_version 2.3, realistic headers, and the ``websocket.http.response`` extension.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}
CLIENT = ("127.0.0.1", 51234)
SERVER = ("127.0.0.1", 8000)
_BASE_HEADERS = (
    (b"host", b"127.0.0.1:8000"),
    (b"user-agent", b"trioquart-bench/1.0 (python)"),
    (b"accept", b"*/*"),
)


def http_scope(
    method: str, path: str, body_size: int = 0, state: dict[str, Any] | None = None
) -> Scope:
    """A fresh HTTP/1.1 scope; ``body_size`` adds content-type and content-length headers."""
    headers = list(_BASE_HEADERS)
    if method != "GET":
        headers.append((b"content-type", b"application/octet-stream"))
        headers.append((b"content-length", str(body_size).encode()))
    return {
        "type": "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": CLIENT,
        "server": SERVER,
        "extensions": {},
        "state": dict(state or {}),
    }


def websocket_scope(path: str, state: dict[str, Any] | None = None) -> Scope:
    """A fresh websocket scope advertising ``websocket.http.response``."""
    headers = [
        *_BASE_HEADERS,
        (b"connection", b"Upgrade"),
        (b"upgrade", b"websocket"),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    ]
    return {
        "type": "websocket",
        "asgi": dict(ASGI_VERSION),
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": CLIENT,
        "server": SERVER,
        "subprotocols": [],
        "extensions": {"websocket.http.response": {}},
        "state": dict(state or {}),
    }


def lifespan_scope(state: dict[str, Any]) -> Scope:
    """The lifespan scope; ``state`` is shared with every later request scope."""
    return {"type": "lifespan", "asgi": dict(ASGI_VERSION), "state": state}
