"""The handler pipeline: before hooks, the view, error handlers, after hooks.

``full_dispatch_request`` always returns a ``Response``: every ``Exception`` from a hook, the
view or the return-value conversion is turned into one (a registered error handler's, the HTTP
exception's own, or a logged 500). ``trio.Cancelled`` and other ``BaseException``s propagate.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, InternalServerError

from .errors import find_error_handler, single_error
from .return_values import http_exception_response, make_response_from
from .wrappers.response import Response

if TYPE_CHECKING:
    from .app import TrioQuart
    from .wrappers.base import BaseRequestWebsocket
    from .wrappers.request import Request

log = logging.getLogger("trioquart")


async def preprocess(app: TrioQuart, kind: str, blueprint: str | None) -> Any:
    """Run the ``before_<kind>`` hooks; the first one that returns a value short-circuits."""
    if not app._hooks[f"before_{kind}"]:
        return None
    for hook in app._hooks_for(f"before_{kind}", blueprint):
        rv = await hook()
        if rv is not None:
            return rv
    return None


def call_view(app: TrioQuart, connection: BaseRequestWebsocket) -> Awaitable[Any]:
    """Raise the routing failure, or call the matched view: ``await call_view(...)``.

    A plain function that returns the view's own coroutine, so a long-running view (a
    websocket loop) is not resumed through one more coroutine frame at every wake-up.
    """
    if connection.routing_exception is not None:
        raise connection.routing_exception
    rule = connection.url_rule
    assert rule is not None
    view = app.view_functions[rule.endpoint]
    return view(**(connection.view_args or {}))  # type: ignore[no-any-return]


def automatic_options_response(app: TrioQuart, request: Request) -> Response:
    """The answer to ``OPTIONS`` on a route that does not handle it itself."""
    response = Response(status=200)
    assert request.url_adapter is not None
    allowed = request.url_adapter.allowed_methods(request.path)
    response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


async def full_dispatch_request(app: TrioQuart, request: Request) -> Response:
    """Run the whole pipeline for an HTTP request and return the response to send.

    As in Flask and Quart, the ``after_request`` hooks see every response, error responses
    included (a 404, an error handler's answer, a 500); an error in one of them is answered by
    :func:`handle_exception` without running the hooks again.
    """
    # The hook checks are repeated here so that a request without hooks awaits no coroutine
    # for them.
    try:
        rv = None
        if app._hooks["before_request"]:
            rv = await preprocess(app, "request", request.blueprint)
        if rv is None:
            rule = request.url_rule
            if (
                request.method == "OPTIONS"
                and rule is not None
                and rule.provide_automatic_options
                and request.routing_exception is None
            ):
                rv = automatic_options_response(app, request)
            else:
                rv = await call_view(app, request)
        response = make_response_from(rv, _view_name(request))
    except Exception as error:
        response = await handle_exception(app, error, request)
    if app._hooks["after_request"]:
        response = await postprocess(app, request, response)
    return response


async def postprocess(app: TrioQuart, request: Request, response: Response) -> Response:
    """Run the ``after_request`` hooks on ``response``; an error in one is handled as usual."""
    if not app._hooks["after_request"]:
        return response
    try:
        for hook in app._hooks_for("after_request", request.blueprint):
            response = await hook(response)
    except Exception as error:
        return await handle_exception(app, error, request)
    return response


def view_without_hooks(app: TrioQuart, request: Request) -> Callable[..., Any] | None:
    """The matched view, if the pipeline is the view alone (no request hooks, not an
    automatic ``OPTIONS``); else ``None``, and :func:`full_dispatch_request` must run.

    The caller then awaits the view from its own frame, so that each wake-up of a waiting
    view passes through one coroutine frame less.
    """
    rule = request.url_rule
    if (
        rule is None
        or app._hooks["before_request"]
        or app._hooks["after_request"]
        or (request.method == "OPTIONS" and rule.provide_automatic_options)
    ):
        return None
    return app.view_functions[rule.endpoint]


def _view_name(connection: BaseRequestWebsocket) -> str:
    return connection.endpoint or "<no view>"


async def handle_exception(
    app: TrioQuart, error: Exception, connection: BaseRequestWebsocket
) -> Response:
    """Turn ``error`` into a response: an error handler's, the HTTP exception's own, or 500.

    Unhandled errors are logged with their traceback. An error handler that itself fails is
    logged too, and the answer is a plain 500.
    """
    target = single_error(error)
    registries = app._error_handlers_for(connection.blueprint)
    handler = find_error_handler(target, registries)
    try:
        if handler is not None:
            return make_response_from(await handler(target), f"errorhandler({target!r})")
        if isinstance(target, HTTPException):
            return http_exception_response(target)
        log.error(
            "Exception on %s %s",
            getattr(connection, "method", "GET"),
            connection.path,
            exc_info=error,
        )
        server_error = InternalServerError(original_exception=target)
        handler = find_error_handler(server_error, registries)
        if handler is not None:
            return make_response_from(await handler(server_error), "errorhandler(500)")
        return http_exception_response(server_error)
    except Exception:
        log.exception("Exception in the error handler for %r", target)
        return http_exception_response(InternalServerError())
