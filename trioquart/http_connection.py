"""Drives one ASGI HTTP request: routing, context, dispatch, and sending the response.

The request runs inside its own cancel scope. Its ``receive`` is read through a
``RequestInbox``, and a disconnect cancels the scope wherever the handler waits: through the
app's ``DisconnectWatch`` once the request has run for a moment, or through a watcher task of
its own when that service is not running. This module does not own the pipeline
(``dispatch.py``) or the body (``wrappers/request.py``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio
from werkzeug.exceptions import HTTPException, InternalServerError

from .ctx import RequestContext
from .request_inbox import RequestInbox
from .return_values import http_exception_response
from .routing import Router

if TYPE_CHECKING:
    from .app import TrioQuart
    from .typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope
    from .wrappers.request import Request
    from .wrappers.response import Response

log = logging.getLogger("trioquart")


async def handle_http(
    app: TrioQuart, scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> None:
    """Serve one HTTP request. Returns early, without a response, if the client leaves."""
    with trio.CancelScope() as cancel_scope:
        inbox = RequestInbox(receive, cancel_scope)
        request = app.request_class(scope, inbox, app.config["MAX_CONTENT_LENGTH"])
        watch = app._disconnect_watch
        if watch.register(inbox):
            try:
                await serve_request(app, request, inbox, send)
            finally:
                watch.unregister(inbox)
        else:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(inbox.watch)
                await serve_request(app, request, inbox, send)
                nursery.cancel_scope.cancel(reason="handler finished")


def match_request(app: TrioQuart, request: Request) -> None:
    """Route ``request``, storing the rule and arguments, or the routing failure."""
    adapter = app.router.bind(request.host, request.scheme, request.root_path)
    request.url_adapter = adapter
    try:
        request.url_rule, request.view_args = Router.match(
            adapter,
            request.path,
            request.method,
            request.query_string.decode("latin-1"),
            websocket=False,
        )
    except HTTPException as error:
        request.routing_exception = error


async def serve_request(
    app: TrioQuart, request: Request, inbox: RequestInbox, send: ASGISendCallable
) -> None:
    """Route, dispatch in a request context, send the response, then tear down."""
    from .dispatch import full_dispatch_request

    ctx = RequestContext(app, request)
    ctx.push()
    error: BaseException | None = None
    try:
        match_request(app, request)
        response = await full_dispatch_request(app, request)
        await send_response(request, response, inbox, send)
    except BaseException as caught:
        error = caught
        raise
    finally:
        await ctx.pop(error)


def encode_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The response headers as ASGI byte pairs.

    Raises:
        ValueError: a header name or value cannot be encoded as latin-1 (HTTP's header charset).
    """
    raw = []
    for name, value in response.headers.items():
        try:
            raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        except UnicodeEncodeError as error:
            raise ValueError(
                f"The response header {name!r} cannot be sent: {value!r} is not latin-1; "
                "percent-encode it or use RFC 8187 encoding"
            ) from error
    return raw


async def send_response(
    request: Request, response: Response, inbox: RequestInbox, send: ASGISendCallable
) -> None:
    """Send ``response``: the start message, then the body (once, or chunk by chunk)."""
    try:
        headers = encode_headers(response)
    except ValueError:
        log.exception("Cannot send the response to %s %s", request.method, request.path)
        response = http_exception_response(InternalServerError())
        headers = encode_headers(response)
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
