"""What the test client and the test contexts send: headers, path and query, and the ASGI scope.

One place for the defaults. The functions named as in ``quart.testing`` take Quart's arguments;
the others are the client's own, which keep the path exactly as the test gave it (so that
``%2F`` stays encoded in ``raw_path``, as a real client sends it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload
from urllib.parse import quote, unquote, urlencode

from werkzeug.datastructures import Authorization, Headers

from ..typing import HTTPScope, WebsocketScope

HeadersArgument = Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None
QueryArgument = Mapping[str, Any] | str | bytes | None
AuthArgument = Authorization | tuple[str, str] | None

#: The ``User-Agent`` the test client sends unless the test gives one.
USER_AGENT = "trioquart-test-client"

# Characters a client sends as they are; anything else (spaces, non-ASCII) is percent-encoded
# as UTF-8, the way browsers and httpx do. "%" is kept so that already-encoded input is sent as
# given.
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_SAFE = _PATH_SAFE + "?"
# The same for a path that is already decoded: a "%" in it is a percent sign.
_DECODED_PATH_SAFE = _PATH_SAFE.replace("%", "")


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


def encode_query(query: str) -> bytes:
    """A query string (without ``?``) as a client sends it."""
    return quote(query, safe=_QUERY_SAFE).encode("ascii")


def app_host(app: Any, subdomain: str | None = None) -> str:
    """The ``Host`` a test sends to ``app`` by default: its ``SERVER_NAME``, else
    ``localhost``, under ``subdomain`` if one is given."""
    config = getattr(app, "config", None)
    server_name = config.get("SERVER_NAME") if isinstance(config, Mapping) else None
    return with_subdomain(server_name or "localhost", subdomain)


def with_subdomain(host: str, subdomain: str | None) -> str:
    """``host`` under ``subdomain`` (``api`` and ``localhost`` give ``api.localhost``)."""
    return host if subdomain is None else f"{subdomain}.{host}"


def encode_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    """Headers as ASGI byte pairs, names lower-cased."""
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


def base_headers(headers: HeadersArgument, host: str, auth: AuthArgument = None) -> Headers:
    """The caller's headers (a name given twice is sent twice), after a ``Host``, a
    ``User-Agent`` and the ``Authorization`` that ``auth`` gives, unless the caller gives those.

    Raises:
        TypeError: ``auth`` is neither a ``(username, password)`` tuple nor a Werkzeug
            ``Authorization``.
    """
    given = Headers()
    if headers is not None:
        items = headers.items() if isinstance(headers, Headers | Mapping) else headers
        for name, value in items:
            given.add(name, value)
    defaults = [("Host", host), ("User-Agent", USER_AGENT)]
    if auth is not None:
        defaults.append(("Authorization", _authorization(auth).to_header()))
    result = Headers()
    for name, value in defaults:
        if name not in given:
            result.add(name, value)
    result.extend(given)
    return result


def _authorization(auth: object) -> Authorization:
    if isinstance(auth, Authorization):
        return auth
    if isinstance(auth, tuple) and len(auth) == 2 and all(isinstance(part, str) for part in auth):
        return Authorization("basic", {"username": auth[0], "password": auth[1]})
    raise TypeError(
        f"auth must be a (username, password) tuple of str or a werkzeug Authorization, "
        f"not {auth!r}"
    )


def make_test_headers_path_and_query_string(
    app: Any,
    path: str,
    headers: HeadersArgument = None,
    query_string: QueryArgument = None,
    auth: AuthArgument = None,
    subdomain: str | None = None,
) -> tuple[Headers, str, bytes]:
    """The headers, path and query string the test client sends for ``path``, as in Quart.

    Args:
        app: the app the request is for: its ``SERVER_NAME`` (else ``localhost``) is the
            default ``Host``.
        path: the path, with the query string after ``?`` unless ``query_string`` is given.
        headers: headers to send; a ``Host``, ``User-Agent`` or ``Authorization`` given here
            wins over the defaults.
        query_string: a mapping (lists for repeated keys), ``str`` or ``bytes``.
        auth: ``(username, password)`` for Basic authorization, or a Werkzeug
            ``Authorization``.
        subdomain: sent as ``Host: <subdomain>.<host>``.

    Returns:
        The headers, the path percent-decoded (the scope's ``path``) and the query string.

    Raises:
        ValueError: the query is given both in ``path`` and as ``query_string``.
        TypeError: ``auth`` has the wrong type.
    """
    raw_path, query = split_path(path, query_string)
    return base_headers(headers, app_host(app, subdomain), auth), unquote(raw_path), query


@overload
def make_test_scope(
    type_: Literal["http"],
    path: str,
    method: str,
    headers: Headers,
    query_string: bytes,
    scheme: str,
    root_path: str,
    http_version: str,
    scope_base: Mapping[str, Any] | None,
    *,
    subprotocols: Iterable[str] = (),
) -> HTTPScope: ...
@overload
def make_test_scope(
    type_: Literal["websocket"],
    path: str,
    method: str,
    headers: Headers,
    query_string: bytes,
    scheme: str,
    root_path: str,
    http_version: str,
    scope_base: Mapping[str, Any] | None,
    *,
    subprotocols: Iterable[str] = (),
) -> WebsocketScope: ...
def make_test_scope(
    type_: Literal["http", "websocket"],
    path: str,
    method: str,
    headers: Headers,
    query_string: bytes,
    scheme: str,
    root_path: str,
    http_version: str,
    scope_base: Mapping[str, Any] | None,
    *,
    subprotocols: Iterable[str] = (),
) -> HTTPScope | WebsocketScope:
    """An ASGI scope as the test client sends it (Quart's arguments, in Quart's order).

    Args:
        type_: ``"http"`` or ``"websocket"``.
        path: the whole path, percent-decoded, as the scope's ``path`` (it includes
            ``root_path``, as servers give it); ``raw_path`` is its encoding.
        method: the request method (a websocket handshake is always ``GET``).
        headers: the headers, sent as byte pairs with lower-cased names.
        query_string: the encoded query string.
        scheme: ``http``/``https``, or ``ws``/``wss``.
        root_path: the mount point of the app (ASGI ``root_path``).
        http_version: ``"1.1"``, ``"2"``...
        scope_base: keys that replace or add to the scope's (``{"client": (host, port)}``).
        subprotocols: the subprotocols a websocket client offers.

    Raises:
        ValueError: ``type_`` is not one of the two, or a websocket's method is not ``GET``.
    """
    raw_path = quote(path, safe=_DECODED_PATH_SAFE)
    if type_ == "http":
        return make_http_scope(
            method,
            raw_path,
            query_string,
            headers,
            scheme=scheme,
            root_path=root_path,
            http_version=http_version,
            scope_base=scope_base,
        )
    if type_ == "websocket":
        if method.upper() != "GET":
            raise ValueError(f"A websocket handshake is a GET request, not {method!r}")
        return make_websocket_scope(
            raw_path,
            query_string,
            headers,
            subprotocols=subprotocols,
            scheme=scheme,
            root_path=root_path,
            http_version=http_version,
            scope_base=scope_base,
        )
    raise ValueError(f"make_test_scope() makes 'http' or 'websocket' scopes, not {type_!r}")


def _path_fields(path: str) -> tuple[str, bytes]:
    """The scope's ``path`` (percent-decoded, as servers give it) and ``raw_path`` (as sent)."""
    raw_path = quote(path, safe=_PATH_SAFE)
    return unquote(raw_path), raw_path.encode("ascii")


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
    scope_base: Mapping[str, Any] | None = None,
) -> HTTPScope:
    """An HTTP scope as an ASGI server would build it for ``path`` as the client sent it
    (the whole path, percent-encoding kept); ``scope_base`` is merged in last."""
    scope_path, raw_path = _path_fields(path)
    scope: HTTPScope = {
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
    if scope_base is not None:
        scope.update(scope_base)  # type: ignore[typeddict-item]
    return scope


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
    scope_base: Mapping[str, Any] | None = None,
) -> WebsocketScope:
    """A websocket scope as Hypercorn builds it: spec 2.3 and the denial-response extension;
    ``scope_base`` is merged in last (it may remove the extension, for instance)."""
    scope_path, raw_path = _path_fields(path)
    scope: WebsocketScope = {
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
    if scope_base is not None:
        scope.update(scope_base)  # type: ignore[typeddict-item]
    return scope


@dataclass
class OutgoingRequest:
    """One HTTP request the test client is about to send (before its cookies are added)."""

    method: str
    #: The whole path as the client sends it (``root_path`` included, percent-encoding kept).
    path: str
    query: bytes
    headers: Headers
    body: bytes = b""
    scheme: str = "http"
    root_path: str = ""
    http_version: str = "1.1"
    scope_base: Mapping[str, Any] | None = None

    @property
    def host(self) -> str:
        """The ``Host`` the request goes to (``base_headers`` always gives one)."""
        return str(self.headers["Host"])

    @property
    def url(self) -> str:
        """The request's URL, as the browser's address bar would show it."""
        query = self.query.decode("ascii")
        return f"{self.scheme}://{self.host}{self.path}" + (f"?{query}" if query else "")

    def scope(self, cookie: str | None) -> HTTPScope:
        """The request's scope, with ``cookie`` as its ``Cookie`` header unless the test gave
        one."""
        headers = self.headers
        if cookie is not None and "Cookie" not in headers:
            headers = headers.copy()
            headers["Cookie"] = cookie
        return make_http_scope(
            self.method,
            self.path,
            self.query,
            headers,
            scheme=self.scheme,
            root_path=self.root_path,
            http_version=self.http_version,
            scope_base=self.scope_base,
        )
