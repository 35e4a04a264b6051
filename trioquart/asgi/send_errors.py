"""A server's ``OSError`` from ``send``: the client has gone (or the server is closing).

ASGI 2.4 lets a server raise an ``OSError`` subclass on a send to a connection the client has
left (trioquart's own server does; Hypercorn drops the message instead).

- For HTTP, the request's scope is cancelled, as a ``http.disconnect`` would do: the view sees
  ``trio.Cancelled`` rather than the server's exception, and nothing is logged as an error.
- For a ``websocket.send``, the message is dropped, as on Hypercorn, and a reader task reads
  what the server still delivers: the messages the client sent before (the handler gets them),
  then the ``websocket.disconnect``, which cancels the connection. Cancelling at the failed
  send instead would drop those messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import trio

if TYPE_CHECKING:
    from ..typing import ASGISendCallable
    from .websocket_inbox import WebsocketInbox


def leaving_on_send_error(
    send: ASGISendCallable, client_left: Callable[[], None]
) -> ASGISendCallable:
    """``send``, calling ``client_left`` when the server raises ``OSError``, then letting the
    cancellation that follows reach the caller. Outside the cancelled scope, nothing is
    raised: there is nobody left to tell."""

    async def send_or_leave(message: Any) -> None:
        try:
            await send(message)
        except OSError:
            client_left()
            await trio.lowlevel.checkpoint()

    return send_or_leave


def dropping_refused_messages(send: ASGISendCallable, inbox: WebsocketInbox) -> ASGISendCallable:
    """``send``, dropping a ``websocket.send`` the server refuses with ``OSError`` and having
    the rest of what the client sent read for the handler (``inbox.read_to_the_end``). The
    other messages' errors go to their callers."""

    async def send_or_drop(message: Any) -> None:
        try:
            await send(message)
        except OSError:
            if message["type"] != "websocket.send":
                raise
            inbox.read_to_the_end()
            # A loop that only sends must still let the reader run (and the others).
            await trio.lowlevel.checkpoint()

    return send_or_drop
