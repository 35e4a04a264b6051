"""Test contexts: a request or websocket context pushed with no client, for testing code that
reads ``request``, ``websocket``, ``session`` or ``url_for`` outside a handler.

``async with app.test_request_context("/x", method="POST", json={...}):`` builds the request
the test client would send (same headers, body and scope), routes it as the app does (so
``request.endpoint`` and ``request.view_args`` are set), pushes its context and opens its
session. Leaving runs the ``teardown_request`` hooks, closes the uploads and pops the context.
No ``before_request`` hook, view or ``after_request`` hook runs, as in Quart and Flask.

``app.test_websocket_context(path)`` does the same for a websocket handshake. It has no
client: reading its attributes works, while ``accept``, ``send`` and ``receive`` raise a
``RuntimeError`` that points to ``client.websocket()``.

This module does not own the contexts themselves (``ctx.py``) or sessions (``sessions.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

import trio

from ..asgi.http import new_request
from ..asgi.request_inbox import RequestInbox
from ..ctx import RequestContext, WebsocketContext, app_context_teardown_wanted
from ..wrappers.base import BaseRequestWebsocket
from ..wrappers.websocket import InboxStatistics
from .bodies import NO_JSON, add_body_headers, make_test_body_with_headers
from .scopes import (
    AuthArgument,
    HeadersArgument,
    QueryArgument,
    app_host,
    base_headers,
    make_http_scope,
    make_websocket_scope,
    split_path,
)

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

    from ..app import TrioQuart
    from ..typing import ASGISendEvent, HTTPScope, WebsocketScope

ContextT = TypeVar("ContextT", RequestContext, WebsocketContext)

_NO_CLIENT = (
    "The websocket of app.test_websocket_context() has no client, so it cannot {action}. "
    "To test a conversation, open a connection with "
    "'async with app.test_client().websocket(path) as ws:'."
)


async def no_op_push(path: str, headers: Headers) -> None:
    """A push-promise sender that sends nothing: the default of ``test_request_context``'s
    ``send_push_promise``, as in Quart. A checkpoint."""
    await trio.lowlevel.checkpoint()


def make_test_request_context(
    app: TrioQuart,
    path: str,
    *,
    method: str = "GET",
    headers: HeadersArgument = None,
    query_string: QueryArgument = None,
    scheme: str = "http",
    send_push_promise: Callable[[str, Headers], Awaitable[None]] = no_op_push,
    data: bytes | str | None = None,
    form: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    json: Any = NO_JSON,
    root_path: str = "",
    http_version: str = "1.1",
    scope_base: Mapping[str, Any] | None = None,
    auth: AuthArgument = None,
    subdomain: str | None = None,
) -> TestRequestContext:
    """What ``app.test_request_context`` returns (see it for the arguments).

    ``path`` is the request's path *under* ``root_path`` (``request.path``), as in Quart; the
    scope's ``path`` is the whole one, as a server gives it.

    Raises:
        TypeError: ``send_push_promise`` is not callable, or ``auth`` or a ``files`` value has
            the wrong type.
        ValueError: more than one body is given, or the query is given twice.
    """
    if not callable(send_push_promise):
        raise TypeError(f"send_push_promise must be an async callable, not {send_push_promise!r}")
    raw_path, query = split_path(path, query_string)
    all_headers = base_headers(headers, app_host(app, subdomain), auth)
    body, body_headers = make_test_body_with_headers(data=data, form=form, files=files, json=json)
    add_body_headers(all_headers, method, body, body_headers)
    scope = make_http_scope(
        method,
        root_path.rstrip("/") + raw_path,
        query,
        all_headers,
        scheme=scheme,
        root_path=root_path,
        http_version=http_version,
        scope_base=scope_base,
    )
    return TestRequestContext(app, scope, body)


def make_test_websocket_context(
    app: TrioQuart,
    path: str,
    *,
    headers: HeadersArgument = None,
    query_string: QueryArgument = None,
    scheme: str = "ws",
    subprotocols: Iterable[str] | None = None,
    root_path: str = "",
    http_version: str = "1.1",
    scope_base: Mapping[str, Any] | None = None,
    auth: AuthArgument = None,
    subdomain: str | None = None,
) -> TestWebsocketContext:
    """What ``app.test_websocket_context`` returns (see it for the arguments); ``path`` is
    under ``root_path``, as for ``make_test_request_context``.

    Raises:
        TypeError: ``auth`` has the wrong type.
        ValueError: the query is given twice.
    """
    raw_path, query = split_path(path, query_string)
    scope = make_websocket_scope(
        root_path.rstrip("/") + raw_path,
        query,
        base_headers(headers, app_host(app, subdomain), auth),
        subprotocols=subprotocols or (),
        scheme=scheme,
        root_path=root_path,
        http_version=http_version,
        scope_base=scope_base,
    )
    return TestWebsocketContext(app, scope)


class _TestConnectionContext(Generic[ContextT]):
    """What both test contexts do: pushed once (routed, its session opened), popped with the
    connection's teardown and, if it pushed its own application context, that one's."""

    __test__ = False  # not a pytest test class

    #: The name of the ``app`` method that makes this kind, for error messages.
    _maker: str
    #: The context that makes the connection (and ``session``, ``g``) resolve.
    context: ContextT

    def __init__(self, app: TrioQuart) -> None:
        self.app = app
        self._pushed = False
        self._used = False

    def _connection(self) -> BaseRequestWebsocket:
        raise NotImplementedError  # pragma: no cover - both subclasses override it

    async def _tear_down(self, exc: BaseException | None) -> None:
        raise NotImplementedError  # pragma: no cover - both subclasses override it

    async def push(self) -> ContextT:
        """Route the connection, push its context and open its session. A checkpoint.

        Raises:
            RuntimeError: this context was pushed before (make another for a new one).
        """
        await trio.lowlevel.checkpoint()
        if self._used:
            raise RuntimeError(
                f"This {self._maker}() was pushed already, and a context is pushed once: "
                f"call app.{self._maker}() again for another."
            )
        self._used = True
        connection = self._connection()
        self.app.match_request(connection)
        self.context.push()
        self._pushed = True
        try:
            await self.app.load_session(connection)
        except BaseException:
            await self.pop()
            raise
        return self.context

    async def pop(self, exc: BaseException | None = None) -> None:
        """Run the connection's teardown hooks (given ``exc``) and pop the context. A second
        call does nothing."""
        if not self._pushed:
            await trio.lowlevel.checkpoint()
            return
        self._pushed = False
        try:
            await self._tear_down(exc)
            if self.context.owns_app_context and app_context_teardown_wanted(self.app):
                await self.app.do_teardown_appcontext(exc)
        finally:
            self.context.pop()

    async def __aenter__(self) -> ContextT:
        return await self.push()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.pop(exc)


class TestRequestContext(_TestConnectionContext[RequestContext]):
    """A request context for a request no client sent; made by ``app.test_request_context``.

    ``async with`` pushes it and gives the ``RequestContext`` (``.request``, ``.session``,
    ``.app``); ``await push()`` and ``await pop()`` do the same in two steps. Popping runs the
    ``teardown_request`` hooks and closes the uploads.

    Args:
        app: the application.
        scope: the request's scope.
        body: the whole request body, readable with ``await request.get_data()`` and the rest.
    """

    _maker = "test_request_context"

    def __init__(self, app: TrioQuart, scope: HTTPScope, body: bytes) -> None:
        super().__init__(app)
        # The body is ready as one message; the sending end stays open, so that a read beyond
        # it waits like one from a client that has not left.
        self._body_send, body_receive = trio.open_memory_channel[dict[str, Any]](1)
        self._body_send.send_nowait({"type": "http.request", "body": body, "more_body": False})
        #: The request (``request`` while the context is pushed).
        self.request = new_request(app, scope, RequestInbox(body_receive.receive))
        self.context = RequestContext(app, self.request)

    def _connection(self) -> BaseRequestWebsocket:
        return self.request

    async def _tear_down(self, exc: BaseException | None) -> None:
        await self.app.do_teardown_request(self.request, exc)
        await self.request.close_uploads()


class TestWebsocketContext(_TestConnectionContext[WebsocketContext]):
    """A websocket context for a handshake no client sent; made by
    ``app.test_websocket_context``.

    ``async with`` pushes it and gives the ``WebsocketContext`` (``.websocket``, ``.session``,
    ``.app``). The connection stays unanswered: ``accept``, ``send`` and ``receive`` raise
    ``RuntimeError``. Popping runs the ``teardown_websocket`` hooks.

    Args:
        app: the application.
        scope: the handshake's scope.
    """

    _maker = "test_websocket_context"

    def __init__(self, app: TrioQuart, scope: WebsocketScope) -> None:
        super().__init__(app)
        #: The connection (``websocket`` while the context is pushed).
        self.websocket = app.websocket_class(scope, _send_without_client, _NoClient())
        self.context = WebsocketContext(app, self.websocket)

    def _connection(self) -> BaseRequestWebsocket:
        return self.websocket

    async def _tear_down(self, exc: BaseException | None) -> None:
        await self.app.do_teardown_websocket(self.websocket, exc)


async def _send_without_client(message: ASGISendEvent) -> NoReturn:
    await trio.lowlevel.checkpoint()
    action = "accept" if message["type"] == "websocket.accept" else "send or close"
    raise RuntimeError(_NO_CLIENT.format(action=action))


class _NoClient:
    """The message source of a websocket with no client."""

    async def next_message(self) -> NoReturn:
        await trio.lowlevel.checkpoint()
        raise RuntimeError(_NO_CLIENT.format(action="receive"))

    def close_receivers(self) -> None:
        pass  # nobody is receiving

    def statistics(self) -> InboxStatistics:
        return InboxStatistics(reading="direct", queued_messages=0, max_queue=0)
