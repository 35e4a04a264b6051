"""Websocket: the ``websocket`` global, one connection seen from its handler.

This object sends; the client's messages come from the connection's inbox
(``asgi/websocket_inbox.py``), and the protocol state follows the table in ``websocket_state.py``,
changed *before* each ASGI message is awaited, so two tasks of the connection nursery cannot
both accept (or close).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import trio
from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest

from .. import json as json_module
from .. import signals
from ..signals import websocket_received, websocket_sent
from ..websocket_state import (
    CloseCode,
    WebsocketClosedError,
    WebsocketEvent,
    WebsocketState,
    is_sendable_close_code,
    next_state,
)
from .base import BaseRequestWebsocket
from .response import Response

if TYPE_CHECKING:
    from ..typing import ASGISendCallable, WebsocketScope

log = logging.getLogger("trioquart")

#: Seconds a close or a rejection may take to hand over to the server. They change the protocol
#: state before they are sent; if a cancellation cut the send short, the state would lie, so
#: they finish shielded, but never wait longer than this on a stuck peer.
_STATE_CHANGE_TIMEOUT = 5.0


def _spec_version(scope: WebsocketScope) -> tuple[int, ...]:
    raw = scope.get("asgi", {}).get("spec_version", "2.0")
    return tuple(int(part) for part in raw.split("."))


@dataclass(frozen=True)
class InboxStatistics:
    """What ``Websocket.statistics()`` reports."""

    #: ``"direct"`` while the handler reads the server itself, ``"reader"`` once a task does.
    reading: str
    #: Messages waiting in the reader's queue.
    queued_messages: int
    #: The queue's bound (``WEBSOCKET_MAX_QUEUE``).
    max_queue: int


class MessageSource(Protocol):
    """Where a connection's messages come from (the websocket driver's inbox)."""

    async def next_message(self) -> str | bytes:
        """The client's next message."""
        ...

    def close_receivers(self) -> None:
        """This side closed: waiting and future receivers get ``WebsocketClosedError``."""
        ...

    def statistics(self) -> InboxStatistics:
        """How the client is read, and how full the queue is."""
        ...


