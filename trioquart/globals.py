"""The context globals: ``current_app``, ``g``, ``request``, ``websocket`` (and ``session``).

Each is a proxy over a :class:`contextvars.ContextVar`. trio copies the context of the task that
starts a child into the child, so tasks started from a handler (or from ``websocket.nursery``) see
the same globals without any copying helper.

Strategy: ``current_app`` and ``g`` come from the innermost application context, which is
either one pushed with ``app.app_context()`` (``app_context_var``) or the one a request or websocket
context carries. A connection context does not push its application context: setting and
resetting a ContextVar costs about a microsecond, on every request, for globals most handlers
never read. It pushes one only when another app's context is visible, so that an explicitly
pushed context always wins over the connection's (see ``ctx.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from .app import TrioQuart
    from .ctx import AppContext, RequestContext, WebsocketContext, _AppGlobals
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

app_context_var: ContextVar[AppContext] = ContextVar("trioquart.app_ctx")
request_context_var: ContextVar[RequestContext] = ContextVar("trioquart.request_ctx")
websocket_context_var: ContextVar[WebsocketContext] = ContextVar("trioquart.websocket_ctx")


def find_app_context() -> AppContext | None:
    """The innermost active application context in this task, or ``None``."""
    pushed = app_context_var.get(None)
    if pushed is not None:
        return pushed
    connection: RequestContext | WebsocketContext | None = request_context_var.get(None)
    if connection is None:
        connection = websocket_context_var.get(None)
    return None if connection is None else connection.app_context


def _app_context() -> AppContext:
    app_context = find_app_context()
    if app_context is None:
        raise RuntimeError(_no_app_message)
    return app_context


# The proxies are typed as the objects they stand for; LocalProxy forwards every attribute.
current_app: TrioQuart = LocalProxy(_app_context, "app")  # type: ignore[assignment]
g: _AppGlobals = LocalProxy(_app_context, "g")  # type: ignore[assignment]


def _with_fast_members(
    proxy_class: type[LocalProxy[Any]],
    variable: ContextVar[Any],
    attribute: str,
    unbound_message: str,
    names: Iterable[str],
) -> None:
    """Give ``proxy_class`` a plain property for each of ``names``.

    Werkzeug's ``LocalProxy`` resolves every attribute through its generic lookup, about
    1 us each; a websocket echo loop does two per message. A property that reads the
    ContextVar directly costs a fifth of that. Other attributes still go through LocalProxy.
    """
    for name in names:
        setattr(
            proxy_class,
            name,
            property(_member_getter(variable, attrgetter(f"{attribute}.{name}"), unbound_message)),
        )


def _member_getter(
    variable: ContextVar[Any], getter: Callable[[Any], Any], unbound_message: str
) -> Callable[[object], Any]:
    def get(_proxy: object) -> Any:
        try:
            context = variable.get()
        except LookupError:
            raise RuntimeError(unbound_message) from None
        return getter(context)

    return get


class _WebsocketProxy(LocalProxy):  # type: ignore[type-arg]
    __slots__ = ()


class _RequestProxy(LocalProxy):  # type: ignore[type-arg]
    __slots__ = ()


_with_fast_members(
    _WebsocketProxy,
    websocket_context_var,
    "websocket",
    _no_websocket_message,
    ["receive", "send", "receive_json", "send_json", "accept", "close", "nursery"],
)
_with_fast_members(
    _RequestProxy,
    request_context_var,
    "request",
    _no_request_message,
    ["method", "path", "args", "headers", "get_data", "get_json", "form", "files", "body"],
)

request: Request = _RequestProxy(  # type: ignore[assignment]
    request_context_var, "request", unbound_message=_no_request_message
)
websocket: Websocket = _WebsocketProxy(  # type: ignore[assignment]
    websocket_context_var, "websocket", unbound_message=_no_websocket_message
)


def has_request_context() -> bool:
    """Whether an HTTP request is being handled in this task."""
    return request_context_var.get(None) is not None


def has_websocket_context() -> bool:
    """Whether a websocket connection is being handled in this task."""
    return websocket_context_var.get(None) is not None


def has_app_context() -> bool:
    """Whether an application context is active in this task."""
    return find_app_context() is not None
