"""Serving one websocket connection to an ASGI application (ASGI websocket 2.4, RFC 6455).

The application runs in the connection's own task, and a reader task beside it reads the
client for the whole connection (``websocket_reader.py``): until the application answers the
handshake it only watches for the client leaving; once accepted it reassembles messages,
answers pings, sends keepalive pings and takes part in the close handshake. A reader task,
rather than reading inside ``receive()``, so that a client's close (or a dropped connection)
is noticed while the application is busy elsewhere, only sending for instance.

Messages reach the application through a memory channel holding one message: the socket is
the only other buffer, so a client sending faster than the application receives is slowed by
TCP, and memory stays within about two messages. (While the reader waits to hand a message
over, it does not read; the application then learns of a close from its next send.) Writes
go straight to the stream, one at a time (``websocket_link.py``), so a slow client slows the
application.

Whoever starts the close handshake (the application, shutdown, an oversized message, the
application returning) sends the close frame and puts a deadline on the reader
(``graceful_timeout`` from then), which reads on until the client's close comes back or the
deadline passes. A protocol error or an unanswered keepalive ping ends the reading at once,
after the close frame. When the reader is done, ``receive()`` returns
``websocket.disconnect`` with the code of the first close frame sent or received (1006 when
there was none).
"""

from __future__ import annotations

import contextlib
import logging
from enum import Enum, auto

import trio
from wsproto.connection import ConnectionState

from .config import ServerConfig
from .types import ASGIApp, Message, Scope
from .websocket_checks import accept_fields, close_fields, data_frame
from .websocket_http import (
    AppResponse,
    Headers,
    simple_response,
    supported_version,
    switching_protocols,
    websocket_key,
)
from .websocket_link import FrameLink
from .websocket_reader import ClientReader

log = logging.getLogger("trioquart.server")

#: The close code the application gets when the connection ended without a close frame.
ABNORMAL_CLOSURE = 1006


class WebSocketClosedError(OSError):
    """Raised by ``send`` when the websocket is closed already (ASGI: a subclass of OSError).

    A ``websocket.send`` after a close frame was sent or received, or after the client left,
    raises it; a second ``websocket.close`` is ignored.
    """


class _Phase(Enum):
    HANDSHAKE = auto()  # the application has not answered the upgrade yet
    RESPONSE = auto()  # it is sending an HTTP response instead
    OPEN = auto()  # it accepted: frames flow (closing included)
    ENDED = auto()  # it was refused, answered, or the client left during the handshake


async def serve_websocket(
    stream: trio.abc.Stream,
    app: ASGIApp,
    scope: Scope,
    request_headers: Headers,
    initial_data: bytes,
    config: ServerConfig,
    stopping: trio.Event,
) -> None:
    """Serve the websocket upgrade request on ``stream`` with ``app`` until both are done.

    ``request_headers`` are the request's (lowercase names), ``initial_data`` what arrived
    after its head. Writes the handshake response; a request with a wrong version (426) or
    key (400) never reaches the app. Closes with 1001 once ``stopping`` is set. Leaves
    closing ``stream`` to the caller.
    """
    if not supported_version(request_headers):
        extra = [(b"Sec-WebSocket-Version", b"13")]
        refusal = simple_response(426, config.server_header, extra)
    elif (key := websocket_key(request_headers)) is None:
        refusal = simple_response(400, config.server_header)
    else:
        link = FrameLink(stream, initial_data, config.graceful_timeout)
        await _Session(link, key, config, stopping).run(app, scope)
        return
    with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
        await stream.send_all(refusal)  # unless the client did not wait for the answer


