"""RequestInbox: the one reader of an HTTP request's ASGI ``receive``.

Strategy: a request's ``receive`` carries both the body (``http.request``) and the news that the
client left (``http.disconnect``), in order. Two parties want to read it: the handler, when it
reads the body, and a watcher task that turns a disconnect into cancellation of the request's
cancel scope. Both go through this inbox, so no message is lost to the wrong reader:

- whoever calls ``receive`` records what arrived here (body chunks are queued for the handler);
- only one task is inside ``receive`` at a time; another reader waits for the news instead;
- the watcher stops reading ahead once ``READ_AHEAD_LIMIT`` bytes of body wait unread, so a
  watcher never buffers an upload the handler did not ask for.

The inbox is I/O-driven but owns no task: the watcher runs ``watch`` in a nursery chosen by
the caller (see ``disconnect_watch.py``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

import trio

from ..typing import ASGIReceiveCallable

log = logging.getLogger("trioquart")

#: The most body bytes a watcher reads before the handler asks for them.
READ_AHEAD_LIMIT = 64 * 1024


class ClientDisconnectedError(Exception):
    """The client went away before the request body was complete."""


class RequestInbox:
    """Reads one request's ASGI messages for the body reader and the disconnect watcher.

    Args:
        receive: the ASGI ``receive`` callable of the request.
        cancel_scope: the request's scope, cancelled when the client disconnects; it may be
            set later with :meth:`attach`.
    """

    __slots__ = (
        "_buffered",
        "_chunks",
        "_news",
        "_receive",
        "body_complete",
        "cancel_scope",
        "disconnected",
        "idle_ticks",
        "receiving",
        "response_complete",
        "watch_scope",
    )

    def __init__(
        self, receive: ASGIReceiveCallable, cancel_scope: trio.CancelScope | None = None
    ) -> None:
        self._receive = receive
        #: The request's scope; ``None`` until :meth:`attach` gives it one.
        self.cancel_scope = cancel_scope
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self.receiving = False
        self._news: trio.Event | None = None
        self.body_complete = False
        self.disconnected = False
        #: Set by :meth:`complete_response`: a disconnect no longer cancels the request.
        self.response_complete = False
        #: The scope of this inbox's watcher task, once one is started.
        self.watch_scope: trio.CancelScope | None = None
        #: Disconnect watch ticks since registration (see ``disconnect_watch.py``).
        self.idle_ticks = 0

    async def read_chunk(self) -> bytes | None:
        """Return the next body chunk, or ``None`` once the body is complete.

        A checkpoint; cancelled, it loses nothing (a chunk is taken only once it is returned).

        Raises:
            ClientDisconnectedError: the client left before the body was complete.
        """
        # Servers end a body with an empty message of its own: having waited for it is the
        # checkpoint (a trio server's receive is one; Hypercorn's is a memory channel's), and
        # a second one would cost every request a trip through the scheduler.
        waited = False
        while not self._chunks:
            if self.body_complete:
                if not waited:
                    await trio.lowlevel.checkpoint()
                return None
            await self._wait_for_more()
            waited = True
        chunk = self._pop_chunk()
        self._announce()  # a watcher paused on read-ahead may read again
        return chunk

    async def read_rest(self, on_chunk: Callable[[bytes], None]) -> None:
        """Hand every chunk still to come to ``on_chunk``, in order, until the body is complete.

        What :meth:`read_chunk` does in a loop, in one coroutine: the whole body is what most
        handlers read. ``on_chunk`` may raise (a size limit) to stop reading there. A
        checkpoint; cancelled, it loses nothing: every chunk taken was handed to ``on_chunk``,
        and a later read goes on from there.

        Raises:
            ClientDisconnectedError: the client left before the body was complete.
        """
        waited = False  # as in read_chunk: the last message waited for is the checkpoint
        while True:
            if self._chunks:
                try:
                    while self._chunks:
                        on_chunk(self._pop_chunk())
                finally:
                    self._announce()  # a watcher paused on read-ahead may read again
            if self.body_complete:
                if not waited:
                    await trio.lowlevel.checkpoint()
                return
            await self._wait_for_more()
            waited = True

    def _pop_chunk(self) -> bytes:
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        return chunk

    async def _wait_for_more(self) -> None:
        """Wait for the next message of the body, read here or by the watcher.

        Raises:
            ClientDisconnectedError: the client has left (after a checkpoint, which is where
                a disconnect that cancelled the request's scope becomes ``trio.Cancelled``).
        """
        if self.disconnected:
            await trio.lowlevel.checkpoint()
            raise ClientDisconnectedError("the client disconnected before the body was complete")
        if self.receiving:
            await self._wait_for_news()
        else:
            await self._receive_one()

    async def watch(self) -> None:
        """Read until the client disconnects, then cancel the request's scope.

        Runs until cancelled (through ``watch_scope``) when the request ends first.
        """
        self.watch_scope = self.watch_scope or trio.CancelScope()
        with self.watch_scope:
            try:
                while not self.disconnected:
                    if self.receiving or self._buffered >= READ_AHEAD_LIMIT:
                        await self._wait_for_news()
                    else:
                        await self._receive_one()
            except Exception:
                # The server's receive failed: the connection is unusable, treat it as gone.
                log.debug("receive() failed while watching for a disconnect", exc_info=True)
                self._mark_disconnected()

    def attach(self, cancel_scope: trio.CancelScope) -> None:
        """Make ``cancel_scope`` the request's scope; cancel it at once if the client has
        already left (a disconnect read before there was a scope). Not a checkpoint."""
        self.cancel_scope = cancel_scope
        if self.disconnected and not self.response_complete:
            cancel_scope.cancel(reason="client disconnected")

    def complete_response(self) -> None:
        """Record that the last response message is being sent. Not a checkpoint.

        A server reports ``http.disconnect`` as soon as the response is complete, which is the
        normal end of the exchange: from now on it must not cancel the request's scope, or the
        final ``send`` and the teardown hooks would see a ``trio.Cancelled`` for a request that
        succeeded.
        """
        self.response_complete = True

    async def _receive_one(self) -> None:
        self.receiving = True
        self.idle_ticks = 0  # active: the watch service waits a whole tick again
        try:
            message = await self._receive()
        finally:
            self.receiving = False
            # Also when cancelled or failed: a reader waiting for this receive must read on.
            # (Waiters run only at the next checkpoint, after the message is recorded below.)
            self._announce()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                self._chunks.append(chunk)
                self._buffered += len(chunk)
            if not message.get("more_body", False):
                self.body_complete = True
        elif kind == "http.disconnect":
            self._mark_disconnected()

    def client_left(self) -> None:
        """Note that the client has gone, reported by the server some other way than
        ``http.disconnect`` (a send it refused): as that message would."""
        self._mark_disconnected()

    def _mark_disconnected(self) -> None:
        self.disconnected = True
        # No scope yet: ``attach`` cancels the scope it is given.
        if not self.response_complete and self.cancel_scope is not None:
            self.cancel_scope.cancel(reason="client disconnected")
        self._announce()

    def _announce(self) -> None:
        if self._news is not None:
            self._news.set()
            self._news = None

    async def _wait_for_news(self) -> None:
        if self._news is None:
            self._news = trio.Event()
        await self._news.wait()
