"""Drives one ASGI HTTP request: routing, context, dispatch, and sending the response.

The request runs inside its own cancel scope. Its ``receive`` is read through a
``RequestInbox``, and a disconnect cancels the scope wherever the handler waits: through the
app's ``DisconnectWatch`` once the request has run for a moment, or through a watcher task of
its own when that service is not running. This module does not own the pipeline
(``dispatch.py``) or the body (``wrappers/request.py``).

Strategy: entering a trio cancel scope costs about 5 us, as much as the rest of a small
request. A request whose view cannot wait (no ``await`` in its code, no request hooks) and
whose answer is a complete body has nothing a disconnect could cancel, so it is answered
without entering one; the first thing that may wait (an error handler, a streamed body, any
other view) enters the scope first. A view that waits on nothing but the request body joins
them once a small body has been read ahead of it (see ``view_waits.py``): the reader of the
body sees a disconnect by itself, and a client that left meanwhile gets the scope, cancelled
from the start. Such a response's two ``send`` calls then run outside any scope; they can only
wait on the server's own flow control, which ends when the server sees the connection close
(the last ``send`` of a complete body is never cancelled by a disconnect on either path, see
``RequestInbox.complete_response``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio
from werkzeug.exceptions import HTTPException, InternalServerError

from .ctx import RequestContext
from .dispatch import full_dispatch_request, handle_exception, view_without_hooks
from .errors import single_error
from .request_inbox import READ_AHEAD_LIMIT, RequestInbox
from .return_values import http_exception_response, make_response_from
from .view_waits import Waits, reads_body_itself, view_waits

if TYPE_CHECKING:
    from .app import TrioQuart
    from .typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope
    from .wrappers.request import Request
    from .wrappers.response import Response

log = logging.getLogger("trioquart")


async def handle_http(
    app: TrioQuart,
    scope: HTTPScope,
    receive: ASGIReceiveCallable,
    send: ASGISendCallable,
    own_watcher: trio.Nursery | None = None,
) -> None:
    """Serve one HTTP request. Returns early, without a response, if the client leaves.

    A view that cannot wait (see ``view_waits.py``; one waiting only for the body, once a
    small body is all here) and has no request hooks is run before the request's cancel
    scope is entered; if its answer is complete, it is sent without one, since nothing is left
    that a disconnect could cancel. Everything else runs in the scope.

    ``own_watcher``: where this request's watcher task runs when the app's watch service does
    not (this function opens it and calls itself).
    """
    watch = app._disconnect_watch
    if own_watcher is None and not watch.running:
        # No watch service (the app is not served by a lifespan): the request gets a watcher
        # task of its own, in a nursery around it all; a lone error still comes out as itself.
        try:
            async with trio.open_nursery() as nursery:
                await handle_http(app, scope, receive, send, nursery)
                nursery.cancel_scope.cancel(reason="handler finished")
        except BaseExceptionGroup as group:
            lone = single_error(group)
            if lone is group:
                raise
            raise lone from None
        return
    inbox = RequestInbox(receive)
    request = app.request_class(scope, inbox, app.config["MAX_CONTENT_LENGTH"])
    ctx = RequestContext(app, request)
    ctx.push()
    response: Response | None = None
    view_error: Exception | None = None
    error: BaseException | None = None
    try:
        match_request(app, request)
        # Views are awaited from this frame, not through a dispatch function: every wake-up
        # of the handler and every send passes through each coroutine frame in between.
        view = view_without_hooks(app, request)
        waits = Waits.MAY if view is None else view_waits(view)
        if (
            waits is Waits.FOR_BODY
            and reads_body_itself(type(request))
            and (declared := body_to_read_ahead(request)) is not None
        ):
            await inbox.read_ahead(declared)
            if inbox.body_complete:
                waits = Waits.NEVER  # what the view awaits is all here
        if waits is Waits.NEVER:
            assert view is not None
            try:
                rv = await view(**(request.view_args or {}))
                response = make_response_from(rv, request.endpoint or "<no view>")
            except Exception as raised:
                view_error = raised  # for the error handlers, which may wait
            view = None
        if response is not None and isinstance(response.body, bytes):
            await send_response(request, response, inbox, send)
        else:
            with trio.CancelScope() as cancel_scope:
                inbox.attach(cancel_scope)
                if own_watcher is None:
                    watch.register(inbox)
                else:
                    own_watcher.start_soon(inbox.watch)
                try:
                    if view is not None:
                        try:
                            rv = await view(**(request.view_args or {}))
                            response = make_response_from(rv, request.endpoint or "<no view>")
                        except Exception as raised:
                            view_error = raised
                    if response is None or view_error is not None:
                        response = await finish_dispatch(app, request, view_error)
                    await send_response(request, response, inbox, send)
                except BaseException as caught:
                    error = caught  # recorded here: the scope absorbs its own cancellation
                    raise
                finally:
                    watch.unregister(inbox)
    except BaseException as caught:
        error = caught
        raise
    finally:
        if ctx.has_teardown_hooks:
            await ctx.pop(error)
        else:
            ctx.restore()  # no coroutine for hooks that are not there


def body_to_read_ahead(request: Request) -> int | None:
    """The declared body length, if small enough to read before the view asks for the body
    and within ``MAX_CONTENT_LENGTH`` (else the view's own read answers 413); else None."""
    declared = request.content_length
    if declared is None or declared > READ_AHEAD_LIMIT:
        return None
    limit = request.max_content_length
    return declared if limit is None or declared <= limit else None


def match_request(app: TrioQuart, request: Request) -> None:
    """Route ``request``, storing the rule and arguments, or the routing failure."""
    request._router = app.router
    try:
        request.url_rule, request.view_args = app.router.match_request(request)
    except HTTPException as error:
        request.routing_exception = error


async def finish_dispatch(
    app: TrioQuart, request: Request, view_error: Exception | None
) -> Response:
    """The response for ``view_error``, or for the whole pipeline with its hooks when the
    view has not run."""
    if view_error is not None:
        return await handle_exception(app, view_error, request)
    return await full_dispatch_request(app, request)


async def send_response(
    request: Request, response: Response, inbox: RequestInbox, send: ASGISendCallable
) -> None:
    """Send ``response``: the start message, then the body (once, or chunk by chunk)."""
    try:
        headers = response.asgi_headers()
    except ValueError:
        log.exception("Cannot send the response to %s %s", request.method, request.path)
        response = http_exception_response(InternalServerError())
        headers = response.asgi_headers()
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    if request.method == "HEAD":
        inbox.complete_response()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    body = response.body
    if isinstance(body, bytes):
        inbox.complete_response()
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    try:
        async for chunk in response.iter_body():
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except Exception:
        # The status line is gone already: all that is left is to log and end the stream
        # early, which the server shows the client as a truncated response.
        log.exception("Error while streaming the response to %s %s", request.method, request.path)
        return
    inbox.complete_response()
    await send({"type": "http.response.body", "body": b"", "more_body": False})
