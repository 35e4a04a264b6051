"""The HTTP side of the test client: one request driven through the app's ASGI callable.

``run_request`` awaits the app directly in the caller's task (no nursery, no sockets): the body
is handed over by ``receive``, the response is collected from ``send``, and once the response
is complete ``receive`` reports ``http.disconnect``, as a server does. ``TestHTTPConnection`` is
the streaming variant, for tests that send the body piece by piece or leave early.
"""

from __future__ import annotations

import math
from types import TracebackType
from typing import TYPE_CHECKING, Any

import trio
from werkzeug.datastructures import Headers

from ..wrappers.response import Response

if TYPE_CHECKING:
    from ..typing import ASGIReceiveEvent, ASGISendEvent, HTTPScope
    from .client import ASGIApp


class ResponseCollector:
    """Assembles the ``http.response.*`` messages the app sends into a ``Response``."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers = Headers()
        self.chunks: list[bytes] = []
        self.complete = trio.Event()
        self.started = trio.Event()
        #: Set once the status is in, or the app finished without sending it.
        self.head_settled = trio.Event()
        #: Set once the response is complete, or the app finished without completing it.
        self.settled = trio.Event()
        self._chunk_send, self.chunk_receive = trio.open_memory_channel[bytes](math.inf)

    async def send(self, message: ASGISendEvent) -> None:
        """The app's ASGI ``send``."""
        kind = message["type"]
        if kind == "http.response.start":
            if self.started.is_set():
                raise RuntimeError("http.response.start sent twice")
            self.status = int(message["status"])
            for name, value in message.get("headers", []):
                self.headers.add(name.decode("latin-1"), value.decode("latin-1"))
            self.started.set()
            self.head_settled.set()
        elif kind == "http.response.body":
            if not self.started.is_set():
                raise RuntimeError("http.response.body sent before http.response.start")
            if self.complete.is_set():
                raise RuntimeError("http.response.body sent after the response was complete")
            body = bytes(message.get("body", b""))
            if body:
                self.chunks.append(body)
                self._chunk_send.send_nowait(body)
            if not message.get("more_body", False):
                self.complete.set()
                self.settled.set()
                self._chunk_send.close()
        else:
            raise RuntimeError(f"Unexpected ASGI message for an HTTP request: {kind!r}")
        await trio.lowlevel.checkpoint()

    def app_finished(self) -> None:
        """Record that the app returned: whatever it did not send will not come."""
        self.head_settled.set()
        self.settled.set()
        self._chunk_send.close()

    def response(self, *, complete: bool = False) -> Response:
        """The collected response.

        Args:
            complete: refuse a response whose body the app did not finish.

        Raises:
            RuntimeError: the app finished without sending a response (or, with
                ``complete``, without finishing it).
        """
        if self.status is None:
            raise RuntimeError("The app finished without sending a response")
        if complete and not self.complete.is_set():
            raise RuntimeError(
                f"The app finished without completing its response (HTTP {self.status}, "
                f"{sum(map(len, self.chunks))} bytes of body sent before it stopped)"
            )
        response = Response(b"".join(self.chunks), status=self.status)
        response.headers = Headers(self.headers)
        return response


async def run_request(app: ASGIApp, scope: HTTPScope, body: bytes) -> Response:
    """Send one complete request to ``app`` and return its response."""
    collector = ResponseCollector()
    body_sent = False

    async def receive() -> ASGIReceiveEvent:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            await trio.lowlevel.checkpoint()  # a server's receive is a checkpoint, even when ready
            return {"type": "http.request", "body": body, "more_body": False}
        await collector.complete.wait()
        return {"type": "http.disconnect"}

    await app(scope, receive, collector.send)
    return collector.response()


class TestHTTPConnection:
    """A request in progress: send the body in pieces, read the response as it streams, or
    disconnect. Use as ``async with client.request(path, method=...) as connection:``."""

    __test__ = False  # not a pytest test class

    def __init__(self, app: ASGIApp, scope: HTTPScope) -> None:
        #: The ASGI application.
        self.app = app
        #: The request's scope.
        self.scope = scope
        self._collector = ResponseCollector()
        self._to_app_send, self._to_app_receive = trio.open_memory_channel[dict[str, Any]](math.inf)
        self._nursery_manager: Any = None
        self._nursery: trio.Nursery | None = None
        self.app_finished = trio.Event()
        self._disconnected = False

    async def __aenter__(self) -> TestHTTPConnection:
        self._nursery_manager = trio.open_nursery()
        self._nursery = await self._nursery_manager.__aenter__()
        self._nursery.start_soon(self._run_app)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._nursery is not None
        if exc is not None:
            self._nursery.cancel_scope.cancel()
        else:
            await self.disconnect()
            await self.app_finished.wait()
        try:
            await self._nursery_manager.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            # The app task is the only child and never raises; a lone error is the test's own.
            if len(group.exceptions) == 1:
                raise group.exceptions[0]  # noqa: B904 - the group is a wrapper, not a cause
            raise

    async def _run_app(self) -> None:
        try:
            await self.app(self.scope, self._receive, self._collector.send)
        finally:
            self._collector.app_finished()
            self.app_finished.set()

    async def _receive(self) -> ASGIReceiveEvent:
        try:
            return await self._to_app_receive.receive()
        except trio.EndOfChannel:
            # Only ``disconnect`` closes the channel: the client is gone for good.
            return {"type": "http.disconnect"}

    async def send(self, data: bytes) -> None:
        """Send a piece of the request body (more follows)."""
        await self._to_app_send.send({"type": "http.request", "body": data, "more_body": True})

    async def send_complete(self) -> None:
        """End the request body."""
        await self._to_app_send.send({"type": "http.request", "body": b"", "more_body": False})

    async def disconnect(self) -> None:
        """Tell the app the client left (``http.disconnect``)."""
        if not self._disconnected:
            self._disconnected = True
            await self._to_app_send.send({"type": "http.disconnect"})
            await self._to_app_send.aclose()

    async def receive(self) -> bytes:
        """The next response body chunk as it arrives.

        Raises:
            trio.EndOfChannel: the response is complete (or the app finished).
        """
        return await self._collector.chunk_receive.receive()

    async def receive_chunk(self) -> bytes:
        """The next response body chunk as it arrives (the same as :meth:`receive`).

        Raises:
            trio.EndOfChannel: the response is complete (or the app finished).
        """
        return await self.receive()

    @property
    def status_code(self) -> int | None:
        """The response's status, once the app has sent it."""
        return self._collector.status

    @property
    def headers(self) -> Headers | None:
        """The response's headers, once the app has sent them."""
        return self._collector.headers if self.response_started else None

    @property
    def response_started(self) -> bool:
        """Whether the app has sent the response's status and headers."""
        return self._collector.started.is_set()

    @property
    def response_complete(self) -> bool:
        """Whether the app has sent the whole response."""
        return self._collector.complete.is_set()

    async def wait_for_headers(self) -> tuple[int, Headers]:
        """Wait for the response's status and headers.

        Raises:
            RuntimeError: the app finished without sending a response.
        """
        await self._collector.head_settled.wait()
        status = self._collector.status
        if status is None:
            raise RuntimeError("The app finished without sending a response")
        return status, self._collector.headers

    async def as_response(self) -> Response:
        """Wait for the whole response and return it; also after the block.

        Raises:
            RuntimeError: the app finished without sending a whole response (as when the
                client left first: leaving the block disconnects it).
        """
        await self._collector.settled.wait()
        return self._collector.response(complete=True)