class Websocket(BaseRequestWebsocket):
    """One websocket connection, seen from its handler (the ``websocket`` global).

    Args:
        scope: the connection's ASGI scope.
        send: the ASGI ``send`` callable.
        inbox: where the client's messages come from (``asgi/websocket_inbox.py``).
    """

    #: The per-connection nursery: the handler runs in it; children are cancelled when the
    #: client leaves and awaited before the connection is finished.
    nursery: trio.Nursery

    def __init__(
        self,
        scope: WebsocketScope,
        send: ASGISendCallable,
        inbox: MessageSource,
    ) -> None:
        super().__init__(scope, "GET")
        self._send = send
        self._inbox = inbox
        self.state = WebsocketState.CONNECTING
        #: The subprotocols the client offered, in its order of preference.
        self.requested_subprotocols: list[str] = list(scope.get("subprotocols", ()))
        #: The subprotocol chosen at accept, if any.
        self.subprotocol: str | None = None
        #: The close code: the client's after a disconnect, or ours after ``close()``.
        self.close_code: int | None = None
        #: The close reason that goes with ``close_code``.
        self.close_reason: str = ""
        version = _spec_version(scope)
        self._accept_headers_supported = version >= (2, 1)
        self._close_reason_supported = version >= (2, 3)
        extensions = scope.get("extensions") or {}
        self._http_response_supported = "websocket.http.response" in extensions
        self._was_accepted = False
        # True while frames may flow: accepted, the accept handed over, not closed. The hot
        # path of send() and receive() checks only this flag.
        self._open = False
        # Exists while the accept message is being handed to the server: until it is set,
        # other tasks of the connection must not send frames, which would overtake the accept.
        self._accept_in_flight: trio.Event | None = None

    @property
    def accepted(self) -> bool:
        """Whether the connection was accepted (it may have closed since)."""
        return self._was_accepted

    async def accept(
        self,
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        subprotocol: str | None = None,
    ) -> None:
        """Accept the connection, optionally with extra headers and a chosen subprotocol.

        A second call is a no-op.

        Raises:
            ValueError: ``subprotocol`` is not one the client requested.
            WebsocketClosedError: the connection was already rejected or closed.
        """
        if self.state is WebsocketState.ACCEPTED:
            await self._wait_for_accept()
            return
        if self.state is not WebsocketState.CONNECTING:
            await trio.lowlevel.checkpoint()  # an async method checkpoints, even to fail
        state = next_state(self.state, WebsocketEvent.ACCEPT)
        if subprotocol is not None and subprotocol not in self.requested_subprotocols:
            raise ValueError(
                f"Cannot accept with subprotocol {subprotocol!r}: the client requested "
                f"{self.requested_subprotocols!r}"
            )
        message: dict[str, Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers and self._accept_headers_supported:
            items = headers.items() if isinstance(headers, Headers | Mapping) else headers
            message["headers"] = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in items
            ]
        elif headers:
            warnings.warn(
                "The server speaks ASGI websocket < 2.1, which has no accept headers: "
                "the headers given to accept() are not sent",
                RuntimeWarning,
                stacklevel=2,
            )
        self.state = state
        self._was_accepted = True
        self.subprotocol = subprotocol
        self._accept_in_flight = in_flight = trio.Event()
        try:
            # Shielded like the other state changes, but without their deadline: a deadline
            # leaves an entry in trio's deadline heap for seconds, and every open connection
            # would carry one. Handing a 101 response to the server does not wait on the peer.
            with trio.CancelScope(shield=True):
                await self._send(message)
            self._open = self.state is WebsocketState.ACCEPTED
        finally:
            in_flight.set()
            self._accept_in_flight = None

    async def receive(self) -> str | bytes:
        """The next message: ``str`` for a text frame, ``bytes`` for a binary one.

        Accepts the connection first if needed. If the client leaves, the connection's scope is
        cancelled, so this raises ``trio.Cancelled`` like any other wait in the handler.

        Raises:
            WebsocketClosedError: this side closed or rejected the connection.
        """
        if not self._open:
            await self._accept_if_needed()
        message = await self._inbox.next_message()
        if websocket_received.receivers and websocket_received.has_receivers_for(message):
            await signals.send(websocket_received, message)
        return message

    async def send(self, data: str | bytes | bytearray | memoryview) -> None:
        """Send ``str`` as a text frame, bytes-like data as a binary frame.

        Accepts the connection first if needed.

        Raises:
            TypeError: ``data`` is neither ``str`` nor bytes-like (nothing is sent).
            WebsocketClosedError: this side closed or rejected the connection.
        """
        if isinstance(data, str):
            message: dict[str, Any] = {"type": "websocket.send", "text": data}
        elif isinstance(data, bytes | bytearray | memoryview):
            message = {"type": "websocket.send", "bytes": bytes(data)}
        else:
            raise TypeError(
                f"websocket.send() takes str or bytes, not {type(data).__name__}; "
                "use send_json() for other values"
            )
        if not self._open:
            await self._accept_if_needed()
            if self.state is not WebsocketState.ACCEPTED:
                await trio.lowlevel.checkpoint()  # an async method checkpoints, even to fail
                raise WebsocketClosedError(f"Cannot send: the websocket is {self.state.value}")
        await self._send(message)
        if websocket_sent.receivers and websocket_sent.has_receivers_for(data):
            await signals.send(websocket_sent, data)

    async def receive_json(self) -> Any:
        """Receive a message and decode it as JSON with the app's provider
        (``app.json.loads``).

        Raises:
            werkzeug.exceptions.BadRequest: the message is not valid JSON (nested too deeply
                included); the handler may catch it and keep the connection open.
        """
        data = await self.receive()
        try:
            return json_module.loads(data)
        except ValueError as error:
            raise BadRequest(f"The websocket message is not valid JSON: {error}") from error

    async def send_json(self, *args: Any, **kwargs: Any) -> None:
        """Send the arguments as JSON in a text frame, encoded with the app's provider
        (``app.json.dumps``).

        As Quart's: one positional argument is sent as itself, several as a list, keyword
        arguments as an object (and nothing as ``{}``).

        Raises:
            TypeError: both positional and keyword arguments were given, or the value cannot
                be encoded (nothing is sent).
            WebsocketClosedError: this side closed or rejected the connection.
        """
        if args and kwargs:
            raise TypeError("send_json() takes positional arguments or keyword arguments, not both")
        await self.send(json_module.dumps(args[0] if len(args) == 1 else list(args) or kwargs))

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Close the connection with ``code`` and ``reason``.

        Before accept this rejects the handshake: the client gets an HTTP 403 response.
        A second call (or a call after the client left) is a no-op.

        Raises:
            ValueError: a close frame cannot carry ``code`` (it must be 1000-1003, 1007-1014
                or 3000-4999); nothing changes, the connection stays open.
        """
        if not is_sendable_close_code(code):
            await trio.lowlevel.checkpoint()  # an async method checkpoints, even to fail
            raise _close_code_error(code)
        if self.state is WebsocketState.CONNECTING:
            await self.send_rejection(Response(status=403))
        elif self.begin_close(code, reason):
            await self.send_close()
        else:
            await trio.lowlevel.checkpoint()

    def begin_close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> bool:
        """Mark an accepted connection closed *now*, with ``code`` and ``reason``; then
        :meth:`send_close` sends the frame. Not a checkpoint.

        For closing many connections side by side: every handler sees its close code at once,
        whenever the frames go out (``close()`` does both steps).

        Returns:
            Whether the connection was open (else nothing changed, and there is nothing to
            send).

        Raises:
            ValueError: a close frame cannot carry ``code`` (see :meth:`close`).
        """
        if not is_sendable_close_code(code):
            raise _close_code_error(code)
        if self.state is not WebsocketState.ACCEPTED:
            return False
        self.state = next_state(self.state, WebsocketEvent.CLOSE)
        self._open = False
        self.close_code = code
        self.close_reason = reason
        self._inbox.close_receivers()
        return True

    async def send_close(self) -> None:
        """Send the close frame that :meth:`begin_close` recorded. Shielded from
        cancellation, so the protocol state never lies, but bounded in time."""
        message: dict[str, Any] = {"type": "websocket.close", "code": self.close_code}
        if self.close_reason and self._close_reason_supported:
            message["reason"] = self.close_reason
        with trio.move_on_after(_STATE_CHANGE_TIMEOUT, shield=True):
            if self._accept_in_flight is not None:
                await self._accept_in_flight.wait()  # the close must not overtake the accept
            await self._send(message)

    async def send_rejection(self, response: Response) -> None:
        """Reject the handshake with ``response`` (status, headers and body).

        Uses the ``websocket.http.response`` extension when the server offers it; otherwise
        the server can only answer 403.

        Raises:
            WebsocketClosedError: the connection was already accepted, rejected or closed.
        """
        self.state = next_state(self.state, WebsocketEvent.REJECT)
        self._inbox.close_receivers()
        with trio.move_on_after(_STATE_CHANGE_TIMEOUT, shield=True):
            if not self._http_response_supported:
                await self._send({"type": "websocket.close", "code": CloseCode.NORMAL_CLOSURE})
                return
            headers = [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in response.headers.items()
            ]
            await self._send(
                {
                    "type": "websocket.http.response.start",
                    "status": response.status_code,
                    "headers": headers,
                }
            )
            async with aclosing(response.iter_body()) as chunks:
                async for chunk in chunks:
                    await self._send(
                        {"type": "websocket.http.response.body", "body": chunk, "more_body": True}
                    )
            await self._send(
                {"type": "websocket.http.response.body", "body": b"", "more_body": False}
            )

    def statistics(self) -> InboxStatistics:
        """How the client is read right now (``"direct"`` or ``"reader"``) and how full the
        queue of received messages is. Not a checkpoint."""
        return self._inbox.statistics()

    def disconnected(self, code: int, reason: str) -> None:
        """Record that the client left with ``code`` and ``reason`` (called by the inbox)."""
        self.state = next_state(self.state, WebsocketEvent.CLIENT_LEFT)
        if self.state is not WebsocketState.DISCONNECTED:
            return  # the client answering our own close or rejection
        self._open = False
        self.close_code = code
        self.close_reason = reason

    async def _accept_if_needed(self) -> None:
        if self.state is WebsocketState.CONNECTING:
            await self.accept()
        elif self.state is WebsocketState.ACCEPTED:
            await self._wait_for_accept()

    async def _wait_for_accept(self) -> None:
        # Another task may still be handing the accept to the server: frames must not
        # overtake it. The event exists only while an accept is in flight.
        if self._accept_in_flight is not None:
            await self._accept_in_flight.wait()
        else:
            await trio.lowlevel.checkpoint()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r} {self.state.value}>"


def _close_code_error(code: object) -> ValueError:
    # Refused before anything changes: clients treat a close frame with such a code as a
    # protocol error, and Hypercorn fails inside its send for one above 65535, after marking
    # the connection closed, so that the client is never told at all.
    return ValueError(
        f"Cannot close with code {code!r}: a close frame carries 1000-1003, 1007-1014 or "
        "3000-4999 (RFC 6455, section 7.4)"
    )
