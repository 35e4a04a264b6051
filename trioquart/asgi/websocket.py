"""Drives one ASGI websocket connection: routing, the connection nursery, hooks, and the end.

Structure of one connection (outermost first)::

    websocket context (current_app, g, websocket; teardown_websocket on the way out)
    └─ websocket.nursery      before_websocket hooks, the handler, its children; its cancel
                              scope is the connection's, cancelled when the client leaves

The client is read by the handler itself while it receives, and by a reader task that the
disconnect watch service starts when the handler is busy elsewhere (``websocket_inbox.py``).

When ``websocket.nursery`` is done, the outcome decides the last message: a rejection response
before accept, close 1000 after a clean finish, close 1011 after an error. This module does not
own the message protocol (``wrappers/websocket.py``) or reading (``websocket_inbox.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import trio
from werkzeug.exceptions import HTTPException, InternalServerError

from ..ctx import WebsocketContext, app_context_teardown_wanted
from ..errors import collapse_cancelled, single_error
from ..return_values import http_exception_response
from ..websocket_state import CloseCode, WebsocketClosedError, WebsocketState
from .send_errors import dropping_refused_messages
from .websocket_inbox import WebsocketInbox

if TYPE_CHECKING:
    from ..app import TrioQuart
    from ..typing import ASGIReceiveCallable, ASGISendCallable, WebsocketScope
    from ..wrappers.websocket import Websocket
    from .disconnect_watch import DisconnectWatch

log = logging.getLogger("trioquart")


async def handle_websocket(
    app: TrioQuart,
    scope: WebsocketScope,
    receive: ASGIReceiveCallable,
    send: ASGISendCallable,
    watch: DisconnectWatch,
) -> None:
    """Serve one websocket connection until the handler, its children and the close are done.

    The hooks and the handler run in ``websocket.nursery``, whose own cancel scope is the
    connection's: a disconnect (or a framework close, or the server shutting down) cancels
    it. The handler reads the client directly while it receives; the watch service hands
    out a reader task when it is busy elsewhere (``websocket_inbox.py``).
    """
    first = await receive()
    if first["type"] != "websocket.connect":
        return  # the client left during the handshake
    config = app.config
    inbox = WebsocketInbox(
        receive,
        max_queue=config["WEBSOCKET_MAX_QUEUE"],
        queue_timeout=config["WEBSOCKET_QUEUE_TIMEOUT"],
        max_message_size=config["MAX_WEBSOCKET_MESSAGE_SIZE"],
    )
    # A message the server refuses (the client has gone, or the server is closing) is dropped,
    # as Hypercorn drops it: what the client sent before still reaches the handler, then the
    # disconnect ends the connection. The accept, a rejection and the close handle their own
    # failures.
    send = dropping_refused_messages(send, inbox)
    websocket = app.websocket_class(scope, send, inbox)
    inbox.websocket = websocket
    app.match_request(websocket)
    ctx = WebsocketContext(app, websocket)
    ctx.push()  # before any nursery opens, so that every task of the connection inherits it
    rv: Any = None
    error: Exception | None = None
    outcome: Exception | None = None
    propagated: Exception | None = None
    try:
        try:
            async with trio.open_nursery() as nursery:
                websocket.nursery = nursery
                inbox.connection_scope = nursery.cancel_scope
                inbox.watch_service = watch
                app.connected_websockets.add(websocket, inbox)
                watch.register(inbox)
                rv = await app.full_dispatch_websocket(websocket)
        except Exception as caught:
            error = caught
        finally:
            watch.unregister(inbox)
        try:
            outcome = await conclude(app, websocket, inbox, rv, error)
        except Exception as unhandled:  # PROPAGATE_EXCEPTIONS: raised once the end is done
            outcome = propagated = unhandled
    finally:
        app.connected_websockets.discard(websocket)
        # Teardown hooks get a lone error as itself, not wrapped in a group.
        teardown_error = collapse_cancelled(outcome) if outcome is not None else None
        await app.do_teardown_websocket(websocket, teardown_error)
        if ctx.owns_app_context and app_context_teardown_wanted(app):
            await app.do_teardown_appcontext(teardown_error)
        ctx.pop()
    # However the connection ended here, the server must be read until it reports the client
    # gone, or it may wait forever to deliver that (see WebsocketInbox.drain_until_disconnect).
    # Not for a handshake left unanswered (cancelled at shutdown): the server answers it, and
    # reports the end, only once the app has returned.
    if websocket.state is not WebsocketState.CONNECTING:
        await inbox.drain_until_disconnect()
    if propagated is not None:
        raise propagated


class ConnectedWebsockets:
    """The open websocket connections of an app, for closing them all at shutdown."""

    def __init__(self) -> None:
        self._open: dict[Websocket, WebsocketInbox] = {}

    def add(self, websocket: Websocket, inbox: WebsocketInbox) -> None:
        """Track ``websocket`` (read through ``inbox``) until :meth:`discard`."""
        self._open[websocket] = inbox

    def discard(self, websocket: Websocket) -> None:
        """Stop tracking ``websocket``, if it was tracked."""
        self._open.pop(websocket, None)

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Websocket]:
        return iter(list(self._open))

    async def close_all(self, code: int, reason: str = "") -> None:
        """Close every open connection with ``code`` and cancel its handler.

        The closes run side by side, so stuck peers cost one close timeout in all, not one
        each. Connections opened meanwhile (the server still accepts until it is told to
        stop) are closed in a further pass, a few passes at most.
        """
        for _ in range(3):
            pending = [
                (websocket, inbox)
                for websocket, inbox in self._open.items()
                if not inbox.connection_cancelled
            ]
            if not pending:
                return
            async with trio.open_nursery() as nursery:
                for websocket, inbox in pending:
                    # The close code is recorded before the cancellation, so cleanup code sees
                    # it, and the cancellation comes before any frame is sent, so the
                    # handler's tasks see trio.Cancelled rather than a closed queue. A
                    # connection not accepted yet (or closed already) is only cancelled.
                    open_until_now = websocket.begin_close(code, reason)
                    inbox.cancel_connection("server shutting down")
                    if open_until_now:
                        nursery.start_soon(_send_close_quietly, websocket)


async def _send_close_quietly(websocket: Websocket) -> None:
    try:
        await websocket.send_close()
    except Exception:
        log.debug("Could not send the close to %r", websocket, exc_info=True)


async def conclude(
    app: TrioQuart, websocket: Websocket, inbox: WebsocketInbox, rv: Any, error: Exception | None
) -> Exception | None:
    """End the connection after ``websocket.nursery``: its last word, unless nobody is left.

    ``rv`` and ``error`` are what the hooks and the handler returned or raised. Returns the
    error that ended the connection, if any (already logged or answered).

    Raises:
        Exception: that error, when the app propagates unhandled errors
            (``PROPAGATE_EXCEPTIONS``, ``TESTING``); the client was answered first.
    """
    if inbox.connection_cancelled and websocket.nursery.cancel_scope.cancelled_caught:
        # The client left (or the framework closed the connection) while the handler ran:
        # nobody to answer. A client leaving once the handler is done changes nothing here.
        if error is not None and not isinstance(single_error(error), WebsocketClosedError):
            log.error(
                "Exception in websocket %s after it was cancelled", websocket.path, exc_info=error
            )
        return error
    if error is None:
        try:
            await finish(app, websocket, rv)
            return None
        except Exception as caught:
            error = caught
    await fail(app, websocket, error)
    return error


async def finish(app: TrioQuart, websocket: Websocket, rv: Any) -> None:
    """Send the connection's last word after a handler that did not fail."""
    if websocket.state in (WebsocketState.DISCONNECTED, WebsocketState.REJECTED):
        # The client left during the handshake (or the framework refused the connection
        # already) just as the handler finished: nobody is left to answer, and no
        # after_websocket hook runs.
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
            response = await app.make_response(rv)
        final = await app.postprocess_websocket(websocket, response)
        await websocket.send_rejection(final if final is not None else response)
        return
    if rv is not None:
        log.error(
            "The websocket handler %r returned a value after accepting the connection; it is "
            "ignored (a response can only reject a connection that is not yet accepted)",
            websocket.endpoint,
        )
    await app.postprocess_websocket(websocket, None)
    await websocket.close(CloseCode.NORMAL_CLOSURE)


