"""Drives one ASGI websocket connection: routing, the connection nursery, hooks, and the end.

Structure of one connection (outermost first)::

    websocket context (current_app, g, websocket; teardown_websocket on the way out)
    └─ websocket.nursery      before_websocket hooks, the handler, its children; its cancel
                              scope is the connection's, cancelled when the client leaves

The client is read by the handler itself while it receives, and by a reader task when it is
busy elsewhere (``websocket_inbox.py``); without the lifespan's watch service the reader runs
from the start, in an I/O nursery around ``websocket.nursery``.

When ``websocket.nursery`` is done, the outcome decides the last message: a rejection response
before accept, close 1000 after a clean finish, close 1011 after an error. This module does not
own the message protocol (``wrappers/websocket.py``) or reading (``websocket_inbox.py``).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import trio
from werkzeug.exceptions import HTTPException, InternalServerError

from .ctx import WebsocketContext
from .dispatch import call_view, handle_exception, preprocess
from .errors import single_error
from .return_values import http_exception_response, make_response_from
from .routing import Router
from .websocket_inbox import WebsocketInbox
from .websocket_state import CloseCode, WebsocketClosedError, WebsocketState
from .wrappers.websocket import Websocket

if TYPE_CHECKING:
    from .app import TrioQuart
    from .typing import ASGIReceiveCallable, ASGISendCallable, WebsocketScope
    from .wrappers.response import Response

log = logging.getLogger("trioquart")


async def handle_websocket(
    app: TrioQuart, scope: WebsocketScope, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> None:
    """Serve one websocket connection until the handler, its children and the close are done.

    The hooks and the handler run in ``websocket.nursery``, whose own cancel scope is the
    connection's: a disconnect (or a framework close, or the server shutting down) cancels
    it. While the app is served, the handler reads the client directly and the watch service
    hands out a reader task when needed; otherwise a reader task in an I/O nursery around
    ``websocket.nursery`` reads from the start (``websocket_inbox.py``).
    """
    first = await receive()
    if first["type"] != "websocket.connect":
        return  # the client left during the handshake
    websocket, inbox, ctx = open_connection(app, scope, receive, send)
    rv: Any = None
    error: Exception | None = None
    outcome: Exception | None = None
    watch = app._disconnect_watch
    # Every frame between the server and the view is resumed at each wake-up of a long-lived
    # handler (twice per message of an echo loop), so the nurseries and the view's call are
    # all here, in the frame the server calls.
    io_nurseries = nullcontext(None) if watch.running else trio.open_nursery()
    try:
        try:
            async with io_nurseries as io_nursery:
                try:
                    async with trio.open_nursery() as nursery:
                        websocket.nursery = nursery
                        inbox.connection_scope = nursery.cancel_scope
                        app._open_websockets[websocket] = inbox
                        if io_nursery is not None:
                            inbox.use_reader()
                            io_nursery.start_soon(inbox.watch)
                        elif watch.register(inbox):
                            inbox.watch_service = watch
                        rv = await preprocess(app, "websocket", websocket.blueprint)
                        if rv is None:
                            rv = await call_view(app, websocket)
                finally:
                    if io_nursery is not None:
                        io_nursery.cancel_scope.cancel(reason="connection finished")
        except Exception as caught:
            error = caught
        finally:
            watch.unregister(inbox)
        outcome = await conclude(app, websocket, inbox, rv, error)
    finally:
        app._open_websockets.pop(websocket, None)
        # Teardown hooks get a lone error as itself, not wrapped in a group.
        await ctx.pop(single_error(outcome) if outcome is not None else None)


def open_connection(
    app: TrioQuart, scope: WebsocketScope, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> tuple[Websocket, WebsocketInbox, WebsocketContext]:
    """Make the connection's objects, route it and push its context (after the connect)."""
    config = app.config
    inbox = WebsocketInbox(
        receive,
        max_queue=config["WEBSOCKET_MAX_QUEUE"],
        queue_timeout=config["WEBSOCKET_QUEUE_TIMEOUT"],
        max_message_size=config["MAX_WEBSOCKET_MESSAGE_SIZE"],
    )
    websocket = app.websocket_class(scope, send, inbox)
    match_websocket(app, websocket)
    ctx = WebsocketContext(app, websocket)
    ctx.push()
    return websocket, inbox, ctx


