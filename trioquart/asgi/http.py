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

from ..ctx import RequestContext, app_context_teardown_wanted
from ..errors import collapse_cancelled
from ..return_values import http_exception_response
from .request_inbox import RequestInbox
from .send_errors import leaving_on_send_error

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
    send = leaving_on_send_error(send, inbox.client_left)
    config = app.config
    request = new_request(app, scope, inbox)
    app.match_request(request)
    ctx = RequestContext(app, request)
    ctx.push()
    error: BaseException | None = None
    timer: SendTimer | NoTimer = NO_TIMER
    try:
        with trio.CancelScope() as cancel_scope:
            inbox.attach(cancel_scope)
            watch.register(inbox)
            try:
                response = await app.full_dispatch_request(request)
                if response.is_streamed:
                    timeout = response.timeout
                    if timeout is ...:
                        timeout = config["RESPONSE_TIMEOUT"]
                    if timeout is not None:
                        timer = SendTimer(cancel_scope, timeout)
                await send_response(request, response, inbox, send, timer)
            except BaseException as caught:
                error = caught  # recorded here: the scope absorbs its own cancellation
                raise
            finally:
                watch.unregister(inbox)
        if cancel_scope.cancelled_caught and isinstance(timer, SendTimer) and timer.expired:
            log.warning(
                "Gave up on the response to %s %s: the client did not take it within "
                "RESPONSE_TIMEOUT (%s s)",
                request.method,
                request.path,
                timer.timeout,
            )
    finally:
        # Teardown hooks get a lone error (or the client's cancellation) as itself, not in
        # the group of a nursery the view opened.
        teardown_error = None if error is None else collapse_cancelled(error)
        await app.do_teardown_request(request, teardown_error)
        await request.close_uploads()  # their temporary files go now, not when collected
        if ctx.owns_app_context and app_context_teardown_wanted(app):
            await app.do_teardown_appcontext(teardown_error)
        ctx.pop()


def new_request(app: TrioQuart, scope: HTTPScope, inbox: RequestInbox) -> Request:
    """The ``app.request_class`` object of ``scope``, reading its body from ``inbox``, with
    the app's limits (``MAX_CONTENT_LENGTH``, ``BODY_TIMEOUT``, the form limits)."""
    config = app.config
    return app.request_class(
        scope,
        inbox,
        config["MAX_CONTENT_LENGTH"],
        config["BODY_TIMEOUT"],
        max_form_parts=config["MAX_FORM_PARTS"],
        max_form_memory_size=config["MAX_FORM_MEMORY_SIZE"],
    )


class SendTimer:
    """``RESPONSE_TIMEOUT`` for a streamed response: while a message is being sent, a
    deadline on the request's own scope, so that a client that stops reading loses it.

    The deadline is lifted while the stream waits for its next chunk, which is not the
    client's fault. A server that shields its writes (Hypercorn does) cannot be interrupted:
    an overrun then takes effect when the late send returns. A bytes body gets no timer: its
    two messages are handed over at once, and only the server can time out writing them.
    """

    __slots__ = ("overran", "scope", "timeout")

    def __init__(self, scope: trio.CancelScope, timeout: float) -> None:
        self.scope = scope
        self.timeout = timeout
        #: Whether a send returned after its deadline (the scope is cancelled then).
        self.overran = False

    def arm(self) -> None:
        """The client has ``timeout`` seconds from now to take what is sent next."""
        self.scope.deadline = trio.current_time() + self.timeout

    def disarm(self) -> None:
        """Lift the deadline, unless it has passed (then the cancellation must land)."""
        if trio.current_time() < self.scope.deadline:
            self.scope.deadline = math.inf
        else:
            self.overran = True

    @property
    def expired(self) -> bool:
        """Whether the scope ended because the deadline passed."""
        scope = self.scope
        return scope.cancelled_caught and (self.overran or scope.deadline <= trio.current_time())


class NoTimer:
    """The timer of a response without a ``RESPONSE_TIMEOUT``: no deadlines."""

    __slots__ = ()

    def arm(self) -> None:
        """Nothing to arm."""

    def disarm(self) -> None:
        """Nothing to lift."""


NO_TIMER = NoTimer()


async def send_response(
    request: Request,
    response: Response,
    inbox: RequestInbox,
    send: ASGISendCallable,
    timer: SendTimer | NoTimer = NO_TIMER,
) -> None:
    """Send ``response``: the start message, then the body, at once or chunk by chunk; a
    stream's sends within ``timer``'s deadline if there is one."""
    try:
        headers = response.asgi_headers()
    except ValueError:
        log.exception("Cannot send the response to %s %s", request.method, request.path)
        response = http_exception_response(InternalServerError())
        headers = response.asgi_headers()
    start = {"type": "http.response.start", "status": response.status_code, "headers": headers}
    body = response.body
    head = request.method == "HEAD"
    if isinstance(body, bytes) or head:
        # Two messages the server takes at once: only a server can time out its writes.
        await send(start)
        inbox.complete_response()
        content = body if isinstance(body, bytes) and not head else b""
        await send({"type": "http.response.body", "body": content, "more_body": False})
        if not isinstance(body, bytes):
            # A streamed body is never read for HEAD: close it, so that what it holds goes.
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()
        return
    await send_stream(request, response, inbox, send, start, timer)


async def send_stream(
    request: Request,
    response: Response,
    inbox: RequestInbox,
    send: ASGISendCallable,
    start: ASGISendEvent,
    timer: SendTimer | NoTimer,
) -> None:
    """Send a streamed response: ``start``, then each chunk as the body produces it."""
    timer.arm()
    await send(start)
    timer.disarm()
    try:
        # Closed on the way out however the stream ends (a client that left included), so
        # the body's own cleanup runs here, in the request, before the teardown hooks.
        async with aclosing(response.iter_body()) as chunks:
            async for chunk in chunks:
                if chunk:
                    timer.arm()
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    timer.disarm()
    except Exception:
        # The status line is gone already: all that is left is to log and end the stream
        # early, which the server shows the client as a truncated response.
        log.exception("Error while streaming the response to %s %s", request.method, request.path)
        return
    inbox.complete_response()
    timer.arm()
    await send({"type": "http.response.body", "body": b"", "more_body": False})
