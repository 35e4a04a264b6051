"""The ASGI lifespan: the app's serving lifetime, and the nurseries that live as long.

Startup opens the service nursery (the disconnect watcher) and the app-wide nursery
(``app.nursery``), runs ``before_serving`` hooks, then each ``while_serving`` generator up to its
``yield``. Shutdown, in this order: set ``app.shutdown_event``; give background tasks
``BACKGROUND_TASK_SHUTDOWN_TIMEOUT`` seconds, then cancel them and wait for them; only then,
outside any cancelled scope, resume the ``while_serving`` generators (in reverse) and run the
``after_serving`` hooks, so that they can await freely. This module does not own serving
(``serving.py``) or signal handling.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import trio

from .background import BackgroundNursery
from .ctx import AppContext

if TYPE_CHECKING:
    from .app import TrioQuart
    from .typing import ASGIReceiveCallable, ASGISendCallable, LifespanScope

log = logging.getLogger("trioquart")

#: Seconds the ``while_serving`` generators get to close after a failed startup.
TEARDOWN_LIMIT = 10.0

NOT_TRIO_MESSAGE = (
    "trioquart runs only on trio, and this server runs the app on another event loop "
    "(Hypercorn's default worker is asyncio). Serve it with "
    "'hypercorn --worker-class trio module:app' or 'trioquart run module:app'."
)


def _running_under_trio() -> bool:
    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


async def run_lifespan(
    app: TrioQuart, scope: LifespanScope, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> None:
    """Serve the ASGI lifespan protocol for ``app`` until the server shuts down."""
    if not _running_under_trio():
        # Only the server's own awaitables are used here, so this runs on any event loop.
        await receive()
        await send({"type": "lifespan.startup.failed", "message": NOT_TRIO_MESSAGE})
        return
    message = await receive()
    if message["type"] != "lifespan.startup":
        return
    app_ctx = AppContext(app)
    app_ctx.push()
    try:
        async with trio.open_nursery() as service_nursery:
            await service_nursery.start(
                app._disconnect_watch.run, app.config["DISCONNECT_WATCH_DELAY"]
            )
            if await _serve(app, receive, send):
                failures = await _shut_down(app, app._while_serving_running)
                if failures:
                    await send({"type": "lifespan.shutdown.failed", "message": "; ".join(failures)})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
            service_nursery.cancel_scope.cancel(reason="server shutting down")
    finally:
        app_ctx.pop()


async def _serve(app: TrioQuart, receive: ASGIReceiveCallable, send: ASGISendCallable) -> bool:
    """Start up, report it, wait for the shutdown message, stop background tasks.

    Returns ``False`` when startup failed (already reported to the server).
    """
    app.shutdown_event = trio.Event()
    app._while_serving_running = []
    failure: str | None = None
    try:
        async with trio.open_nursery() as nursery:
            app._nursery = BackgroundNursery(nursery)
            try:
                await _start_up(app)
            except Exception as error:
                log.exception("Startup failed")
                failure = f"{type(error).__name__}: {error}"
                nursery.cancel_scope.cancel(reason="startup failed")
            else:
                await send({"type": "lifespan.startup.complete"})
                await receive()  # lifespan.shutdown (or the server going away)
                app.shutdown_event.set()
                timeout = app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"]
                nursery.cancel_scope.deadline = trio.current_time() + timeout
    finally:
        app._nursery = None
    if failure is not None:
        # Reported only now, outside the cancelled nursery, so the send cannot be cancelled.
        await _close_generators(app._while_serving_running)
        await send({"type": "lifespan.startup.failed", "message": failure})
        return False
    return True


async def _start_up(app: TrioQuart) -> None:
    for hook in app._before_serving:
        await hook()
    for function in app._while_serving:
        generator = function()
        await generator.__anext__()
        app._while_serving_running.append(generator)


async def _close_generators(generators: list[AsyncGenerator[None, None]]) -> None:
    # Startup failed: close what did start, shielded, but never longer than a teardown may take.
    with trio.move_on_after(TEARDOWN_LIMIT, shield=True):
        for generator in reversed(generators):
            await generator.aclose()


async def _shut_down(app: TrioQuart, generators: list[AsyncGenerator[None, None]]) -> list[str]:
    failures: list[str] = []
    for generator in reversed(generators):
        try:
            await generator.__anext__()
        except StopAsyncIteration:
            continue
        except Exception as error:
            log.exception("Error in a while_serving function at shutdown")
            failures.append(f"{type(error).__name__}: {error}")
            continue
        failures.append(f"{generator!r} yielded more than once")
        await generator.aclose()
    for hook in app._after_serving:
        try:
            await hook()
        except Exception as error:
            log.exception("Error in an after_serving function")
            failures.append(f"{type(error).__name__}: {error}")
    return failures
