"""WebsocketInbox: the one reader of a websocket connection's ASGI ``receive``.

Why a task: the client may leave while the handler waits on anything (a send, a sleep, another
connection), and ASGI reports that only through ``receive``. So one task per connection reads
all the time, queues the client's messages for ``websocket.receive()``, and turns
``websocket.disconnect`` into cancellation of the connection's scope. A websocket lives long
enough that this task is cheap; HTTP requests avoid it (see ``disconnect_watch.py``).

The queue is bounded: when the handler does not keep up, this task stops reading, so the
server stops reading the socket (backpressure). A queue that stays full for
``WEBSOCKET_QUEUE_TIMEOUT`` seconds means a handler that no longer reads, which would also never
notice the client leave; the connection is then closed with 1008 and its scope cancelled.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import TYPE_CHECKING

import trio

from .wrappers.websocket import WebsocketState

if TYPE_CHECKING:
    from .typing import ASGIReceiveCallable, ASGIReceiveEvent
    from .wrappers.websocket import Websocket

log = logging.getLogger("trioquart")

#: Close codes the framework sends by itself (RFC 6455, section 7.4.1).
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009


class WebsocketInbox:
    """Reads the client's messages into a bounded queue and watches for the client leaving.

    Args:
        receive: the ASGI ``receive`` callable of the connection.
        connection_scope: cancelled when the client leaves (or the framework closes).
        queue: the sending side of the queue ``websocket.receive()`` reads.
        queue_timeout: how long (seconds) the queue may stay full.
        max_message_size: the largest message accepted, in bytes or characters.
    """

    def __init__(
        self,
        receive: ASGIReceiveCallable,
        connection_scope: trio.CancelScope,
        queue: trio.MemorySendChannel[str | bytes],
        *,
        queue_timeout: float,
        max_message_size: int | None,
    ) -> None:
        self._receive = receive
        self._connection_scope = connection_scope
        self._queue = queue
        self._queue_timeout = queue_timeout
        self._max_message_size = max_message_size

    async def run(self, websocket: Websocket) -> None:
        """Read until the client leaves (then cancel the connection) or until cancelled."""
        with self._queue:
            while True:
                message = await self._receive()
                kind = message["type"]
                if kind == "websocket.receive":
                    if not await self._deliver(websocket, _payload(message)):
                        return
                elif kind == "websocket.disconnect":
                    websocket.disconnected(
                        int(message.get("code", 1005)), message.get("reason") or ""
                    )
                    # After our own close the handler is finishing: let it, undisturbed.
                    if websocket.state is not WebsocketState.CLOSED:
                        self._connection_scope.cancel(reason="client disconnected")
                    return

    async def _deliver(self, websocket: Websocket, data: str | bytes) -> bool:
        """Queue ``data``; ``False`` when the framework had to close the connection instead."""
        if self._max_message_size is not None and len(data) > self._max_message_size:
            log.warning(
                "Closing websocket %s: a message of %d exceeds MAX_WEBSOCKET_MESSAGE_SIZE (%d)",
                websocket.path,
                len(data),
                self._max_message_size,
            )
            await self._close_by_framework(websocket, MESSAGE_TOO_BIG, "message too big")
            return False
        try:
            self._queue.send_nowait(data)
            return True
        except trio.WouldBlock:
            pass
        except trio.BrokenResourceError:
            return True  # the handler closed its side; nothing will read this any more
        with trio.move_on_after(self._queue_timeout), suppress(trio.BrokenResourceError):
            await self._queue.send(data)
            return True
        log.warning(
            "Closing websocket %s: the handler has not read a message for %ss "
            "(WEBSOCKET_QUEUE_TIMEOUT)",
            websocket.path,
            self._queue_timeout,
        )
        await self._close_by_framework(websocket, POLICY_VIOLATION, "not reading messages")
        return False

    async def _close_by_framework(self, websocket: Websocket, code: int, reason: str) -> None:
        # Cancel first, so the handler's tasks see trio.Cancelled rather than a closed queue.
        # This task is inside the cancelled scope too: close() shields its own send.
        self._connection_scope.cancel(reason=f"closed by the framework with {code}")
        await websocket.close(code, reason)


def _payload(message: ASGIReceiveEvent) -> str | bytes:
    """The text or bytes of a ``websocket.receive`` message; empty frames stay empty."""
    text = message.get("text")
    if text is not None:
        return str(text)
    return bytes(message.get("bytes") or b"")
