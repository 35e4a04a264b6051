"""The websocket side of the test client: a faithful ASGI peer for one connection.

The app runs in a task of a nursery opened when the ``async with`` block is entered, and entering
waits for the handshake to be answered, as a real client does: an accept, or a rejection (raised
as ``WebsocketResponseError``). The test talks to the app through two unbounded queues, as a
server would: ``websocket.connect`` first, then the test's messages; the app's messages come back
as text, bytes or a close. ``close(code)``, ``disconnect()`` and leaving the block send
``websocket.disconnect`` (the handler sees cancellation); leaving also waits for the app to finish.
"""

from __future__ import annotations

import math
from types import TracebackType
from typing import TYPE_CHECKING, Any

import trio
from werkzeug.datastructures import Headers

from .. import json as json_module
from ..websocket_state import CloseCode
from ..wrappers.response import Response

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from ..typing import ASGIReceiveEvent, ASGISendEvent, WebsocketScope
    from .client import ASGIApp


class WebsocketResponseError(Exception):
    """The app rejected the connection with an HTTP response (``.response``)."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"The websocket was rejected with HTTP {response.status_code}")
        #: The rejection: ``status_code``, ``headers`` and ``await response.get_data()``.
        self.response = response


class WebsocketDisconnectError(Exception):
    """The connection is closed (``.code`` and ``.reason``): by the app, or by the test's own
    ``close()`` or ``disconnect()``."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(
            f"The websocket was closed with code {code}" + (f": {reason}" if reason else "")
        )
        #: The close code.
        self.code = code
        #: The close reason.
        self.reason = reason


