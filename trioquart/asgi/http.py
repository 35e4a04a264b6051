"""Drives one ASGI HTTP request: context, the pipeline, sending the response, teardown.

The request runs inside its own cancel scope: hooks, view, error handlers and the response,
streamed or not. Its ``receive`` is read through a ``RequestInbox``; the body reader sees a
disconnect itself, and the ``DisconnectWatch`` service gives a request that runs for a while a
watcher task that reads for it, so a disconnect cancels the scope wherever the handler waits.
This module does not own the pipeline's steps (``pipeline.py``) or the body
(``wrappers/request.py``).
"""

from __future__ import annotations

import logging
import math
from contextlib import aclosing
from typing import TYPE_CHECKING

import trio
from werkzeug.exceptions import InternalServerError

from ..ctx import RequestContext
from ..errors import collapse_cancelled
from ..return_values import http_exception_response
from .request_inbox import RequestInbox

if TYPE_CHECKING:
    from ..app import TrioQuart
    from ..typing import ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, HTTPScope
    from ..wrappers.request import Request
    from ..wrappers.response import Response
    from .disconnect_watch import DisconnectWatch

log = logging.getLogger("trioquart")


async def handle_http(
    app: TrioQuart,
    scope: HTTPScope,
    receive: ASGIReceiveCallable,
    send: ASGISendCallable,
    watch: DisconnectWatch,
) -> None:
    """Serve one HTTP request. Returns early, without a response, if the client leaves."""
    inbox = RequestInbox(receive)
    config = app.config
    request = app.request_class(
        scope,
        inbox,
        config["MAX_CONTENT_LENGTH"],
        config["BODY_TIMEOUT"],
        max_form_parts=config["MAX_FORM_PARTS"],
        max_form_memory_size=config["MAX_FORM_MEMORY_SIZE"],
    )
    app.match_request(request)
    ctx = RequestContext(app, request)
    ctx.push()
    error: BaseException | None = None
    timeout: float | None = None
    sender: ASGISendCallable = send
    try:
        with trio.CancelScope() as cancel_scope:
            inbox.attach(cancel_scope)
            watch.register(inbox)
            try:
                response = await app.full_dispatch_request(request)
                own_timeout = response.timeout
                timeout = config["RESPONSE_TIMEOUT"] if own_timeout is ... else own_timeout
                sender = send if timeout is None else TimedSend(send, cancel_scope, timeout)
                await send_response(request, response, inbox, sender)
            except BaseException as caught:
                error = caught  # recorded here: the scope absorbs its own cancellation
                raise
            finally:
                watch.unregister(inbox)
        if isinstance(sender, TimedSend) and sender.expired:
            log.warning(
                "Gave up on the response to %s %s: the client did not take it within "
                "RESPONSE_TIMEOUT (%s s)",
                request.method,
                request.path,
                timeout,
            )
    finally:
        # Teardown hooks get a lone error (or the client's cancellation) as itself, not in
        # the group of a nursery the view opened.
        await app.do_teardown_request(request, None if error is None else collapse_cancelled(error))
        await request.close_uploads()  # their temporary files go now, not when collected
        ctx.pop()


class TimedSend:
    """An ASGI ``send`` that the client must complete within ``timeout`` seconds each time,
    else the request's scope is cancelled (``RESPONSE_TIMEOUT``).

    Only the sends are timed, by a deadline on the request's own scope set for each one:
    a stream waiting for its next chunk is not the client's fault. A server that shields
    its writes (Hypercorn does) cannot be interrupted: the response is then abandoned when
    the late send returns.
    """

    __slots__ = ("_scope", "_send", "_timeout", "expired")

    def __init__(self, send: ASGISendCallable, scope: trio.CancelScope, timeout: float) -> None:
        self._send = send
        self._scope = scope
        self._timeout = timeout
        #: Whether a send overran the timeout (the request's scope is then cancelled).
        self.expired = False

    async def __call__(self, message: ASGISendEvent) -> None:
        deadline = trio.current_time() + self._timeout
        self._scope.deadline = deadline
        try:
            await self._send(message)
        finally:
            if trio.current_time() >= deadline:
                self.expired = True  # the deadline stays, so the cancellation lands
            else:
                self._scope.deadline = math.inf


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
        # A streamed body is never read for HEAD: close it, so that what it holds is let go.
        aclose = getattr(response.body, "aclose", None)
        if aclose is not None:
            await aclose()
        return
    body = response.body
    if isinstance(body, bytes):
        inbox.complete_response()
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    try:
        # Closed on the way out however the stream ends (a client that left included), so
        # the body's own cleanup runs here, in the request, before the teardown hooks.
        async with aclosing(response.iter_body()) as chunks:
            async for chunk in chunks:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except Exception:
        # The status line is gone already: all that is left is to log and end the stream
        # early, which the server shows the client as a truncated response.
        log.exception("Error while streaming the response to %s %s", request.method, request.path)
        return
    inbox.complete_response()
    await send({"type": "http.response.body", "body": b"", "more_body": False})
