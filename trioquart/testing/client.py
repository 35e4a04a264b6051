"""TestClient: drives an app in-process through ASGI, as a server and a client would.

No sockets and no threads: each call builds the scope a server would, awaits the app, and
collects its answer. Cookies the app sets are kept and sent back, like a browser would.
"""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.test import encode_multipart

from .. import json as json_module
from ..asgi.request_inbox import RequestInbox
from ..ctx import RequestContext
from ..wrappers.response import Response
from . import cookies
from .http import TestHTTPConnection, run_request
from .scopes import HeadersArgument, QueryArgument, base_headers, make_http_scope, split_path
from .websocket import TestWebsocketConnection

if TYPE_CHECKING:
    from ..sessions import Session
    from ..typing import ASGIReceiveCallable, ASGIReceiveEvent, ASGISendCallable, Scope

ASGIApp = Callable[["Scope", "ASGIReceiveCallable", "ASGISendCallable"], Awaitable[None]]

_MISSING: Any = object()


class TestClient:
    """An in-process client for ``app``; usually made with ``app.test_client()``.

    Args:
        app: any ASGI 3 application (a ``TrioQuart`` app, or one wrapped in middleware).
        host: the ``Host`` header sent by default.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: ASGIApp, *, host: str = "localhost") -> None:
        self.app = app
        self.host = host
        #: The cookies the app set (and the test added), kept by domain and path with their
        #: expiry, as a browser keeps them.
        self.cookie_jar = CookieJar()

    @property
    def cookies(self) -> dict[str, str]:
        """The stored cookies by name (a copy: change them with :meth:`set_cookie`)."""
        return cookies.cookie_values(self.cookie_jar)

    def set_cookie(
        self,
        server_name: str,
        key: str,
        value: str = "",
        *,
        max_age: int | None = None,
        expires: datetime | float | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
    ) -> None:
        """Store a cookie as if ``server_name`` (a host name, such as the client's
        ``host``) had set it; it is sent with the requests that match it."""
        cookies.set_cookie(
            self.cookie_jar,
            server_name,
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    def delete_cookie(
        self, server_name: str, key: str, *, path: str = "/", domain: str | None = None
    ) -> None:
        """Forget the cookie ``key`` that ``server_name`` set."""
        cookies.delete_cookie(self.cookie_jar, server_name, key, path=path, domain=domain)

    async def open(
        self,
        path: str,
        method: str = "GET",
        *,
        query_string: QueryArgument = None,
        headers: HeadersArgument = None,
        json: Any = _MISSING,
        form: Mapping[str, Any] | None = None,
        data: bytes | str | None = None,
        files: Mapping[str, Any] | None = None,
        auth: tuple[str, str] | None = None,
        scheme: str = "http",
        root_path: str = "",
        http_version: str = "1.1",
    ) -> Response:
        """Send one request and return the app's response.

        At most one of ``json``, ``form`` (with ``files``) and ``data`` gives the body.
        ``files`` maps field names to ``(file_object_or_bytes, filename[, content_type])``.

        Raises:
            ValueError: more than one body argument is given.
        """
        scope, body = self._prepare(
            path,
            method,
            query_string,
            headers,
            json,
            form,
            data,
            files,
            auth,
            scheme,
            root_path,
            http_version,
        )
        response = await run_request(self.app, scope, body)
        cookies.store_cookies(
            self.cookie_jar, scheme, self._host_name(scope), scope["path"], response.headers
        )
        return response

    @asynccontextmanager
    async def session_transaction(
        self,
        path: str = "/",
        *,
        query_string: QueryArgument = None,
        headers: HeadersArgument = None,
        scheme: str = "http",
        root_path: str = "",
    ) -> AsyncIterator[Session]:
        """Read or change the session that the client's cookies hold, between requests::

            async with client.session_transaction() as session:
                session["user"] = "ada"

        The session is opened as for a ``GET`` of ``path`` and saved into the cookie jar
        when the block ends (not if it raises).

        Raises:
            TypeError: the client drives an ASGI app that is not a trioquart app.
            RuntimeError: the app has no session to give (``SECRET_KEY`` is not set).
        """
        app: Any = self.app  # a trioquart app, checked just below
        interface = getattr(app, "session_interface", None)
        if interface is None:
            raise TypeError(f"session_transaction() needs a trioquart app, not {app!r}")
        scope = self._scope_without_body(path, "GET", query_string, headers, scheme, root_path)
        request = app.request_class(scope, RequestInbox(_no_body))
        ctx = RequestContext(app, request)
        ctx.push()
        try:
            session = await interface.open_session(app, request)
            if session is None:
                raise RuntimeError(
                    "The app gave no session to change: set SECRET_KEY in its config."
                )
            ctx.session = session
            yield session
            response = Response()
            await interface.save_session(app, session, response)
        finally:
            ctx.pop()
        cookies.store_cookies(
            self.cookie_jar, scheme, self._host_name(scope), scope["path"], response.headers
        )

    def request(
        self,
        path: str,
        method: str = "GET",
        *,
        query_string: QueryArgument = None,
        headers: HeadersArgument = None,
        scheme: str = "http",
        root_path: str = "",
    ) -> TestHTTPConnection:
        """A request whose body the test sends piece by piece, and which it may abandon.

        Use as ``async with client.request("/upload", "POST") as connection:``; leaving the
        block disconnects the client.
        """
        scope = self._scope_without_body(path, method, query_string, headers, scheme, root_path)
        return TestHTTPConnection(self.app, scope)

    def websocket(
        self,
        path: str,
        *,
        query_string: QueryArgument = None,
        headers: HeadersArgument = None,
        subprotocols: list[str] | None = None,
        scheme: str = "ws",
        root_path: str = "",
    ) -> TestWebsocketConnection:
        """Open a websocket connection: ``async with client.websocket("/ws") as ws:``."""
        raw_path, raw_query = split_path(path, query_string)
        all_headers = base_headers(headers, self.host)
        self._add_cookie_header(all_headers, scheme, root_path + raw_path)
        return TestWebsocketConnection(
            self.app,
            raw_path,
            raw_query,
            all_headers,
            subprotocols=subprotocols or [],
            scheme=scheme,
            root_path=root_path,
        )

    async def get(self, path: str, **kwargs: Any) -> Response:
        """Send a ``GET`` request (see :meth:`open` for the arguments)."""
        return await self.open(path, "GET", **kwargs)

    async def head(self, path: str, **kwargs: Any) -> Response:
        """Send a ``HEAD`` request."""
        return await self.open(path, "HEAD", **kwargs)

    async def options(self, path: str, **kwargs: Any) -> Response:
        """Send an ``OPTIONS`` request."""
        return await self.open(path, "OPTIONS", **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Response:
        """Send a ``POST`` request."""
        return await self.open(path, "POST", **kwargs)

    async def put(self, path: str, **kwargs: Any) -> Response:
        """Send a ``PUT`` request."""
        return await self.open(path, "PUT", **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> Response:
        """Send a ``PATCH`` request."""
        return await self.open(path, "PATCH", **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Response:
        """Send a ``DELETE`` request."""
        return await self.open(path, "DELETE", **kwargs)

    def _scope_without_body(
        self,
        path: str,
        method: str,
        query_string: QueryArgument,
        headers: HeadersArgument,
        scheme: str,
        root_path: str,
    ) -> Any:
        """The scope of a request whose body is not given here (sent piece by piece, or none):
        its length is declared only if the caller's headers declare it."""
        scope, _ = self._prepare(
            path,
            method,
            query_string,
            headers,
            _MISSING,
            None,
            None,
            None,
            None,
            scheme,
            root_path,
            "1.1",
            body_follows=False,
        )
        return scope

    def _prepare(
        self,
        path: str,
        method: str,
        query_string: QueryArgument,
        headers: HeadersArgument,
        json: Any,
        form: Mapping[str, Any] | None,
        data: bytes | str | None,
        files: Mapping[str, Any] | None,
        auth: tuple[str, str] | None,
        scheme: str,
        root_path: str,
        http_version: str,
        body_follows: bool = True,
    ) -> tuple[Any, bytes]:
        raw_path, raw_query = split_path(path, query_string)
        all_headers = base_headers(headers, self.host)
        body, content_type = _encode_body(json, form, data, files)
        if content_type is not None and "Content-Type" not in all_headers:
            all_headers["Content-Type"] = content_type
        if body_follows and (body or method.upper() in {"POST", "PUT", "PATCH"}):
            all_headers.setdefault("Content-Length", str(len(body)))
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            all_headers["Authorization"] = f"Basic {token}"
        self._add_cookie_header(all_headers, scheme, root_path + raw_path)
        scope = make_http_scope(
            method,
            raw_path,
            raw_query,
            all_headers,
            scheme=scheme,
            root_path=root_path,
            http_version=http_version,
        )
        return scope, body

    def _add_cookie_header(self, headers: Headers, scheme: str, path: str) -> None:
        # An explicit Cookie header wins over the stored cookies.
        if "Cookie" in headers:
            return
        host = headers.get("Host", self.host)
        value = cookies.cookie_header(self.cookie_jar, scheme, host, path)
        if value is not None:
            headers["Cookie"] = value

    def _host_name(self, scope: Mapping[str, Any]) -> str:
        """The ``Host`` the request was sent to (``base_headers`` always gives one)."""
        return next(
            str(value.decode("latin-1"))
            for name, value in scope["headers"]
            if name.lower() == b"host"
        )