class _Session:
    """One websocket connection, as the application sees it: its receive and its send."""

    def __init__(
        self, link: FrameLink, key: bytes, config: ServerConfig, stopping: trio.Event
    ) -> None:
        self._link = link
        self._key = key
        self._server_header = config.server_header
        self._phase = _Phase.HANDSHAKE
        self._connect_delivered = False
        self._to_app, self._inbox = trio.open_memory_channel[Message](1)
        self._answered = trio.CancelScope()
        self._reader = ClientReader(link, self._to_app, self._answered, config, stopping)
        self._response: AppResponse | None = None

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        """Run ``app`` and the reader until both are done."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._reader.run)
            error: Exception | None = None
            try:
                await app(scope, self.receive, self.send)
            except Exception as caught:
                error = caught
            await self._conclude(error)

    async def receive(self) -> Message:
        """The application's ``receive``.

        Until the application answers the handshake, only a disconnect can come (the client
        left).
        """
        if not self._connect_delivered:
            self._connect_delivered = True
            return {"type": "websocket.connect"}
        try:
            return await self._inbox.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            # A closed channel raises without letting other tasks run: an app that receives
            # in a loop after the end must still not starve the others.
            await trio.lowlevel.cancel_shielded_checkpoint()
            code, reason = self._link.close or (ABNORMAL_CLOSURE, "")
            return {"type": "websocket.disconnect", "code": code, "reason": reason}

    async def send(self, message: Message) -> None:
        """The application's ``send``.

        Raises:
            WebSocketClosedError: a ``websocket.send`` on a closed websocket, or the client left.
            RuntimeError: a message of an unknown type, or one not allowed at this point.
            TypeError, ValueError: a message with a missing or malformed field.
        """
        kind = message.get("type")
        if kind == "websocket.send":
            self._require(_Phase.OPEN, "websocket.send")
            if not await self._link.write(data_frame(message), open_only=True):
                raise WebSocketClosedError("the websocket is closed")
        elif kind == "websocket.close":
            await self._app_close(message)
        elif kind == "websocket.accept":
            await self._accept(message)
        elif kind == "websocket.http.response.start":
            self._start_response(message)
        elif kind == "websocket.http.response.body":
            await self._send_response_body(message)
        else:
            raise RuntimeError(f"Unexpected ASGI message type {kind!r} for a websocket")

    async def _accept(self, message: Message) -> None:
        self._require(_Phase.HANDSHAKE, "websocket.accept")
        subprotocol, extra = accept_fields(message)
        response = switching_protocols(self._key, subprotocol, extra, self._server_header)
        gone = self._link.state is ConnectionState.CLOSED
        self._phase = _Phase.OPEN
        self._answered.cancel()
        if gone or not await self._link.write(response):
            self._end_handshake()
            raise WebSocketClosedError("the client left during the websocket handshake")

    async def _app_close(self, message: Message) -> None:
        if self._phase is _Phase.HANDSHAKE:
            # Closing before accepting refuses the connection (ASGI: 403).
            await self._refuse(403)
            return
        if self._phase is _Phase.ENDED:
            return
        self._require(_Phase.OPEN, "websocket.close")
        await self._link.begin_close(*close_fields(message))

    def _start_response(self, message: Message) -> None:
        self._require(_Phase.HANDSHAKE, "websocket.http.response.start")
        self._response = AppResponse(message, self._server_header)
        self._phase = _Phase.RESPONSE

    async def _send_response_body(self, message: Message) -> None:
        self._require(_Phase.RESPONSE, "websocket.http.response.body")
        assert self._response is not None  # set with the phase
        data = self._response.body(message)
        if self._response.finished:
            self._end_handshake()
        if not await self._link.write(data):
            self._end_handshake()
            raise WebSocketClosedError("the client left during the websocket's HTTP response")

    def _require(self, phase: _Phase, kind: str) -> None:
        if self._phase is not phase:
            state = self._phase.name.lower()
            raise RuntimeError(f"{kind} is not allowed in the websocket's {state} phase")

    async def _refuse(self, status: int) -> None:
        self._end_handshake()
        await self._link.write(simple_response(status, self._server_header))

    def _end_handshake(self) -> None:
        self._phase = _Phase.ENDED
        self._to_app.close()
        self._link.reader_scope.cancel()

    async def _conclude(self, error: Exception | None) -> None:
        """After the application returned (or raised): its last word, if it owes one."""
        self._inbox.close()  # nobody receives any more: the reader drops what it reads
        unanswered = self._phase is _Phase.HANDSHAKE or (
            self._response is not None and not self._response.head_written
        )
        if isinstance(error, WebSocketClosedError):
            log.debug("Websocket application ended by %r", error)
        elif error is not None:
            log.error("Exception in ASGI websocket application", exc_info=error)
        elif unanswered:
            log.error("ASGI websocket application returned without accepting or refusing")
        if unanswered:
            await self._refuse(500)
        elif self._phase is _Phase.OPEN:
            # Exceptions are not the client's business: 1011 says only that something broke.
            await self._link.begin_close(1000 if error is None else 1011, "")
        else:
            self._link.reader_scope.cancel()  # an HTTP response cut short: nothing to read
