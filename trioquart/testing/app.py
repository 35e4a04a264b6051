"""TestApp: runs an app's ASGI lifespan around a block of test code.

``async with app.test_app() as test_app:`` starts the lifespan (``before_serving``,
``while_serving``, ``app.nursery``) in a task, and the block's exit runs the shutdown half and
waits for it. Startup or shutdown failures are raised as ``LifespanError``.
"""

from __future__ import annotations

import math
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import trio

from .client import TestClient

if TYPE_CHECKING:
    from ..typing import ASGIReceiveEvent, ASGISendEvent
    from .client import ASGIApp


class LifespanError(RuntimeError):
    """The app reported that its startup or shutdown failed (the message says why)."""


class TestApp:
    """The app with its lifespan running; use ``test_client()`` inside the block.

    Args:
        app: the ASGI application.
        startup_timeout: seconds to wait for startup (and, separately, for shutdown).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: ASGIApp, *, startup_timeout: float = 60) -> None:
        self.app = app
        self._timeout = startup_timeout
        self._to_app_send, self._to_app_receive = trio.open_memory_channel[dict[str, Any]](math.inf)
        self._from_app_send, self._from_app_receive = trio.open_memory_channel[dict[str, Any]](
            math.inf
        )
        self._nursery_manager: AbstractAsyncContextManager[trio.Nursery] | None = None

    def test_client(self) -> TestClient:
        """A test client for the running app."""
        return TestClient(self.app)

    async def __aenter__(self) -> TestApp:
        self._nursery_manager = trio.open_nursery()
        nursery = await self._nursery_manager.__aenter__()
        nursery.start_soon(self._run_lifespan)
        try:
            await self._exchange("lifespan.startup", "lifespan.startup.complete")
        except BaseException as error:
            nursery.cancel_scope.cancel()
            await self._close_nursery(type(error), error, error.__traceback__)
            # Not reached: closing the nursery raises whatever it is given. Kept so that a
            # failed startup can never enter the block.
            raise  # pragma: no cover
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._exchange("lifespan.shutdown", "lifespan.shutdown.complete")
        finally:
            await self._close_nursery(exc_type, exc, tb)

    async def _close_nursery(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._nursery_manager is not None
        try:
            await self._nursery_manager.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            if len(group.exceptions) == 1:
                raise group.exceptions[0]  # noqa: B904 - the group is a wrapper, not a cause
            raise

    async def _run_lifespan(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}, "state": {}}
        try:
            await self.app(scope, self._receive, self._send)  # type: ignore[arg-type]
        finally:
            self._from_app_send.close()

    async def _receive(self) -> ASGIReceiveEvent:
        return await self._to_app_receive.receive()

    async def _send(self, message: ASGISendEvent) -> None:
        await self._from_app_send.send(dict(message))

    async def _exchange(self, request: str, expected: str) -> None:
        await self._to_app_send.send({"type": request})
        with trio.fail_after(self._timeout):
            try:
                reply = await self._from_app_receive.receive()
            except trio.EndOfChannel:
                raise LifespanError(f"The app finished without answering {request!r}") from None
        if reply["type"] != expected:
            raise LifespanError(reply.get("message") or f"{request} failed: {reply['type']}")
