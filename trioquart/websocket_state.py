"""The protocol state of one websocket connection: a table of the allowed transitions.

No I/O and no trio here: ``wrappers/websocket.py`` asks this table before it sends anything, and
changes the state *before* it awaits the ASGI message, so two tasks of one connection cannot
both accept, or both close.

::

    CONNECTING ──ACCEPT (accept(), first send or receive)──▶ ACCEPTED ──CLOSE (close())──▶ CLOSED
        │                                                     │
        ├──REJECT (a response, or close() before accept)──▶ REJECTED
        │                                                     │
        └──CLIENT_LEFT──▶ DISCONNECTED ◀──────CLIENT_LEFT─────┘

A client leaving after this side closed or rejected is the expected end of the exchange, not a
transition: the state stays CLOSED or REJECTED (and a repeated report of the client leaving
leaves DISCONNECTED as it is).
"""

from __future__ import annotations

import enum


class CloseCode(enum.IntEnum):
    """The close codes trioquart uses (RFC 6455, section 7.4.1)."""

    #: The handler and its children finished.
    NORMAL_CLOSURE = 1000
    #: The server is shutting down.
    GOING_AWAY = 1001
    #: The client's close frame had no code (reported, never sent).
    NO_STATUS = 1005
    #: The connection dropped without a close frame (reported, never sent).
    ABNORMAL_CLOSURE = 1006
    #: The handler left the incoming queue full for ``WEBSOCKET_QUEUE_TIMEOUT`` seconds.
    POLICY_VIOLATION = 1008
    #: A message above ``MAX_WEBSOCKET_MESSAGE_SIZE``.
    MESSAGE_TOO_BIG = 1009
    #: An unhandled error after accept (Quart sends 1000 here; this says what happened).
    INTERNAL_ERROR = 1011


def is_sendable_close_code(code: object) -> bool:
    """Whether a close frame may carry ``code`` (RFC 6455, section 7.4): 1000-1003 and
    1007-1014 (defined by the RFC and the IANA registry), 3000-4999 (libraries, frameworks
    and applications). 1004-1006 and 1015 are reserved or only ever reported, never sent;
    anything else is refused by clients as a protocol error."""
    if not isinstance(code, int) or isinstance(code, bool):
        return False
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


class WebsocketState(enum.Enum):
    """Where a connection is in its lifecycle."""

    CONNECTING = "connecting"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CLOSED = "closed"
    DISCONNECTED = "disconnected"


class WebsocketEvent(enum.Enum):
    """What can happen to a connection."""

    ACCEPT = "accept"
    REJECT = "reject"
    CLOSE = "close"
    CLIENT_LEFT = "client left"


class WebsocketClosedError(RuntimeError):
    """Sending or receiving on a connection that this side has already closed or rejected."""


_TRANSITIONS: dict[tuple[WebsocketState, WebsocketEvent], WebsocketState] = {
    (WebsocketState.CONNECTING, WebsocketEvent.ACCEPT): WebsocketState.ACCEPTED,
    (WebsocketState.CONNECTING, WebsocketEvent.REJECT): WebsocketState.REJECTED,
    (WebsocketState.CONNECTING, WebsocketEvent.CLIENT_LEFT): WebsocketState.DISCONNECTED,
    (WebsocketState.ACCEPTED, WebsocketEvent.CLOSE): WebsocketState.CLOSED,
    (WebsocketState.ACCEPTED, WebsocketEvent.CLIENT_LEFT): WebsocketState.DISCONNECTED,
    (WebsocketState.DISCONNECTED, WebsocketEvent.CLIENT_LEFT): WebsocketState.DISCONNECTED,
    (WebsocketState.CLOSED, WebsocketEvent.CLIENT_LEFT): WebsocketState.CLOSED,
    (WebsocketState.REJECTED, WebsocketEvent.CLIENT_LEFT): WebsocketState.REJECTED,
}


def next_state(state: WebsocketState, event: WebsocketEvent) -> WebsocketState:
    """The state after ``event`` happens in ``state``.

    Raises:
        WebsocketClosedError: the event is not allowed in that state (for example accepting a
            connection that is already closed).
    """
    try:
        return _TRANSITIONS[state, event]
    except KeyError:
        raise WebsocketClosedError(
            f"Cannot {event.value}: the websocket is {state.value}"
        ) from None
