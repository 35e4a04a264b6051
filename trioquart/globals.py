"""The context globals: ``current_app``, ``g``, ``request``, ``websocket`` and ``session``.

Each is a proxy over a :class:`contextvars.ContextVar`. trio copies the context of the task that
starts a child into the child, so tasks started from a handler (or from ``websocket.nursery``) see
the same globals without any copying helper.

``current_app`` and ``g`` come from the innermost application context: one pushed with
``app.app_context()``, by the lifespan, or by a request or websocket context (which shares the
one already active for the same app, as Flask does; see ``ctx.py``).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from .app import TrioQuart
    from .ctx import AppContext, RequestContext, WebsocketContext, _AppGlobals
    from .sessions import Session
    from .wrappers.request import Request
    from .wrappers.websocket import Websocket

_no_app_message = """\
Working outside of application context.

This code needs the application (current_app or g), and none is active in this task. \
Requests, websocket connections and the lifespan provide one; elsewhere use \
'async with app.app_context():'."""

_no_request_message = """\
Working outside of request context.

This code reads 'request', which exists only while an HTTP request is being handled, in \
the handler, its hooks and the tasks they start. In a test, send a request with \
'await app.test_client().get(...)'; code that only needs the app can run inside \
'async with app.app_context():'."""

_no_websocket_message = """\
Working outside of websocket context.

This code reads 'websocket', which exists only while a websocket connection is being \
handled, in the handler, its hooks and the tasks in 'websocket.nursery'. In a test, open one \
with 'async with app.test_client().websocket(path) as ws:'."""

_no_session_message = """\
Working outside of request context.

This code reads 'session', which exists only while an HTTP request or a websocket connection \
is being handled, in the handler, its hooks and the tasks they start. In a test, use \
'async with app.test_client().session_transaction() as session:' to read or prepare it."""

app_context_var: ContextVar[AppContext] = ContextVar("trioquart.app_ctx")
request_context_var: ContextVar[RequestContext] = ContextVar("trioquart.request_ctx")
websocket_context_var: ContextVar[WebsocketContext] = ContextVar("trioquart.websocket_ctx")


def find_app_context() -> AppContext | None:
    """The innermost active application context in this task, or ``None``."""
    return app_context_var.get(None)


def _app_context() -> AppContext:
    app_context = find_app_context()
    if app_context is None:
        raise RuntimeError(_no_app_message)
    return app_context


# The proxies are typed as the objects they stand for; LocalProxy forwards every attribute.
current_app: TrioQuart = LocalProxy(_app_context, "app")  # type: ignore[assignment]
g: _AppGlobals = LocalProxy(_app_context, "g")  # type: ignore[assignment]


request: Request = LocalProxy(  # type: ignore[assignment]
    request_context_var, "request", unbound_message=_no_request_message
)
websocket: Websocket = LocalProxy(  # type: ignore[assignment]
    websocket_context_var, "websocket", unbound_message=_no_websocket_message
)


def find_connection_context() -> RequestContext | WebsocketContext | None:
    """The request or websocket context being handled in this task, or ``None``."""
    return request_context_var.get(None) or websocket_context_var.get(None)


def _session() -> Session:
    ctx = find_connection_context()
    if ctx is None or ctx.session is None:
        raise RuntimeError(_no_session_message)
    return ctx.session


session: Session = LocalProxy(_session)  # type: ignore[assignment]


def has_request_context() -> bool:
    """Whether an HTTP request is being handled in this task."""
    return request_context_var.get(None) is not None


def has_websocket_context() -> bool:
    """Whether a websocket connection is being handled in this task."""
    return websocket_context_var.get(None) is not None


def has_app_context() -> bool:
    """Whether an application context is active in this task."""
    return find_app_context() is not None
