"""Reading a websocket's client: messages for the application, pings, pongs and the close."""

from __future__ import annotations

import contextlib

import trio
from wsproto.connection import ConnectionState
from wsproto.events import BytesMessage, CloseConnection, Event, Ping, TextMessage

from .config import ServerConfig
from .types import Message
from .websocket_link import FrameLink
from .websocket_messages import MessageAssembler, MessageTooBigError


class ClientReader:
    """The task that reads the client, beside the application, for the whole connection.

    Until the application answers the handshake (``answered`` is cancelled then) it only
    watches for the client leaving. Then it hands messages to the application through
    ``to_app``, answers pings, sends keepalive pings, closes with 1001 once ``stopping`` is
    set, and takes part in the close handshake. It closes ``to_app`` when it is done, after
    which the application's ``receive`` reports the disconnect.
    """

    def __init__(
        self,
        link: FrameLink,
        to_app: trio.MemorySendChannel[Message],
        answered: trio.CancelScope,
        config: ServerConfig,
        stopping: trio.Event,
    ) -> None:
        self._link = link
        self._to_app = to_app
        self._answered = answered
        self._config = config
        self._stopping = stopping
        #: When the reader began waiting for the client (``None`` while it is busy), and how
        #: many reads it has made: all the keepalive task needs.
        self._waiting_since: float | None = None
        self._reads = 0

    async def run(self) -> None:
        """Read until the connection is over, or the reader's scope is cancelled."""
        try:
            with self._link.reader_scope:
                await self._watch_handshake()
                if self._link.state is ConnectionState.CLOSED:
                    return
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._close_when_stopping)
                    if self._config.websocket_ping_interval is not None:
                        nursery.start_soon(self._keep_alive, self._config.websocket_ping_interval)
                    await self._read_frames()
                    nursery.cancel_scope.cancel()
        finally:
            self._to_app.close()

    async def _watch_handshake(self) -> None:
        # A client may not send frames before the 101: early bytes are kept for after the
        # accept, and reading stops until then, so that they cannot pile up.
        with self._answered:
            data = await self._link.receive()
            self._link.frames.receive_data(data or None)
            if data:
                await trio.sleep_forever()

    async def _close_when_stopping(self) -> None:
        await self._stopping.wait()
        await self._link.begin_close(1001, "server shutting down")

    async def _read_frames(self) -> None:
        link = self._link
        assembler = MessageAssembler(self._config.websocket_max_message_size)
        while True:
            for event in link.frames.events():
                if not await self._handle(event, assembler):
                    return
            self._waiting_since = trio.current_time()
            data = await link.receive()
            self._waiting_since = None
            self._reads += 1
            # No data: the client is gone, and wsproto's state becomes closed (nothing more
            # is sent).
            link.frames.receive_data(data or None)
            if not data:
                return

    async def _keep_alive(self, interval: float) -> None:
        """Ping the client once the reader has waited ``interval`` seconds for it, and close
        with 1011 if nothing comes ``websocket_ping_timeout`` seconds after the ping.

        A task beside the reader rather than a deadline on each read: a read then costs no
        cancel scope, only noting when it began. Time the reader spends handing a message to
        a busy application is not the client's silence.
        """
        link = self._link
        timeout = self._config.websocket_ping_timeout
        while True:
            since = self._waiting_since
            now = trio.current_time()
            if since is None or now < since + interval:
                await trio.sleep_until((now if since is None else since) + interval)
                continue
            if link.state is not ConnectionState.OPEN:
                return  # closing: the close handshake has a deadline of its own
            reads = self._reads
            # A client that reads nothing must not hold this task in the write: the ping
            # timeout covers it too, and a cut-short write fails the next close.
            with trio.move_on_at(now + timeout):
                await link.write(Ping())
            await trio.sleep_until(now + timeout)
            if self._reads == reads and self._waiting_since is not None:
                await link.begin_close(1011, "keepalive ping timeout")
                link.reader_scope.cancel()
                return

    async def _handle(self, event: Event, assembler: MessageAssembler) -> bool:
        """Act on one event from the client; whether to read on."""
        link = self._link
        if isinstance(event, TextMessage | BytesMessage):
            if link.state is not ConnectionState.OPEN:
                return True  # closing: the application gets no more messages
            try:
                message = assembler.add(event)
            except MessageTooBigError:
                await link.begin_close(1009, "message too big")
                return True
            if message is not None:
                with contextlib.suppress(trio.BrokenResourceError):  # the app has returned
                    try:
                        self._to_app.send_nowait(message)
                    except trio.WouldBlock:
                        await self._to_app.send(message)
        elif isinstance(event, Ping):
            await link.write(event.response())
        elif isinstance(event, CloseConnection):
            if link.state is ConnectionState.REMOTE_CLOSING:
                link.record_close(int(event.code), event.reason or "")
                await link.write(event.response())
            else:
                # wsproto reports a protocol error (1002, 1007) as a close from the client,
                # leaving the state open; a client this broken gets no close handshake.
                await link.begin_close(int(event.code), event.reason or "")
            return False
        return True
