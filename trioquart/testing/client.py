"""TestClient: drives an app in-process through ASGI, as a server and a client would.

No sockets and no threads: each call builds the scope a server would, awaits the app, and
collects its answer. Cookies the app sets are kept and sent back, like a browser would.

Paths are whole paths, as in Quart: ``root_path`` only tells the app where it is mounted, so
``client.get("/app/page", root_path="/app")`` reaches the app's ``/page``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING, Any

from ..wrappers.response import Response
from . import cookies
from .bodies import NO_JSON, add_body_headers, make_test_body_with_headers
from .contexts import TestRequestContext
from .http import TestHTTPConnection, run_request
from .redirects import record_redirect, redirect_target
from .scopes import (
    AuthArgument,
    HeadersArgument,
    OutgoingRequest,
    QueryArgument,
    app_host,
    base_headers,
    make_websocket_scope,
    split_path,
    with_subdomain,
)
from .websocket import TestWebsocketConnection

if TYPE_CHECKING:
    from ..app import TrioQuart
    from ..sessions import Session
    from ..typing import ASGIReceiveCallable, ASGISendCallable, Scope

ASGIApp = Callable[["Scope", "ASGIReceiveCallable", "ASGISendCallable"], Awaitable[None]]


class TestClient:
    """An in-process client for ``app``; usually made with ``app.test_client()``.

    Args:
        app: any ASGI 3 application (a ``TrioQuart`` app, or one wrapped in middleware).
        use_cookies: keep the cookies the app sets and send them back (as in Quart).
        host: the ``Host`` header sent by default; without it, the app's ``SERVER_NAME``,
            else ``localhost``.
    """

    __test__ = False  # not a pytest test class

    #: The class of the connections :meth:`request` opens.
    http_connection_class = TestHTTPConnection
    #: The class of the connections :meth:`websocket` opens.
    websocket_connection_class = TestWebsocketConnection

    def __init__(self, app: ASGIApp, use_cookies: bool = True, *, host: str | None = None) -> None:
        self.app = app
        self._host = host
        #: The cookies the app set (and the test added), kept by domain and path with their
        #: expiry, as a browser keeps them; ``None`` for a client made with
        #: ``use_cookies=False``.
        self.cookie_jar: CookieJar | None = CookieJar() if use_cookies else None

    @property
    def host(self) -> str:
        """The ``Host`` header sent unless a request gives its own."""
        return self._host if self._host is not None else app_host(self.app)

    @property
    def cookies(self) -> dict[str, str]:
        """The stored cookies by name (a copy: change them with :meth:`set_cookie`)."""
        if self.cookie_jar is None:
            return {}
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
        ``host``) had set it; it is sent with the requests that match it.

        Raises:
            RuntimeError: the client was made with ``use_cookies=False``.
        """
        cookies.set_cookie(
            self._jar("set_cookie"),
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
        """Forget the cookie ``key`` that ``server_name`` set.

        Raises:
            RuntimeError: the client was made with ``use_cookies=False``.
        """
        cookies.delete_cookie(
            self._jar("delete_cookie"), server_name, key, path=path, domain=domain
        )

    async def open(
        self,
        path: str,
        method: str = "GET",
        *,
        query_string: QueryArgument = None,
        headers: HeadersArgument = None,
        json: Any = NO_JSON,
        form: Mapping[str, Any] | None = None,
        data: bytes | str | None = None,
        files: Mapping[str, Any] | None = None,
        auth: AuthArgument = None,
        scheme: str = "http",
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: Mapping[str, Any] | None = None,
        subdomain: str | None = None,
        follow_redirects: bool = False,
    ) -> Response:
        """Send one request and return the app's response.

        Args:
            path: the whole path (under ``root_path``, if one is given), with the query string
                after ``?`` unless ``query_string`` is given.
            method: the request method.
            query_string: a mapping (lists for repeated keys), ``str`` or ``bytes``.
            headers: headers to send; a ``Host``, ``User-Agent``, ``Authorization``,
                ``Content-Type`` or ``Cookie`` given here wins over the client's own.
            json: a value sent as JSON.
            form: fields sent URL-encoded, or as multipart with ``files``.
            data: a raw body (text is sent as UTF-8).
            files: field name to a ``FileStorage`` or
                ``(file_object_or_bytes, filename[, content_type])``.
            auth: ``(username, password)`` for Basic authorization, or a Werkzeug
                ``Authorization``.
            scheme: ``http`` or ``https``.
            root_path: where the app is mounted (ASGI ``root_path``); the app strips it from
                ``path``.
            http_version: the HTTP version in the scope.
            scope_base: keys that replace or add to the scope's, such as
                ``{"client": ("10.0.0.1", 1234)}``.
            subdomain: sent as ``Host: <subdomain>.<host>``.
            follow_redirects: follow redirects and return the last response (see
                ``redirects.py``: 301, 302, 303 and 305 become ``GET``, 307 and 308 repeat the
                request).

        Raises:
            ValueError: more than one body argument is given, or the query is given twice.
            TypeError: ``auth`` or a ``files`` value has the wrong type.
            werkzeug.test.ClientRedirectError: following redirects ran into a loop.
            RuntimeError: a redirect points to another site.
        """
        body, body_headers = make_test_body_with_headers(
            data=data, form=form, files=files, json=json
        )
        outgoing = self._outgoing(
            path,
            method,
            query_string,
            headers,
            auth,
            scheme,
            root_path,
            http_version,
            scope_base,
            subdomain,
        )
        add_body_headers(outgoing.headers, method, body, body_headers)
        outgoing.body = body
        response = await self._send(outgoing)
        if follow_redirects:
            followed: set[tuple[str, int]] = set()
            while (target := redirect_target(outgoing, response)) is not None:
                record_redirect(followed, target, response.status_code)
                outgoing = target
                response = await self._send(outgoing)
        return response

    @asynccontextmanager
    async def session_transaction(
        self,
        path: str = "/",
        *,
        method: str = "GET",
        query_string: QueryArgument = None,
        headers: HeadersArgument = None,
        scheme: str = "http",
        root_path: str = "",
        http_version: str = "1.1",
        auth: AuthArgument = None,
        subdomain: str | None = None,
    ) -> AsyncIterator[Session]:
        """Read or change the session that the client's cookies hold, between requests::

            async with client.session_transaction() as session:
                session["user"] = "ada"

        The session is opened in a request context for ``path`` (under ``root_path``, as in
        Quart's ``session_transaction`` and ``app.test_request_context``; its teardown hooks
        run), and saved into the cookie jar when the block ends (not if it raises).

        Raises:
            TypeError: the client drives an ASGI app that is not a trioquart app.
            RuntimeError: the client keeps no cookies, or the app has no session to give
                (``SECRET_KEY`` is not set).
        """
        jar = self._jar("session_transaction")
        app: TrioQuart = self.app  # type: ignore[assignment] # checked just below
        interface = getattr(app, "session_interface", None)
        if interface is None:
            raise TypeError(f"session_transaction() needs a trioquart app, not {app!r}")
        # As Quart's, the path is under the root path here (that of a test request context).
        outgoing = self._outgoing(
            root_path.rstrip("/") + path,
            method,
            query_string,
            headers,
            auth,
            scheme,
            root_path,
            http_version,
            None,
            subdomain,
        )
        cookie = cookies.cookie_header(jar, scheme, outgoing.host, outgoing.path)
        async with TestRequestContext(app, outgoing.scope(cookie), b"") as ctx:
            session = ctx.session
            if session is None or interface.is_null_session(session):
                raise RuntimeError(
                    "The app gave no session to change: set SECRET_KEY in its config."
                )
            yield session
            response = Response()
            await interface.save_session(app, session, response)
        cookies.store_cookies(jar, scheme, outgoing.host, outgoing.path, response.headers)

    def request(
        self,
        path: str,
        method: str = "GET",
        *,
        query_string: QueryArgument = None,
        headers: HeadersArgument = None,
        scheme: str = "http",
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: Mapping[str, Any] | None = None,
        auth: AuthArgument = None,
        subdomain: str | None = None,
    ) -> TestHTTPConnection:
        """A request whose body the test sends piece by piece, and which it may abandon.

        Use as ``async with client.request("/upload", "POST") as connection:``; leaving the
        block disconnects the client. The arguments are :meth:`open`'s; the request's length
        is declared only if ``headers`` declare it.
        """
        outgoing = self._outgoing(
            path,
            method,
            query_string,
            headers,
            auth,
            scheme,
            root_path,
            http_version,
            scope_base,
            subdomain,
        )
        return self.http_connection_class(self.app, outgoing.scope(self._cookie_for(outgoing)))

    def websocket(
        self,
        path: str,
        *,
        query_string: QueryArgument = None,
        headers: HeadersArgument = None,
        subprotocols: list[str] | None = None,
        scheme: str = "ws",
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: Mapping[str, Any] | None = None,
        auth: AuthArgument = None,
        subdomain: str | None = None,
    ) -> TestWebsocketConnection:
        """Open a websocket connection: ``async with client.websocket("/ws") as ws:``.

        The arguments are :meth:`open`'s; ``subprotocols`` are offered to the app in that
        order of preference.
        """
        outgoing = self._outgoing(
            path,
            "GET",
            query_string,
            headers,
            auth,
            scheme,
            root_path,
            http_version,
            scope_base,
            subdomain,
        )
        all_headers = outgoing.headers
        cookie = self._cookie_for(outgoing)
        if cookie is not None and "Cookie" not in all_headers:
            all_headers["Cookie"] = cookie
        scope = make_websocket_scope(
            outgoing.path,
            outgoing.query,
            all_headers,
            subprotocols=subprotocols or [],
            scheme=scheme,
            root_path=root_path,
            http_version=http_version,
            scope_base=scope_base,
        )
        return self.websocket_connection_class(self.app, scope)

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

    async def trace(self, path: str, **kwargs: Any) -> Response:
        """Send a ``TRACE`` request."""
        return await self.open(path, "TRACE", **kwargs)

    def _outgoing(
        self,
        path: str,
        method: str,
        query_string: QueryArgument,
        headers: HeadersArgument,
        auth: AuthArgument,
        scheme: str,
        root_path: str,
        http_version: str,
        scope_base: Mapping[str, Any] | None,
        subdomain: str | None,
    ) -> OutgoingRequest:
        """The request for these arguments, without a body (and a length only if ``headers``
        declare one)."""
        raw_path, query = split_path(path, query_string)
        return OutgoingRequest(
            method=method.upper(),
            path=raw_path,
            query=query,
            headers=base_headers(headers, with_subdomain(self.host, subdomain), auth),
            scheme=scheme,
            root_path=root_path,
            http_version=http_version,
            scope_base=scope_base,
        )

    async def _send(self, outgoing: OutgoingRequest) -> Response:
        response = await run_request(
            self.app, outgoing.scope(self._cookie_for(outgoing)), outgoing.body
        )
        if self.cookie_jar is not None:
            cookies.store_cookies(
                self.cookie_jar, outgoing.scheme, outgoing.host, outgoing.path, response.headers
            )
        return response

    def _cookie_for(self, outgoing: OutgoingRequest) -> str | None:
        """The ``Cookie`` header a browser would send with ``outgoing``, if any."""
        if self.cookie_jar is None:
            return None
        return cookies.cookie_header(self.cookie_jar, outgoing.scheme, outgoing.host, outgoing.path)

    def _jar(self, method: str) -> CookieJar:
        if self.cookie_jar is None:
            raise RuntimeError(
                f"{method}() needs cookies, and this client was made with use_cookies=False."
            )
        return self.cookie_jar


#: Quart's name for the test client (``from quart.testing import QuartClient`` ports as is).
QuartClient = TestClient