async def _no_body() -> ASGIReceiveEvent:  # pragma: no cover - the cookies are read, not this
    return {"type": "http.request", "body": b"", "more_body": False}


def _encode_body(
    json: Any,
    form: Mapping[str, Any] | None,
    data: bytes | str | None,
    files: Mapping[str, Any] | None,
) -> tuple[bytes, str | None]:
    given = [
        name
        for name, value in (
            ("json", json is not _MISSING),
            ("form", form or files),
            ("data", data is not None),
        )
        if value
    ]
    if len(given) > 1:
        raise ValueError(f"Give only one of json, form/files and data, not {' and '.join(given)}")
    if json is not _MISSING:
        return json_module.dumps(json).encode("utf-8"), "application/json"
    if files:
        fields: dict[str, Any] = dict(form or {})
        for name, value in files.items():
            fields[name] = _file_tuple(value)
        boundary, body = encode_multipart(MultiDict(fields))
        return body, f"multipart/form-data; boundary={boundary}"
    if form is not None:
        return urlencode(form, doseq=True).encode("utf-8"), "application/x-www-form-urlencoded"
    if data is not None:
        return (data.encode("utf-8") if isinstance(data, str) else bytes(data)), None
    return b"", None


def _file_tuple(value: Any) -> Any:
    if isinstance(value, FileStorage):
        return value
    if isinstance(value, tuple):
        content, filename, *rest = value
        stream = io.BytesIO(content) if isinstance(content, bytes) else content
        return FileStorage(stream, filename=filename, content_type=rest[0] if rest else None)
    raise TypeError("files values must be (bytes_or_file, filename[, content_type]) tuples")
