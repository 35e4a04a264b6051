"""Run an app's ASGI lifespan around a block of in-process measurements."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio

from bench.asgi import ASGIApp, Message, lifespan_scope

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 30.0


class LifespanError(RuntimeError):
    """The app failed its lifespan startup or shutdown."""


@asynccontextmanager
async def running_lifespan(app: ASGIApp) -> AsyncIterator[dict[str, Any]]:
    """Start the lifespan (startup.complete awaited), yield its state, then shut it down.

    The lifespan task runs in a nursery beside the block, as a server's lifespan task does.
    """
    state: dict[str, Any] = {}
    to_app, app_inbox = trio.open_memory_channel[Message](math.inf)
    app_outbox, from_app = trio.open_memory_channel[Message](math.inf)

    async def run_app() -> None:
        async with app_outbox:
            await app(lifespan_scope(state), app_inbox.receive, app_outbox.send)

    async def expect(kind: str, timeout: float) -> None:
        with trio.fail_after(timeout):
            try:
                message = await from_app.receive()
            except trio.EndOfChannel:
                raise LifespanError(f"app returned from the lifespan before {kind}") from None
        if message["type"] != kind:
            raise LifespanError(f"expected {kind}, got {message!r}")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_app)
        await to_app.send({"type": "lifespan.startup"})
        await expect("lifespan.startup.complete", STARTUP_TIMEOUT)
        try:
            yield state
        finally:
            with trio.CancelScope(shield=True):
                await to_app.send({"type": "lifespan.shutdown"})
                await expect("lifespan.shutdown.complete", SHUTDOWN_TIMEOUT)
