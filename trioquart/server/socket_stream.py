"""A connected socket as a trio stream, with less machinery per call than ``trio.SocketStream``.

Why not ``trio.SocketStream``: each of its calls goes through a conflict detector and an error
translator (two context managers), a memoryview per send, and the trio socket's generic
try-then-wait helper (an async context manager). Under ``wrk``, with the server on one core,
that machinery cost about 6 of 33 microseconds of CPU per request, a fifth of the server's
work (A/B, measured end to end; see ``docs/performance.md``).

What stays is trio's contract for a stream: every call is a checkpoint (a cancelled call does
nothing and raises ``trio.Cancelled``; one that completes lets other tasks run), two tasks
sending at once get ``trio.BusyResourceError``, and socket errors become
``trio.BrokenResourceError`` (the peer reset or went away) or ``trio.ClosedResourceError``
(this side closed the stream). What goes is only the per-call layering.
"""

from __future__ import annotations

import errno
import socket

import trio
from trio.lowlevel import (
    cancel_shielded_checkpoint,
    checkpoint,
    checkpoint_if_cancelled,
    notify_closing,
    wait_readable,
    wait_writable,
)

#: How much ``receive_some`` reads when not told.
DEFAULT_RECEIVE_SIZE = 65536

# The errors of a socket this side closed (EBADF on Unix, ENOTSOCK on Windows).
_CLOSED_ERRNOS = frozenset({errno.EBADF, errno.ENOTSOCK})


def _stream_error(exc: OSError) -> trio.ClosedResourceError | trio.BrokenResourceError:
    """The stream error for a socket error, as ``trio.SocketStream`` maps them."""
    if exc.errno in _CLOSED_ERRNOS:
        return trio.ClosedResourceError("the connection was closed already")
    return trio.BrokenResourceError(f"the connection broke: {exc}")


class DirectSocketStream(trio.abc.HalfCloseableStream):
    """A connected, non-blocking stream socket as a trio stream.

    Each call first tries the socket and waits only if it would block.
    """

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        #: The socket; the stream owns it and closes it.
        self.socket = sock
        self._sending = False
        self._sent_eof = False

    @classmethod
    def taking_over(cls, stream: trio.SocketStream) -> DirectSocketStream:
        """A stream on ``stream``'s socket, which this one then owns (``stream`` is left with
        none, and closing it does nothing)."""
        trio_socket = stream.socket
        return cls(
            socket.socket(
                trio_socket.family, trio_socket.type, trio_socket.proto, trio_socket.detach()
            )
        )

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Up to ``max_bytes`` bytes; ``b""`` once the peer has closed its side.

        Raises:
            trio.BrokenResourceError: the connection was reset.
            trio.ClosedResourceError: the stream was closed.
        """
        if max_bytes is None:
            max_bytes = DEFAULT_RECEIVE_SIZE
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        await checkpoint_if_cancelled()
        sock = self.socket
        waited = False
        while True:
            try:
                data = sock.recv(max_bytes)
            except BlockingIOError:
                # Waiting is the schedule point: none is needed after it.
                await wait_readable(sock)
                waited = True
            except OSError as exc:
                if not waited:
                    await cancel_shielded_checkpoint()
                raise _stream_error(exc) from exc
            else:
                if not waited:
                    await cancel_shielded_checkpoint()
                return data

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``, waiting while the socket's buffer is full.

        Raises:
            trio.BusyResourceError: another task is sending on this stream.
            trio.BrokenResourceError: the peer has gone.
            trio.ClosedResourceError: the stream was closed, or ``send_eof`` called.
        """
        if self._sent_eof:
            raise trio.ClosedResourceError("no data can be sent after send_eof")
        if self._sending:
            raise trio.BusyResourceError("another task is sending on this stream")
        self._sending = True
        try:
            await checkpoint_if_cancelled()
            try:
                sent = self.socket.send(data)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                await cancel_shielded_checkpoint()
                raise _stream_error(exc) from exc
            await cancel_shielded_checkpoint()
            if sent < len(data):
                # The socket's buffer is full: the rest goes as it drains.
                await self._send_rest(data, sent)
        finally:
            self._sending = False

    async def _send_rest(self, data: bytes | bytearray | memoryview, sent: int) -> None:
        """Send ``data`` from ``sent`` on, waiting for room whenever the socket has none."""
        sock = self.socket
        with memoryview(data) as view:
            while sent < len(view):
                try:
                    with view[sent:] as rest:
                        sent += sock.send(rest)
                except BlockingIOError:
                    await wait_writable(sock)
                except OSError as exc:
                    raise _stream_error(exc) from exc

    async def wait_send_all_might_not_block(self) -> None:
        """Wait until the socket has room to send.

        Raises:
            trio.BusyResourceError: another task is sending on this stream.
            trio.ClosedResourceError: the stream was closed.
        """
        if self._sending:
            raise trio.BusyResourceError("another task is sending on this stream")
        if self.socket.fileno() == -1:
            raise trio.ClosedResourceError("the connection was closed already")
        self._sending = True
        try:
            await wait_writable(self.socket)
        finally:
            self._sending = False

    async def send_eof(self) -> None:
        """Close the sending side (the peer reads the end); idempotent.

        Raises:
            trio.BusyResourceError: another task is sending on this stream.
            trio.BrokenResourceError: the connection broke.
            trio.ClosedResourceError: the stream was closed.
        """
        if self._sending:
            raise trio.BusyResourceError("another task is sending on this stream")
        self._sending = True
        try:
            await checkpoint()
            if self._sent_eof:
                return
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError as exc:
                raise _stream_error(exc) from exc
            self._sent_eof = True
        finally:
            self._sending = False

    async def aclose(self) -> None:
        """Close the socket (waking any task waiting on it); idempotent."""
        if self.socket.fileno() != -1:
            notify_closing(self.socket)
            self.socket.close()
        await checkpoint()