def match_websocket(app: TrioQuart, websocket: Websocket) -> None:
    """Route the connection as a websocket, storing the rule or the routing failure."""
    adapter = app.router.bind(websocket.host, websocket.scheme, websocket.root_path)
    websocket.url_adapter = adapter
    try:
        websocket.url_rule, websocket.view_args = Router.match(
            adapter,
            websocket.path,
            "GET",
            websocket.query_string.decode("latin-1"),
            websocket=True,
        )
    except HTTPException as error:
        websocket.routing_exception = error


async def conclude(
    app: TrioQuart, websocket: Websocket, inbox: WebsocketInbox, rv: Any, error: Exception | None
) -> Exception | None:
    """End the connection after ``websocket.nursery``: its last word, unless nobody is left.

    ``rv`` and ``error`` are what the hooks and the handler returned or raised. Returns the
    error that ended the connection, if any (already logged or answered).
    """
    if inbox.connection_cancelled and websocket.nursery.cancel_scope.cancelled_caught:
        # The client left (or the framework closed the connection) while the handler ran:
        # nobody to answer. A client leaving once the handler is done changes nothing here.
        if error is not None and not isinstance(single_error(error), WebsocketClosedError):
            log.error(
                "Exception in websocket %s after it was cancelled", websocket.path, exc_info=error
            )
        return error
    try:
        await finish(app, websocket, rv, error)
    except Exception as caught:
        await fail(app, websocket, caught)
        return caught
    return error


async def finish(app: TrioQuart, websocket: Websocket, rv: Any, error: Exception | None) -> None:
    """Send the connection's last word for the handler's outcome."""
    if error is not None:
        await fail(app, websocket, error)
        return
    if websocket.state is WebsocketState.CONNECTING:
        if rv is None:
            log.error(
                "The websocket handler %r finished without accepting the connection or "
                "returning a response; the client gets a 500. Call websocket.accept(), "
                "send or receive to accept, or return a response to reject.",
                websocket.endpoint,
            )
            response = http_exception_response(InternalServerError())
        else:
            response = make_response_from(rv, websocket.endpoint or "<no view>")
        final = await after_websocket(app, websocket, response)
        await websocket.send_rejection(final if final is not None else response)
        return
    if rv is not None:
        log.error(
            "The websocket handler %r returned a value after accepting the connection; it is "
            "ignored (a response can only reject a connection that is not yet accepted)",
            websocket.endpoint,
        )
    await after_websocket(app, websocket, None)
    await websocket.close(CloseCode.NORMAL_CLOSURE)


async def fail(app: TrioQuart, websocket: Websocket, error: Exception) -> None:
    """Answer an error: a rejection response before accept, close 1011 after it."""
    if websocket.state is WebsocketState.CONNECTING:
        # Error handlers, HTTP exceptions (abort) and logged 500s, as for HTTP.
        await websocket.send_rejection(await handle_exception(app, error, websocket))
        return
    if websocket.state is not WebsocketState.ACCEPTED and isinstance(
        single_error(error), WebsocketClosedError
    ):
        # A task noticed that the connection had been closed: the end, not a bug.
        log.debug("Websocket %s: %s", websocket.path, single_error(error))
        return
    log.error(
        "Exception in websocket handler %r (%s); closing with %d",
        websocket.endpoint,
        websocket.path,
        CloseCode.INTERNAL_ERROR,
        exc_info=single_error(error),
    )
    await websocket.close(CloseCode.INTERNAL_ERROR)


async def after_websocket(
    app: TrioQuart, websocket: Websocket, response: Response | None
) -> Response | None:
    """Run the ``after_websocket`` hooks; each gets and returns the rejection response or None."""
    for hook in app._hooks_for("after_websocket", websocket.blueprint):
        result = await hook(response)
        if result is not None or response is None:
            response = result
    return response
