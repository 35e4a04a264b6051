"""Reading a websocket's client: messages for the application, pings, pongs and the close."""

from __future__ import annotations

import contextlib
import math

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

    async def run(self) -> None:
        """Read until the connection is over, or the reader's scope is cancelled."""
        try:
            with self._link.reader_scope:
                await self._watch_handshake()
                if self._link.state is ConnectionState.CLOSED:
                    return
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._close_when_stopping)
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
        pinged = False
        while True:
            for event in link.frames.events():
                if not await self._handle(event, assembler):
                    return
            with trio.move_on_after(self._silence_allowed(pinged)) as silence:
                data = await link.receive()
            if silence.cancelled_caught:
                if pinged:
                    await link.begin_close(1011, "keepalive ping timeout")
                    return
                pinged = True
                # A client that reads nothing must not hold the reader in the write: the
                # ping timeout covers it too, and a cut-short write fails the next close.
                with trio.move_on_after(self._config.websocket_ping_timeout):
                    await link.write(Ping())
                continue
            # No data: the client is gone, and wsproto's state becomes closed (nothing more
            # is sent).
            link.frames.receive_data(data or None)
            if not data:
                return
            pinged = False

    def _silence_allowed(self, pinged: bool) -> float:
        interval = self._config.websocket_ping_interval
        if interval is None or self._link.state is not ConnectionState.OPEN:
            return math.inf
        return self._config.websocket_ping_timeout if pinged else interval

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
