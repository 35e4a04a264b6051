"""Helpers used inside handlers: ``url_for``, ``redirect``, ``make_response``,
``stream_with_context``."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from .globals import app_context_var, request_context_var, websocket_context_var
from .hooks import HookKind
from .return_values import make_response_from, redirect_response
from .wrappers.response import Response

if TYPE_CHECKING:
    from .wrappers.base import BaseRequestWebsocket

T = TypeVar("T")


def url_for(
    endpoint: str,
    *,
    _external: bool | None = None,
    _scheme: str | None = None,
    _anchor: str | None = None,
    _method: str | None = None,
    **values: Any,
) -> str:
    """Build the URL of ``endpoint`` with ``values`` for its converters.

    Values that no converter takes become query arguments. ``".name"`` means the endpoint
    ``name`` of the current blueprint (the innermost one, for nested blueprints). The
    ``url_defaults`` functions of the app and of the endpoint's blueprints may add values
    first. Inside a request or websocket the URL is relative to the client's host (unless
    ``_external``, or the rule is for another host or subdomain); elsewhere (in an app
    context) ``SERVER_NAME`` must be configured and the URL is external by default.

    Raises:
        RuntimeError: no application context is active, or no host is known.
        ValueError: ``_scheme`` with ``_external=False``.
        werkzeug.routing.BuildError: no rule of that endpoint fits the values.
    """
    request_ctx = request_context_var.get(None)
    websocket_ctx = websocket_context_var.get(None)
    connection: BaseRequestWebsocket | None = None
    if request_ctx is not None:
        connection, app = request_ctx.request, request_ctx.app
    elif websocket_ctx is not None:
        connection, app = websocket_ctx.websocket, websocket_ctx.app
    if connection is not None:
        adapter = connection.url_adapter
        if adapter is None:
            raise RuntimeError(
                "url_for() cannot build URLs for this request: it was refused before routing "
                "(its Host is not in TRUSTED_HOSTS), so no host is known to build them for."
            )
        blueprint = connection.blueprint
        if _external is None:
            _external = _scheme is not None
    else:
        app_ctx = app_context_var.get(None)
        if app_ctx is None:
            raise RuntimeError(
                "url_for() needs an application context: call it in a handler or hook, "
                "or inside 'async with app.app_context():'."
            )
        app = app_ctx.app
        server_name = app.config["SERVER_NAME"]
        if not server_name:
            raise RuntimeError(
                "url_for() outside a request needs app.config['SERVER_NAME'] "
                "(for example 'example.com') to know the host."
            )
        adapter = app.router.bind(
            server_name, app.config["PREFERRED_URL_SCHEME"], app.config["APPLICATION_ROOT"]
        )
        blueprint = None
        if _external is None:
            _external = True
    if _scheme is not None and not _external:
        raise ValueError(
            f"url_for({endpoint!r}, _scheme={_scheme!r}, _external=False): a URL with its own "
            "scheme must be external; leave _external out or pass _external=True."
        )
    if endpoint.startswith("."):
        endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
    for function in app.hooks.to_run(HookKind.URL_DEFAULTS, endpoint.rpartition(".")[0] or None):
        function(endpoint, values)
    url = adapter.build(
        endpoint, values, method=_method, url_scheme=_scheme, force_external=_external
    )
    if _anchor is not None:
        url = f"{url}#{quote(_anchor, safe=_ANCHOR_SAFE)}"
    return url


# What Flask leaves unquoted in an anchor: the characters a fragment may hold as they are.
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def redirect(location: str, code: int = 302) -> Response:
    """A redirect response to ``location`` (302 by default)."""
    return redirect_response(location, code)


async def make_response(*args: Any) -> Response:
    """Build a ``Response`` from what a view could return, to change it before returning it.

    A coroutine function, as in Quart: ``response = await make_response("body", 201)``.
    ``make_response()`` is an empty 200; one argument is a body (or a tuple); several are
    treated as a tuple ``(body, status, headers)``. Inside a request, the app's
    ``make_response`` converts it (so an app that overrides it is used).
    """
    if not args:
        return Response()
    rv = args[0] if len(args) == 1 else args
    ctx = app_context_var.get(None)
    if ctx is None:
        return make_response_from(rv, "make_response()")
    return await ctx.app.make_response(rv)


def stream_with_context(
    generator_function: Callable[..., AsyncIterable[T]],
) -> Callable[..., AsyncIterator[T]]:
    """Mark a streaming generator as using ``request``/``g`` while it runs.

    In trioquart a streamed body is sent inside the request's context, so the globals already
    work in the generator and this decorator only returns an equivalent async generator. It
    exists so that Quart and Flask code runs unchanged.
    """

    @wraps(generator_function)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[T]:
        items = generator_function(*args, **kwargs)
        try:
            async for item in items:
                yield item
        finally:
            close = getattr(items, "aclose", None)
            if close is not None:
                await close()

    return wrapper
