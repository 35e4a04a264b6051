"""A websocket's wire: wsproto's frames over the stream, one write at a time, and the close."""

from __future__ import annotations

import trio
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import CloseConnection, Event

#: The most bytes read from the client at a time.
RECEIVE_SIZE = 64 * 1024


class FrameLink:
    """The stream of one websocket, with wsproto's view of the connection on it.

    Writes take turns (the application's sends, pongs, pings and close frames come from
    different tasks) and go straight to the stream, so a slow client slows the writers. The
    close handshake's deadline goes on ``reader_scope``, the reader's cancel scope.
    """

    def __init__(self, stream: trio.abc.Stream, initial_data: bytes, close_timeout: float) -> None:
        self.stream = stream
        self.frames = Connection(ConnectionType.SERVER, trailing_data=initial_data)
        #: The reader's cancel scope: its deadline bounds the close handshake.
        self.reader_scope = trio.CancelScope()
        #: The code and reason of the first close frame sent or received.
        self.close: tuple[int, str] | None = None
        self._close_timeout = close_timeout
        self._write_lock = trio.Lock()
        self._broken = False

    @property
    def state(self) -> ConnectionState:
        """wsproto's state of the connection (closed once the client is gone)."""
        return self.frames.state

    async def receive(self) -> bytes:
        """The next bytes from the client; empty once it is gone (closed or reset)."""
        try:
            return bytes(await self.stream.receive_some(RECEIVE_SIZE))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return b""

    async def write(self, data: bytes | Event, *, open_only: bool = False) -> bool:
        """Write bytes, or a frame wsproto may still send; whether the stream took them.

        ``open_only``: bytes that are a frame of their own (a message), written only while
        the connection is open.
        """
        lock = self._write_lock
        if lock.locked():
            await lock.acquire()
        else:
            # Free, as it nearly always is: taken without the schedule point of acquire(),
            # since send_all makes one anyway.
            lock.acquire_nowait()
        try:
            if self._broken:
                return False
            state = self.frames.state
            if isinstance(data, Event):
                replying = isinstance(data, CloseConnection) and (
                    state is ConnectionState.REMOTE_CLOSING
                )
                if state is not ConnectionState.OPEN and not replying:
                    return False
                data = self.frames.send(data)
            elif open_only and state is not ConnectionState.OPEN:
                return False
            # Until send_all returns: a write cut short (cancelled) leaves half a frame behind.
            self._broken = True
            try:
                await self.stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return False
            self._broken = False
            return True
        finally:
            lock.release()

    async def begin_close(self, code: int, reason: str) -> None:
        """Send a close frame, unless one was sent or received, and bound the handshake."""
        if self.frames.state is not ConnectionState.OPEN:
            return
        self.record_close(code, reason)
        deadline = trio.current_time() + self._close_timeout
        self.reader_scope.deadline = min(self.reader_scope.deadline, deadline)
        with trio.move_on_at(deadline):
            await self.write(CloseConnection(code=code, reason=reason))

    def record_close(self, code: int, reason: str) -> None:
        """Remember the close, unless an earlier one was (that one is the app's)."""
        if self.close is None:
            self.close = (code, reason)
