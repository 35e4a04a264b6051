"""A server's ``OSError`` from ``send``: the client has gone, as a disconnect would say.

ASGI 2.4 lets a server raise an ``OSError`` subclass on a send to a connection the client has
left (trioquart's own server does; Hypercorn drops the message instead). The drivers turn it
into what a ``http.disconnect`` or ``websocket.disconnect`` would have done: the request's or
connection's scope is cancelled, so that the view or handler sees ``trio.Cancelled`` rather
than the server's exception, and nothing is logged as an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import trio

if TYPE_CHECKING:
    from ..typing import ASGISendCallable


def leaving_on_send_error(
    send: ASGISendCallable, client_left: Callable[[], None], *, only: str | None = None
) -> ASGISendCallable:
    """``send``, calling ``client_left`` when the server raises ``OSError`` (for messages of
    type ``only``, when given; the others' errors go to their callers), then letting the
    cancellation that follows reach the caller. Outside the cancelled scope, nothing is
    raised: there is nobody left to tell."""

    async def send_or_leave(message: Any) -> None:
        if only is not None and message["type"] != only:
            await send(message)
            return
        try:
            await send(message)
        except OSError:
            client_left()
            await trio.lowlevel.checkpoint()

    return send_or_leave