async def fail(app: TrioQuart, websocket: Websocket, error: Exception) -> None:
    """Answer an error: a rejection response before accept, close 1011 after it.

    Raises:
        Exception: ``error``, after the close, when the app propagates unhandled errors.
    """
    ending = single_error(error)
    if websocket.state in (WebsocketState.DISCONNECTED, WebsocketState.REJECTED):
        # The client left during the handshake (or the framework refused the connection
        # already) just as the handler failed, with no checkpoint for the cancellation to
        # land on: nobody is left to answer.
        if not isinstance(ending, WebsocketClosedError):
            log.error("Exception in websocket %s after it ended", websocket.path, exc_info=error)
        return
    if websocket.state is WebsocketState.CONNECTING:
        # Error handlers, HTTP exceptions (abort) and logged 500s, as for HTTP.
        await websocket.send_rejection(await app.handle_exception(error, websocket))
        return
    if websocket.state is not WebsocketState.ACCEPTED and isinstance(ending, WebsocketClosedError):
        # A task noticed that the connection had been closed: the end, not a bug.
        log.debug("Websocket %s: %s", websocket.path, ending)
        return
    log.error(
        "Exception in websocket handler %r (%s); closing with %d",
        websocket.endpoint,
        websocket.path,
        CloseCode.INTERNAL_ERROR,
        exc_info=ending,
    )
    await websocket.close(CloseCode.INTERNAL_ERROR)
    if not isinstance(ending, HTTPException):
        await app.report_unhandled_exception(error, websocket, logged=True)
