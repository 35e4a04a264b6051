"""The handler pipeline: routing, hooks, the view, error handlers, teardown.

``Pipeline`` is a base class of ``TrioQuart``. Each step is a method, named as in Quart and
Flask, so an application subclass can override one (``full_dispatch_request``,
``preprocess_request``, ``dispatch_request``, ``finalize_request``, ``process_response``,
``handle_exception``, ``do_teardown_request`` and their websocket twins). The ASGI drivers
(``asgi/``) call these methods and own everything else: reading, sending, cancellation.

Every ``Exception`` from a hook, the view or the conversion of its return value is turned into
a response (a registered error handler's, the HTTP exception's own, or a logged 500).
``trio.Cancelled`` and other ``BaseException``\\ s propagate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import trio
from blinker import NamedSignal
from werkzeug.exceptions import (
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
)
from werkzeug.routing import RequestRedirect, WebsocketMismatch

from .ctx import RequestContext
from .errors import ErrorHandlers, ResponseAbort, single_error
from .globals import find_connection_context
from .hooks import HookKind, Hooks
from .origins import origin_allowed
from .return_values import http_exception_response, make_response_from
from .routing import Router
from .sessions import SessionInterface
from .signals import (
    appcontext_tearing_down,
    got_request_exception,
    got_websocket_exception,
    request_finished,
    request_started,
    request_tearing_down,
    send,
    websocket_finished,
    websocket_started,
    websocket_tearing_down,
)
from .wrappers.response import Response

if TYPE_CHECKING:
    from .config import Config
    from .wrappers.base import BaseRequestWebsocket
    from .wrappers.request import Request
    from .wrappers.websocket import Websocket

log = logging.getLogger("trioquart")


class Pipeline:
    """The steps that turn a request into a response, and a websocket into a handler run."""

    config: Config
    router: Router
    hooks: Hooks
    error_handlers: ErrorHandlers
    view_functions: dict[str, Callable[..., Any]]
    session_interface: SessionInterface
    #: ``teardown_appcontext`` functions, in the order they were registered.
    teardown_appcontext_funcs: list[Callable[..., Any]]
    if TYPE_CHECKING:

        @property
        def logger(self) -> logging.Logger:
            """The app's logger (``TrioQuart.logger``)."""

    @property
    def propagate_exceptions(self) -> bool:
        """Whether unhandled errors leave the app: ``PROPAGATE_EXCEPTIONS``, or when it is
        ``None``, ``TESTING`` or ``DEBUG``."""
        value = self.config["PROPAGATE_EXCEPTIONS"]
        if value is None:
            value = self.config["TESTING"] or self.config["DEBUG"]
        return bool(value)

    def match_request(self, connection: BaseRequestWebsocket) -> None:
        """Route ``connection``, storing its rule and arguments, or the routing failure to
        raise when the view would run. Not a checkpoint.

        With ``TRUSTED_HOSTS`` set, a ``Host`` not in it is such a failure (400), as in Flask.
        The host's part in matching (host or subdomain matching, ``SERVER_NAME``) is Flask's
        ``create_url_adapter``'s; see ``Router.bind``.
        """
        websocket = connection.scope["type"] == "websocket"
        config = self.config
        trusted_hosts = config["TRUSTED_HOSTS"]
        if trusted_hosts is not None:
            connection.trusted_hosts = trusted_hosts
        try:
            adapter = self.router.bind(
                connection.host, connection.scheme, connection.root_path, config["SERVER_NAME"]
            )
        except HTTPException as error:  # werkzeug's SecurityError (untrusted host) or BadHost
            connection.routing_exception = error
            return
        connection.url_adapter = adapter
        if connection.outside_root_path:
            connection.routing_exception = NotFound()
            return
        try:
            connection.url_rule, connection.view_args = self.router.match(
                adapter,
                connection.path,
                connection.method,
                connection.query_string.decode("latin-1"),
                websocket=websocket,
            )
        except MethodNotAllowed as error:
            # Websocket to HTTP-only rules: 400 by scope type; Router.match keeps Werkzeug's 405.
            connection.routing_exception = WebsocketMismatch() if websocket else error
        except HTTPException as error:
            connection.routing_exception = error

    # HTTP

    async def full_dispatch_request(self, request: Request) -> Response:
        """Run the ``before_request`` hooks and the view, and finalize what they return.

        Returns the response to send; never raises an ``Exception``.
        """
        try:
            await self.load_session(request)
            if request_started.receivers and request_started.has_receivers_for(self):
                await send(request_started, self)
            rv = await self.preprocess_request(request)
            if rv is None:
                rv = await self.dispatch_request(request)
        except Exception as error:
            rv = await self.handle_exception(error, request)
        return await self.finalize_request(rv, request)

    async def preprocess_request(self, request: Request | None = None) -> Any:
        """Call the URL value preprocessors, then run the ``before_request`` hooks; the first
        hook that returns a value short-circuits, and that value is returned.

        ``request`` defaults to the current one, so ``await app.preprocess_request()`` works
        inside ``app.test_request_context()``, as in Quart.
        """
        if request is None:
            ctx = find_connection_context()
            if not isinstance(ctx, RequestContext):
                raise RuntimeError(
                    "preprocess_request() without a request needs a request context "
                    "(for example 'async with app.test_request_context(\"/\"):')."
                )
            request = ctx.request
        blueprint = request.blueprint
        for processor in self.hooks.to_run(HookKind.URL_VALUE_PREPROCESSOR, blueprint):
            processor(request.endpoint, request.view_args)
        return await run_before_hooks(self.hooks.to_run(HookKind.BEFORE_REQUEST, blueprint))

    async def dispatch_request(self, request: Request) -> Any:
        """Raise the routing failure, answer an automatic ``OPTIONS``, or call the view.

        Returns what the view returned.
        """
        if request.routing_exception is not None:
            raise request.routing_exception
        rule = request.url_rule
        assert rule is not None
        if request.method == "OPTIONS" and rule.provide_automatic_options:
            return automatic_options_response(request)
        view = self.view_functions[rule.endpoint]
        return await view(**(request.view_args or {}))

    async def finalize_request(self, rv: Any, request: Request) -> Response:
        """Make ``rv`` a response and run the ``after_request`` hooks on it.

        As in Flask and Quart, the hooks see every response, error responses included; an
        error in the conversion or in a hook is answered by :meth:`handle_exception`, without
        running the hooks again.
        """
        try:
            response = await self.make_response(rv)
            response = await self.process_response(response, request)
            if request_finished.receivers and request_finished.has_receivers_for(self):
                await send(request_finished, self, response=response)
            return response
        except Exception as error:
            return await self.handle_exception(error, request)

    async def make_response(self, rv: Any) -> Response:
        """Make a ``Response`` of what a view (or hook, or error handler) returned.

        Accepted: a ``Response``; ``str``/``bytes``; a ``dict``/``list`` (JSON); an async
        iterator or a generator (streamed); an ``HTTPException``; or a tuple ``(body,
        status)``, ``(body, headers)`` or ``(body, status, headers)``.

        Raises:
            TypeError: ``rv`` is none of these (the message names the view).
        """
        ctx = find_connection_context()
        connection: BaseRequestWebsocket | None = None
        if isinstance(ctx, RequestContext):
            connection = ctx.request
        elif ctx is not None:
            connection = ctx.websocket
        view = (connection.endpoint if connection is not None else None) or "<no view>"
        return make_response_from(rv, view)

    async def process_response(self, response: Response, request: Request) -> Response:
        """Run the ``after_request`` hooks, each getting and returning the response, then save
        the session into it."""
        for hook in self.hooks.to_run(HookKind.AFTER_REQUEST, request.blueprint):
            response = await hook(response)
        await self.save_session(response)
        return response

    async def do_teardown_request(self, request: Request, error: BaseException | None) -> None:
        """Run the ``teardown_request`` hooks, shielded from cancellation (a client that left
        must not stop the cleanup) but within ``TEARDOWN_TIMEOUT`` seconds in all."""
        hooks = self.hooks.to_run(HookKind.TEARDOWN_REQUEST, request.blueprint)
        if request_tearing_down.receivers and request_tearing_down.has_receivers_for(self):
            hooks = [*hooks, partial(send_tearing_down, request_tearing_down, self)]
        await run_teardown_hooks(hooks, error, self.config["TEARDOWN_TIMEOUT"])

    async def do_teardown_appcontext(self, error: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions (last registered first), shielded and
        bounded like the request's teardown, then send ``appcontext_tearing_down``. No
        checkpoint when there is nothing to run."""
        hooks = self.teardown_appcontext_funcs[::-1]
        if appcontext_tearing_down.receivers and appcontext_tearing_down.has_receivers_for(self):
            hooks.append(partial(send_tearing_down, appcontext_tearing_down, self))
        await run_teardown_hooks(hooks, error, self.config["TEARDOWN_TIMEOUT"])

    # Websockets

    async def full_dispatch_websocket(self, websocket: Websocket) -> Any:
        """Check the handshake's origin, run the ``before_websocket`` hooks, then the handler;
        return what either returned.

        Errors propagate: the websocket driver answers them (a rejection before accept, a
        1011 close after it).
        """
        await self.check_websocket_origin(websocket)
        await self.load_session(websocket)
        if websocket_started.receivers and websocket_started.has_receivers_for(self):
            await send(websocket_started, self)
        rv = await self.preprocess_websocket(websocket)
        if rv is None:
            rv = await self.dispatch_websocket(websocket)
        return rv

    async def check_websocket_origin(self, websocket: Websocket) -> None:
        """Refuse a handshake from a page of another site, before any hook runs.

        The page's ``Origin`` must be the connection's own host or be listed in
        ``WEBSOCKET_ALLOWED_ORIGINS``; a handshake without ``Origin`` (not a browser) passes.

        Raises:
            Forbidden: the origin is not allowed (answered with 403).
        """
        origin = websocket.headers.get("Origin")
        if origin is None:
            return
        allowed = self.config["WEBSOCKET_ALLOWED_ORIGINS"]
        if not origin_allowed(origin, websocket.host, allowed):
            log.warning(
                "Refused a websocket handshake to %s from a page of %r: not the host %r and "
                "not in WEBSOCKET_ALLOWED_ORIGINS",
                websocket.path,
                origin,
                websocket.host,
            )
            raise Forbidden(
                f"Websocket connections from pages of {origin!r} are not allowed "
                "(WEBSOCKET_ALLOWED_ORIGINS)."
            )

    async def preprocess_websocket(self, websocket: Websocket) -> Any:
        """Call the URL value preprocessors, then run the ``before_websocket`` hooks; the
        first value a hook returns rejects the connection."""
        blueprint = websocket.blueprint
        for processor in self.hooks.to_run(HookKind.URL_VALUE_PREPROCESSOR, blueprint):
            processor(websocket.endpoint, websocket.view_args)
        return await run_before_hooks(self.hooks.to_run(HookKind.BEFORE_WEBSOCKET, blueprint))

    async def dispatch_websocket(self, websocket: Websocket) -> Any:
        """Raise the routing failure, or run the handler and return what it returned."""
        if websocket.routing_exception is not None:
            raise websocket.routing_exception
        rule = websocket.url_rule
        assert rule is not None
        handler = self.view_functions[rule.endpoint]
        return await handler(**(websocket.view_args or {}))

    async def postprocess_websocket(
        self, websocket: Websocket, response: Response | None
    ) -> Response | None:
        """Run the ``after_websocket`` hooks; each gets and returns the rejection response
        (``None`` after accept). A rejection carries the session's cookie."""
        for hook in self.hooks.to_run(HookKind.AFTER_WEBSOCKET, websocket.blueprint):
            result = await hook(response)
            if result is not None or response is None:
                response = result
        if response is not None:
            await self.save_session(response)
        if websocket_finished.receivers and websocket_finished.has_receivers_for(self):
            await send(websocket_finished, self, response=response)
        return response

    async def do_teardown_websocket(
        self, websocket: Websocket, error: BaseException | None
    ) -> None:
        """Run the ``teardown_websocket`` hooks, shielded and bounded like the request's."""
        hooks = self.hooks.to_run(HookKind.TEARDOWN_WEBSOCKET, websocket.blueprint)
        if websocket_tearing_down.receivers and websocket_tearing_down.has_receivers_for(self):
            hooks = [*hooks, partial(send_tearing_down, websocket_tearing_down, self)]
        await run_teardown_hooks(hooks, error, self.config["TEARDOWN_TIMEOUT"])

    # Both

    async def load_session(self, connection: BaseRequestWebsocket) -> None:
        """Open the session of ``connection`` with ``session_interface`` (a null session when
        it gives none), for the ``session`` global."""
        ctx = find_connection_context()
        assert ctx is not None
        app: Any = self  # the interface is given the app, of which Pipeline is a base
        interface = self.session_interface
        session = await interface.open_session(app, connection)
        ctx.session = session if session is not None else interface.make_null_session(app)

    async def save_session(self, response: Response) -> None:
        """Save the session of the current connection into ``response``, unless it is null
        or was never opened (an error before that)."""
        ctx = find_connection_context()
        session = ctx.session if ctx is not None else None
        interface = self.session_interface
        if session is not None and not interface.is_null_session(session):
            app: Any = self  # the interface is given the app, of which Pipeline is a base
            await interface.save_session(app, session, response)

    async def handle_exception(
        self, error: Exception, connection: BaseRequestWebsocket
    ) -> Response:
        """Turn ``error`` into a response: an error handler's, the HTTP exception's own, or 500.

        A lone error in an exception group is handled as itself. Unhandled errors are logged
        with their traceback. An error handler that itself fails is logged too, and the
        answer is a plain 500.
        """
        target = single_error(error)
        if isinstance(target, RequestRedirect | ResponseAbort):
            # A redirect of the router, or abort(response): the answer itself, as in Flask.
            return http_exception_response(target)
        handler = self.error_handlers.find(target, connection.blueprint)
        if handler is None and not isinstance(target, HTTPException):
            await self.report_unhandled_exception(error, connection)
            target = InternalServerError(original_exception=target)
            handler = self.error_handlers.find(target, connection.blueprint)
        try:
            if handler is not None:
                return make_response_from(await handler(target), f"errorhandler({target!r})")
            assert isinstance(target, HTTPException)  # any other error became a 500 above
            return http_exception_response(target)
        except Exception:
            log.exception("Exception in the error handler for %r", target)
            return http_exception_response(InternalServerError())

    async def report_unhandled_exception(
        self, error: Exception, connection: BaseRequestWebsocket, *, logged: bool = False
    ) -> None:
        """Send ``got_request_exception`` (or ``got_websocket_exception``), then raise
        ``error`` again if :attr:`propagate_exceptions`, else log it on ``app.logger``
        (unless the caller has ``logged`` it already)."""
        signal = got_request_exception
        if connection.scope["type"] == "websocket":
            signal = got_websocket_exception
        if signal.receivers and signal.has_receivers_for(self):
            await send(signal, self, exception=single_error(error))
        if self.propagate_exceptions:
            raise error
        if not logged:
            self.logger.error(
                "Exception on %s %s", connection.method, connection.path, exc_info=error
            )


def automatic_options_response(request: Request) -> Response:
    """The answer to ``OPTIONS`` on a route that does not handle it itself."""
    response = Response(status=200)
    assert request.url_adapter is not None
    allowed = request.url_adapter.allowed_methods(request.path)
    response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


async def run_before_hooks(hooks: list[Callable[..., Any]]) -> Any:
    """Await each hook in order until one returns a value, and return that (else ``None``)."""
    for hook in hooks:
        rv = await hook()
        if rv is not None:
            return rv
    return None


async def run_teardown_hooks(
    hooks: list[Callable[..., Any]], error: BaseException | None, timeout: float
) -> None:
    """Await each teardown hook in order, shielded, within ``timeout`` seconds in all.

    A hook that raises is logged and the next one still runs. Shielded, so never cancelled
    (and no checkpoint at all when there is no hook): it runs on the way out of a request or
    connection, when its scope may already be cancelled.
    """
    if not hooks:
        return
    with trio.move_on_after(timeout, shield=True) as scope:
        for hook in hooks:
            try:
                await hook(error)
            except Exception:
                log.exception("Error in teardown hook %r", hook)
    if scope.cancelled_caught:
        log.error("Teardown hooks did not finish within TEARDOWN_TIMEOUT (%ss)", timeout)


async def send_tearing_down(signal: NamedSignal, sender: Any, error: BaseException | None) -> None:
    """Send a ``*_tearing_down`` signal, as a teardown hook (the error as ``exc``)."""
    await send(signal, sender, exc=error)