class _Closed:
    """A close message from the app, queued in order with its data messages."""

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class TestWebsocketConnection:
    """One websocket connection to the app; made by ``client.websocket(path)``."""

    __test__ = False  # not a pytest test class

    def __init__(self, app: ASGIApp, scope: WebsocketScope) -> None:
        #: The ASGI application.
        self.app = app
        #: The handshake's scope.
        self.scope = scope
        self._to_app_send, self._to_app_receive = trio.open_memory_channel[dict[str, Any]](math.inf)
        self._from_app_send, self._from_app_receive = trio.open_memory_channel[
            str | bytes | _Closed
        ](math.inf)
        self._nursery_manager: AbstractAsyncContextManager[trio.Nursery] | None = None
        self._nursery: trio.Nursery | None = None
        self._app_finished = trio.Event()
        self._accepted = trio.Event()
        self._handshake_answered = trio.Event()
        self._rejection_in_progress: Response | None = None
        self._rejection_body: list[bytes] = []
        self._rejection: Response | None = None
        self._closed_by_app: _Closed | None = None
        self._closed_by_client: _Closed | None = None
        self._disconnected = False
        #: The subprotocol the app accepted, if any.
        self.subprotocol: str | None = None
        #: The headers the app sent with its accept.
        self.accept_headers = Headers()

    @property
    def accepted(self) -> bool:
        """Whether the app accepted the connection."""
        return self._accepted.is_set()

    @property
    def status_code(self) -> int | None:
        """The status of the app's rejection, if it rejected the connection."""
        return self._rejection.status_code if self._rejection is not None else None

    @property
    def headers(self) -> Headers | None:
        """The headers of the app's rejection, if it rejected the connection."""
        return self._rejection.headers if self._rejection is not None else None

    @property
    def response_data(self) -> bytes:
        """The body of the app's rejection (empty if it did not reject the connection)."""
        return b"".join(self._rejection_body)

    async def __aenter__(self) -> TestWebsocketConnection:
        """Connect, and wait for the app to accept (as a real client waits for the handshake).

        Raises:
            WebsocketResponseError: the app rejected the connection.
            Exception: the error the app raised before answering (an app that propagates
                its errors, as with ``TESTING``), as itself.
        """
        self._nursery_manager = trio.open_nursery()
        self._nursery = await self._nursery_manager.__aenter__()
        self._to_app_send.send_nowait({"type": "websocket.connect"})
        self._nursery.start_soon(self._run_app)
        try:
            await self._handshake_answered.wait()
            self._raise_if_rejected()
        except BaseException as error:
            await self.__aexit__(type(error), error, error.__traceback__)
            # Not reached: __aexit__ raises whatever it is given (in the nursery's group). Kept
            # so that a failed handshake can never hand out a connection.
            raise  # pragma: no cover
        if not self._accepted.is_set():
            # The app raised before answering: leaving the nursery raises its error.
            await self.__aexit__(None, None, None)
            raise RuntimeError("The app failed before answering")  # pragma: no cover - raised above
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._nursery is not None
        assert self._nursery_manager is not None
        try:
            if exc is None or isinstance(exc, WebsocketResponseError | WebsocketDisconnectError):
                # A clean exit: say goodbye like a client, and let the app finish by itself.
                await self.close(1000)
                await self._app_finished.wait()
        finally:
            if not self._app_finished.is_set():
                # The test raised, or was cancelled while waiting: stop the app.
                self._nursery.cancel_scope.cancel(reason="the test client is leaving")
            try:
                await self._nursery_manager.__aexit__(exc_type, exc, tb)
            except BaseExceptionGroup as group:
                # The nursery's only child is the app task: a lone error is raised as itself.
                if len(group.exceptions) == 1:
                    raise group.exceptions[0]  # noqa: B904 - the group is a wrapper, not a cause
                raise

    async def _run_app(self) -> None:
        try:
            await self.app(self.scope, self._receive_from_client, self._send_from_app)
        except BaseException:
            # Its error is the answer to the handshake, which ``__aenter__`` raises: a 500
            # stand-in would hide it (and arrive with it, in a group).
            self._handshake_answered.set()
            raise
        finally:
            if not self._handshake_answered.is_set():
                # A server answers a handshake the app never answered with a 500.
                self._reject(Response(status=500))
            self._app_finished.set()
            self._from_app_send.close()

    async def _receive_from_client(self) -> ASGIReceiveEvent:
        try:
            return await self._to_app_receive.receive()
        except trio.EndOfChannel:
            # The disconnect was the last message; like Hypercorn, there is nothing more.
            await trio.sleep_forever()

    async def _send_from_app(self, message: ASGISendEvent) -> None:
        # Handled at once, then a checkpoint: like Hypercorn, a message takes effect when sent.
        self._handle_from_app(message)
        await trio.lowlevel.checkpoint()

    def _handle_from_app(self, message: ASGISendEvent) -> None:
        kind = message["type"]
        if self._disconnected or self._closed_by_app is not None:
            return  # as Hypercorn does: messages after a close are dropped
        if kind == "websocket.accept":
            self._check_handshake_open(kind)
            self.subprotocol = message.get("subprotocol")
            for name, value in message.get("headers") or []:
                self.accept_headers.add(name.decode("latin-1"), value.decode("latin-1"))
            self._accepted.set()
            self._handshake_answered.set()
        elif kind == "websocket.send":
            if not self._accepted.is_set():
                raise RuntimeError("The app sent a message before accepting the websocket")
            text = message.get("text")
            self._from_app_send.send_nowait(text if text is not None else bytes(message["bytes"]))
        elif kind == "websocket.close":
            if not self._accepted.is_set():
                # Before accept a server can only refuse the handshake: HTTP 403.
                self._reject(Response(status=403))
                return
            closed = _Closed(int(message.get("code", 1000)), message.get("reason") or "")
            self._closed_by_app = closed
            self._from_app_send.send_nowait(closed)
            # The client answers the close, and the server reports it to the app.
            self._to_app_send.send_nowait(
                {"type": "websocket.disconnect", "code": closed.code, "reason": closed.reason}
            )
        elif kind == "websocket.http.response.start":
            self._check_handshake_open(kind)
            self._rejection_in_progress = Response(status=int(message["status"]))
            self._rejection_in_progress.headers = Headers(
                [(n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", [])]
            )
        elif kind == "websocket.http.response.body":
            rejection = self._rejection_in_progress
            if rejection is None:
                raise RuntimeError("websocket.http.response.body before its start message")
            self._rejection_body.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                headers = rejection.headers
                rejection.set_data(b"".join(self._rejection_body))
                # The app's own Content-Length (if any) stays as sent.
                rejection.headers = headers
                self._reject(rejection)
        else:
            raise RuntimeError(f"Unexpected ASGI message for a websocket: {kind!r}")

    def _check_handshake_open(self, kind: str) -> None:
        answered = self._accepted.is_set() or self._rejection_in_progress is not None
        if answered or self._rejection is not None:
            raise RuntimeError(f"The app sent {kind!r} after the handshake was answered")

    def _reject(self, response: Response) -> None:
        self._rejection = response
        self._handshake_answered.set()
        # Never already disconnected in practice: the client leaves only after the handshake
        # is answered, and an app's messages after that are dropped before they get here.
        if not self._disconnected:  # pragma: no branch
            # As a server does once its answer to the handshake is out: the connection is over.
            self._disconnected = True
            self._to_app_send.send_nowait({"type": "websocket.disconnect", "code": 1000})

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the app.

        Raises:
            TypeError: ``data`` is neither ``str`` nor ``bytes``.
        """
        if isinstance(data, str):
            message: dict[str, Any] = {"type": "websocket.receive", "text": data, "bytes": None}
        elif isinstance(data, bytes | bytearray | memoryview):
            message = {"type": "websocket.receive", "bytes": bytes(data), "text": None}
        else:
            raise TypeError(f"send() takes str or bytes, not {type(data).__name__}")
        self._raise_if_rejected()
        await self._to_app_send.send(message)

    async def send_json(self, value: Any) -> None:
        """Send ``value`` as JSON in a text message."""
        await self.send(json_module.dumps(value))

    async def receive(self) -> str | bytes:
        """The app's next message: ``str`` for text, ``bytes`` for binary.

        Raises:
            WebsocketResponseError: the app rejected the connection.
            WebsocketDisconnectError: the app closed the connection.
        """
        try:
            item = await self._from_app_receive.receive()
        except trio.EndOfChannel:
            self._raise_if_rejected()
            closed = (
                self._closed_by_app
                or self._closed_by_client
                or _Closed(CloseCode.ABNORMAL_CLOSURE, "the app finished without closing")
            )
            raise WebsocketDisconnectError(closed.code, closed.reason) from None
        if isinstance(item, _Closed):
            # Keep raising on later calls too.
            self._from_app_send.close()
            raise WebsocketDisconnectError(item.code, item.reason)
        return item

    async def receive_json(self) -> Any:
        """Receive a message and decode it as JSON."""
        return json_module.loads(await self.receive())

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Close the connection from the client's side with ``code`` and ``reason``: the app
        gets ``websocket.disconnect`` with them, and its handler is cancelled (``trio.Cancelled``
        where it waits). Later :meth:`receive` calls raise ``WebsocketDisconnectError`` with
        this code once the messages already sent are read.

        A second call (or one after :meth:`disconnect`) is a no-op.
        """
        await self._leave({"type": "websocket.disconnect", "code": code, "reason": reason})

    async def disconnect(self) -> None:
        """Leave without a close code, as Quart's ``disconnect()`` does: the app gets
        ``websocket.disconnect`` with code 1005 (no status), and its handler is cancelled.

        A second call (or one after :meth:`close`) is a no-op.
        """
        await self._leave({"type": "websocket.disconnect", "code": CloseCode.NO_STATUS})

    async def _leave(self, message: dict[str, Any]) -> None:
        if self._disconnected:
            await trio.lowlevel.checkpoint()
            return
        self._disconnected = True
        self._closed_by_client = _Closed(message["code"], message.get("reason", ""))
        await self._to_app_send.send(message)
        await self._to_app_send.aclose()

    def _raise_if_rejected(self) -> None:
        if self._rejection is not None:
            raise WebsocketResponseError(self._rejection)
