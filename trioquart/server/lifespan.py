"""The ASGI lifespan protocol, from the server's side: startup before serving, shutdown after.

The app runs its lifespan in a task of the server's nursery. An app that raises or returns
before answering the startup does not support the protocol: the server then serves without it.
"""

from __future__ import annotations

import logging

import trio

from .config import ServerConfig
from .types import ASGI_VERSIONS, ASGIApp, Message

log = logging.getLogger("trioquart.server")


class LifespanStartupError(RuntimeError):
    """The app answered ``lifespan.startup.failed``: the server does not start."""


class Lifespan:
    """One app's lifespan: ``startup`` and ``shutdown`` send its events and wait for answers."""

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.config = config
        #: What the app put in the lifespan scope's ``state``, for every request's scope;
        #: ``None`` if the app does not support the lifespan.
        self.state: dict[str, object] | None = {}
        self._to_app, self._inbox = trio.open_memory_channel[Message](2)
        self._answer: Message | None = None
        self._answered = trio.Event()
        self._ended = False
        self._supported = False
        self._scope = trio.CancelScope()

    async def startup(self, nursery: trio.Nursery) -> None:
        """Start the app's lifespan in ``nursery`` and wait for its startup.

        Raises:
            LifespanStartupError: the app's startup failed.
        """
        nursery.start_soon(self._run)
        message = await self._ask("lifespan.startup")
        if message is None:
            self.state = None
            self._scope.cancel()
        elif message["type"] == "lifespan.startup.failed":
            self._scope.cancel()
            raise LifespanStartupError(f"the app's startup failed: {message.get('message', '')}")

    async def shutdown(self) -> None:
        """Run the app's shutdown (if it has a lifespan), for ``graceful_timeout`` at most."""
        if self.state is not None:
            with trio.move_on_after(self.config.graceful_timeout):
                message = await self._ask("lifespan.shutdown")
                if message is not None and message["type"] == "lifespan.shutdown.failed":
                    log.error("the app's shutdown failed: %s", message.get("message", ""))
        self._scope.cancel()

    async def _ask(self, event: str) -> Message | None:
        """Send ``event`` and wait for the answer, or ``None`` if the app ended first."""
        self._answered = trio.Event()
        self._answer = None
        if not self._ended:
            self._to_app.send_nowait({"type": event})
            await self._answered.wait()
        return self._answer

    async def _run(self) -> None:
        """Run the app's lifespan until it returns or ``_scope`` is cancelled."""
        scope = {"type": "lifespan", "asgi": dict(ASGI_VERSIONS), "state": self.state}
        with self._scope:
            try:
                await self.app(scope, self._inbox.receive, self._send)
            except Exception:
                if self._supported:
                    log.exception("ASGI lifespan error")
                else:
                    log.info("ASGI lifespan not supported: the app raised", exc_info=True)
            else:
                if not self._supported:
                    log.info("ASGI lifespan not supported: the app returned")
        self._ended = True
        self._answered.set()

    async def _send(self, message: Message) -> None:
        """The app's ``send``: the answer to the event it was sent."""
        if not message["type"].startswith(("lifespan.startup.", "lifespan.shutdown.")):
            raise RuntimeError(f"unexpected ASGI lifespan message {message['type']!r}")
        self._supported = True
        self._answer = message
        self._answered.set()
