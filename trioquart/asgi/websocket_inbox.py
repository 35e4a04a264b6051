"""WebsocketInbox: the one reader of a websocket connection's ASGI ``receive``.

The client may leave while the handler waits on anything (a send, a sleep, another
connection), and ASGI reports that only through ``receive``. Someone must therefore be reading
whenever the handler is busy elsewhere. Two modes do it:

- **Direct** (every connection starts here): a handler that calls ``websocket.receive()`` reads
  the ASGI ``receive`` itself, with no task in between and no queue, and sees a disconnect
  itself. The connection is registered with the ``DisconnectWatch`` service, and a handler
  that has not been receiving for a whole tick (``DISCONNECT_WATCH_DELAY``) gets a reader
  task: the connection switches to the reader mode for good. So does a connection where two
  tasks receive at once.
- **Reader**: a task (``watch``) reads all the time, queues the client's messages for
  ``websocket.receive()`` and turns ``websocket.disconnect`` into cancellation of the
  connection's scope.

The queue is bounded: when the handler does not keep up, the reader stops reading, so the
server stops reading the socket (backpressure). A queue that stays full for
``WEBSOCKET_QUEUE_TIMEOUT`` seconds means a handler that no longer reads, which would also never
notice the client leave; the connection is then closed with 1008 and its scope cancelled. A
message above ``MAX_WEBSOCKET_MESSAGE_SIZE`` closes the connection with 1009, in either mode.

When the client leaves with messages still queued, the handler gets them first: the scope is
cancelled once it has taken the last one, or after ``QUEUED_MESSAGES_GRACE`` seconds if it does
not come for them.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, NoReturn

import trio

from ..websocket_state import CloseCode, WebsocketClosedError, WebsocketState
from ..wrappers.websocket import InboxStatistics

if TYPE_CHECKING:
    from ..typing import ASGIReceiveCallable, ASGIReceiveEvent
    from ..wrappers.websocket import Websocket
    from .disconnect_watch import DisconnectWatch

log = logging.getLogger("trioquart")

#: Seconds without a message that end the drain of a connection that dropped (see
#: ``WebsocketInbox.drain_until_disconnect``).
DRAIN_QUIET_PERIOD = 0.2
#: Seconds a handler has to take the messages still queued when the client left, before the
#: connection's scope is cancelled all the same.
QUEUED_MESSAGES_GRACE = 1.0


class WebsocketInbox:
    """Delivers the client's messages to ``websocket.receive()`` and watches for its leaving.

    Args:
        receive: the ASGI ``receive`` callable of the connection.
        max_queue: how many messages the reader may queue.
        queue_timeout: how long (seconds) the queue may stay full.
        max_message_size: the largest message accepted, in bytes or characters.
    """

    __slots__ = (
        "_direct",
        "_drained",
        "_max_queue",
        "_queue_receive",
        "_queue_send",
        "_queue_timeout",
        "_reader_finished",
        "_receive",
        "_size_limit",
        "_slot_free",
        "client_gone",
        "closed",
        "connection_cancelled",
        "connection_scope",
        "dropped",
        "idle_ticks",
        "receiving",
        "watch_scope",
        "watch_service",
        "websocket",
    )

    def __init__(
        self,
        receive: ASGIReceiveCallable,
        *,
        max_queue: int,
        queue_timeout: float,
        max_message_size: int | None,
    ) -> None:
        self._receive = receive
        #: Cancelled when the client leaves or the framework closes (``websocket.nursery``'s).
        self.connection_scope: trio.CancelScope | None = None
        #: Whether ``cancel_connection`` ended the connection (so there is nobody to answer).
        self.connection_cancelled = False
        self._max_queue = max_queue
        self._queue_timeout = queue_timeout
        # Always a number, for the hot path's one comparison: no limit is the largest size.
        self._size_limit = sys.maxsize if max_message_size is None else max_message_size
        # Whether the handler may read the server directly: no reader queue, not closed.
        self._direct = True
        self._queue_send: trio.MemorySendChannel[str | bytes] | None = None
        self._queue_receive: trio.MemoryReceiveChannel[str | bytes] | None = None
        self._slot_free: trio.Event | None = None
        #: The connection these messages belong to (set by ``Websocket``).
        self.websocket: Websocket | None = None
        #: Whether a task is inside the ASGI ``receive`` right now.
        self.receiving = False
        #: Whether this side closed: receivers get ``WebsocketClosedError``.
        self.closed = False
        #: Whether the server reported the client gone (``websocket.disconnect``, or a
        #: ``receive`` that failed): nothing more will arrive.
        self.client_gone = False
        #: Whether the connection dropped without a close handshake (reported as 1006).
        self.dropped = False
        #: The service that hands out the reader task in direct mode, if any.
        self.watch_service: DisconnectWatch | None = None
        #: Watch service ticks since the last direct receive (see ``disconnect_watch.py``).
        self.idle_ticks = 0
        #: The scope of the reader task, once one is started.
        self.watch_scope: trio.CancelScope | None = None
        # Set when the reader task, once one is started, has returned.
        self._reader_finished: trio.Event | None = None
        # Set when the handler takes the last queued message, once the client has left.
        self._drained: trio.Event | None = None

    def use_reader(self) -> None:
        """Switch to the reader mode: messages go through the bounded queue from now on."""
        if self._queue_receive is None:
            self._direct = False
            self._queue_send, self._queue_receive = trio.open_memory_channel[str | bytes](
                self._max_queue
            )
            if self.closed:
                # A reader started after this side closed (it reads on until the client
                # leaves): nothing it reads may reach a receiver any more.
                self._queue_receive.close()

    async def next_message(self) -> str | bytes:
        """The client's next message, read directly or taken from the reader's queue.

        Raises:
            WebsocketClosedError: this side closed or rejected the connection.
        """
        while self._direct and not self.receiving:
            # The hot path of an echo loop: read directly, hand a normal message straight back
            # (the same steps as _receive_one, inline: one coroutine frame less per message).
            self.receiving = True
            try:
                message = await self._receive()
            finally:
                self.receiving = False
                if self._slot_free is not None:
                    self._wake_reader()
            self.idle_ticks = 0
            kind = message["type"]
            if kind == "websocket.receive":
                data = message.get("text")
                if data is None:
                    data = bytes(message.get("bytes") or b"")
                if len(data) <= self._size_limit:
                    return data
                return await self._end_of_direct_reading(message)
            if kind == "websocket.disconnect":
                return await self._end_of_direct_reading(message)
            # Not a message of the websocket protocol: skipped, as the reader task does. Read
            # again, directly unless a reader task took over meanwhile.
            _log_unexpected(kind)
        if self._queue_receive is None and not self.closed:
            # Two tasks receiving at once: a reader task takes over the socket for good.
            self.use_reader()
            # handle_websocket sets the service before anything can receive.
            if self.watch_service is not None:  # pragma: no branch
                self.watch_service.watch_now(self)
        if self._queue_receive is None:
            await trio.lowlevel.checkpoint()
            raise self._closed_error()
        try:
            data = await self._queue_receive.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise self._closed_error() from None
        if self._drained is not None and not self._queue_receive.statistics().current_buffer_used:
            self._drained.set()
        return data

    def read_to_the_end(self) -> None:
        """The server refused a message: the client left, or the server is closing. A reader
        task reads what it still delivers (queued for the handler) up to its disconnect,
        which cancels the connection. Not a checkpoint."""
        if self._queue_receive is None and not self.closed:
            self.use_reader()
            # handle_websocket sets the service before anything can send.
            if self.watch_service is not None:  # pragma: no branch
                self.watch_service.watch_now(self)

    def statistics(self) -> InboxStatistics:
        """How the client is read right now, and how full the reader's queue is."""
        queued = 0
        if self._queue_send is not None:
            queued = self._queue_send.statistics().current_buffer_used
        return InboxStatistics(
            reading="reader" if self._queue_receive is not None else "direct",
            queued_messages=queued,
            max_queue=self._max_queue,
        )

    def close_receivers(self) -> None:
        """This side closed: waiting and future receivers get ``WebsocketClosedError``."""
        self.closed = True
        self._direct = False
        if self._queue_receive is not None:
            self._queue_receive.close()

    async def watch(self) -> None:
        """The reader task: read until the client leaves (then cancel the connection).

        It may run in the watch service's nursery, shared by every connection, so an error
        here is logged and ends this connection only.
        """
        finished = self._reader_finished = trio.Event()
        try:
            await self._read_into_queue()
        except Exception:
            log.exception("Error while reading websocket %s; closing it", self._websocket().path)
            self.cancel_connection("reading the client failed")
        finally:
            finished.set()

    async def _read_into_queue(self) -> None:
        self.use_reader()
        assert self._queue_send is not None
        self.watch_scope = self.watch_scope or trio.CancelScope()
        with self.watch_scope, self._queue_send:
            while self.receiving:  # a direct receive is finishing: its message is its own
                self._slot_free = trio.Event()
                await self._slot_free.wait()
            while True:
                try:
                    message = await self._receive_one()
                except Exception:
                    # The server's receive failed: the connection is unusable, treat it as gone.
                    log.debug("receive() failed on websocket", exc_info=True)
                    self._client_left(CloseCode.ABNORMAL_CLOSURE, "")
                    return
                kind = message["type"]
                if kind == "websocket.receive":
                    if not await self._deliver(_payload(message)):
                        return
                elif kind == "websocket.disconnect":
                    await self._let_handler_take_queued()
                    self._client_left(
                        int(message.get("code", CloseCode.NO_STATUS)), message.get("reason") or ""
                    )
                    return
                else:
                    _log_unexpected(kind)

    async def _let_handler_take_queued(self) -> None:
        """The client left: wait (a little) for the handler to take what it sent before."""
        assert self._queue_send is not None
        if not self.closed and self._queue_send.statistics().current_buffer_used:
            self._drained = trio.Event()
            with trio.move_on_after(QUEUED_MESSAGES_GRACE):
                await self._drained.wait()

    async def _end_of_direct_reading(self, message: ASGIReceiveEvent) -> NoReturn:
        """A direct read got a disconnect or a message too big: end the connection."""
        if message["type"] == "websocket.receive" and self._too_big(_payload(message)):
            await self._close_by_framework(CloseCode.MESSAGE_TOO_BIG, "message too big")
        else:  # the only other message that ends direct reading: the client left
            self._client_left(
                int(message.get("code", CloseCode.NO_STATUS)), message.get("reason") or ""
            )
        # The connection's scope is cancelled now, unless this side had closed first.
        await trio.lowlevel.checkpoint()
        raise self._closed_error()

    async def _receive_one(self) -> ASGIReceiveEvent:
        # Only the reader task reads this way, so there is no reader to wake afterwards.
        self.receiving = True
        try:
            return await self._receive()
        finally:
            self.receiving = False

    async def drain_until_disconnect(self) -> None:
        """Read whatever the server still delivers, dropping it, until it reports the client
        gone; after a connection that dropped (1006), until nothing more comes for
        ``DRAIN_QUIET_PERIOD`` seconds. A checkpoint (unless there is nothing to wait for).

        Why: the server delivers ``websocket.disconnect`` in band, behind the client's
        messages, and Hypercorn waits while its queue for the app (10 events) is full. A
        connection that ended on this side (a close, a rejection, an error) while the client
        kept sending would otherwise keep its task, socket and queued messages for good. And
        when the connection drops, Hypercorn may report it from inside a send, *ahead* of
        messages its reader still holds; those follow the disconnect into the queue, and no
        event tells when the last one is in, hence the quiet period.

        A reader task that took the disconnect from the server just before its scope was
        cancelled still has it to hand over: the drain waits for that task first, else it
        would wait for a disconnect the server has already delivered (the soak found this).
        """
        if self._reader_finished is not None:
            await self._reader_finished.wait()
        while not self.client_gone:
            try:
                message = await self._receive()
            except Exception:
                log.debug("receive() failed while draining a websocket", exc_info=True)
                self.client_gone = True
                return
            if message["type"] == "websocket.disconnect":
                self.client_gone = True
                self.dropped = message.get("code") == CloseCode.ABNORMAL_CLOSURE
        while self.dropped:
            with trio.move_on_after(DRAIN_QUIET_PERIOD) as quiet:
                try:
                    message = await self._receive()
                except Exception:
                    return
            # A second disconnect: this server has nothing more to deliver (trioquart's own
            # server repeats it at once; Hypercorn would wait).
            if quiet.cancelled_caught or message["type"] == "websocket.disconnect":
                return

    def _wake_reader(self) -> None:
        """Let a reader task waiting for a direct receive to finish take over."""
        assert self._slot_free is not None
        self._slot_free.set()
        self._slot_free = None

    def _client_left(self, code: int, reason: str) -> None:
        self.client_gone = True
        self.dropped = code == CloseCode.ABNORMAL_CLOSURE
        websocket = self._websocket()
        websocket.disconnected(code, reason)
        # After our own close the handler is finishing: let it, undisturbed.
        if websocket.state is not WebsocketState.CLOSED:
            self.cancel_connection(reason="client disconnected")

    def _too_big(self, data: str | bytes) -> bool:
        if len(data) <= self._size_limit:
            return False
        log.warning(
            "Closing websocket %s: a message of %d exceeds MAX_WEBSOCKET_MESSAGE_SIZE (%d)",
            self._websocket().path,
            len(data),
            self._size_limit,
        )
        return True

    async def _deliver(self, data: str | bytes) -> bool:
        """Queue ``data``; ``False`` when the framework had to close the connection instead."""
        assert self._queue_send is not None
        if self._too_big(data):
            await self._close_by_framework(CloseCode.MESSAGE_TOO_BIG, "message too big")
            return False
        try:
            self._queue_send.send_nowait(data)
            return True
        except trio.WouldBlock:
            pass
        except trio.BrokenResourceError:
            return True  # this side closed; nothing will read this any more
        try:
            with trio.move_on_after(self._queue_timeout):
                await self._queue_send.send(data)
                return True
        except trio.BrokenResourceError:
            return True  # this side closed while the message waited: nothing will read it
        log.warning(
            "Closing websocket %s: the handler has not read a message for %ss "
            "(WEBSOCKET_QUEUE_TIMEOUT)",
            self._websocket().path,
            self._queue_timeout,
        )
        await self._close_by_framework(CloseCode.POLICY_VIOLATION, "not reading messages")
        return False

    async def _close_by_framework(self, code: int, reason: str) -> None:
        # Cancel first, so the handler's tasks see trio.Cancelled rather than a closed queue.
        # The caller is inside the cancelled scope too: close() shields its own send.
        self.cancel_connection(reason=f"closed by the framework with {code}")
        await self._websocket().close(code, reason)

    def cancel_connection(self, reason: str) -> None:
        """End the connection from outside its tasks: the client left, the framework closed it,
        or the server is shutting down. Every task of ``websocket.nursery`` is cancelled."""
        # Set before anything can read the client: the nursery opens before any receive.
        assert self.connection_scope is not None
        self.connection_cancelled = True
        self.connection_scope.cancel(reason=reason)

    def _closed_error(self) -> WebsocketClosedError:
        state = self.websocket.state.value if self.websocket is not None else "closed"
        return WebsocketClosedError(f"Cannot receive: the websocket is {state}")

    def _websocket(self) -> Websocket:
        assert self.websocket is not None, "Websocket() links itself to its inbox"
        return self.websocket


def _payload(message: ASGIReceiveEvent) -> str | bytes:
    """The text or bytes of a ``websocket.receive`` message; empty frames stay empty."""
    text = message.get("text")
    if text is not None:
        return str(text)
    return bytes(message.get("bytes") or b"")


def _log_unexpected(kind: object) -> None:
    """A server sent a message that is not part of the websocket protocol (ignored)."""
    log.debug("Ignoring an unexpected ASGI message %r on a websocket", kind)
