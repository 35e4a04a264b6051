"""Builders for the ASGI scopes the test client sends (one place for the defaults)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlencode

from werkzeug.datastructures import Headers

from ..typing import HTTPScope, WebsocketScope

HeadersArgument = Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None
QueryArgument = Mapping[str, Any] | str | bytes | None


# Characters a client sends as they are; anything else (spaces, non-ASCII) is percent-encoded
# as UTF-8, the way browsers and httpx do. "%" is kept so that already-encoded input is sent as
# given.
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_SAFE = _PATH_SAFE + "?"


def split_path(path: str, query_string: QueryArgument) -> tuple[str, bytes]:
    """Split ``path`` at ``?`` and encode the query string as a client would send it.

    Raises:
        ValueError: the query is given both in ``path`` and as ``query_string``.
    """
    if "?" in path:
        if query_string is not None:
            raise ValueError("Give the query string in the path or as query_string, not both")
        path, _, query = path.partition("?")
        return path, quote(query, safe=_QUERY_SAFE).encode("ascii")
    if query_string is None:
        return path, b""
    if isinstance(query_string, bytes):
        return path, query_string
    if isinstance(query_string, str):
        return path, quote(query_string, safe=_QUERY_SAFE).encode("ascii")
    return path, urlencode(query_string, doseq=True).encode("ascii")


def _path_fields(root_path: str, path: str) -> tuple[str, bytes]:
    """The scope's ``path`` (percent-decoded, as servers give it) and ``raw_path`` (as sent)."""
    raw_path = quote(root_path + path, safe=_PATH_SAFE)
    return unquote(raw_path), raw_path.encode("ascii")


def encode_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    """Headers as ASGI byte pairs, names lower-cased."""
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


def base_headers(headers: HeadersArgument, host: str) -> Headers:
    """The caller's headers (a name given twice is sent twice), after a ``Host`` and a
    ``User-Agent`` unless the caller gives those."""
    given = Headers()
    if headers is not None:
        items = headers.items() if isinstance(headers, Headers | Mapping) else headers
        for name, value in items:
            given.add(name, value)
    result = Headers()
    for name, value in (("Host", host), ("User-Agent", "trioquart-test-client")):
        if name not in given:
            result.add(name, value)
    result.extend(given)
    return result


def make_http_scope(
    method: str,
    path: str,
    raw_query: bytes,
    headers: Headers,
    *,
    scheme: str = "http",
    root_path: str = "",
    http_version: str = "1.1",
    client: tuple[str, int] = ("127.0.0.1", 50000),
) -> HTTPScope:
    """An HTTP scope as an ASGI server would build it."""
    scope_path, raw_path = _path_fields(root_path, path)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": http_version,
        "method": method.upper(),
        "scheme": scheme,
        "path": scope_path,
        "raw_path": raw_path,
        "query_string": raw_query,
        "root_path": root_path,
        "headers": encode_headers(headers),
        "client": client,
        "server": ("localhost", 80 if scheme == "http" else 443),
        "extensions": {},
    }


def make_websocket_scope(
    path: str,
    raw_query: bytes,
    headers: Headers,
    *,
    subprotocols: Iterable[str] = (),
    scheme: str = "ws",
    root_path: str = "",
    http_version: str = "1.1",
    client: tuple[str, int] = ("127.0.0.1", 50000),
) -> WebsocketScope:
    """A websocket scope as Hypercorn builds it: spec 2.3 and the denial-response extension."""
    scope_path, raw_path = _path_fields(root_path, path)
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": http_version,
        "scheme": scheme,
        "path": scope_path,
        "raw_path": raw_path,
        "query_string": raw_query,
        "root_path": root_path,
        "headers": encode_headers(headers),
        "client": client,
        "server": ("localhost", 80 if scheme == "ws" else 443),
        "subprotocols": list(subprotocols),
        "extensions": {"websocket.http.response": {}},
    }
