"""The ASGI lifespan: the app's serving lifetime, and the nurseries that live as long.

Startup starts the disconnect watch service (``app.disconnect_watch``) and the app-wide nursery
(``app.nursery``), runs the ``before_serving`` hooks, then enters each ``while_serving``
generator up to its ``yield``. Shutdown, in this order: set ``app.shutdown_event``; give
background tasks ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT`` seconds, then cancel them and wait for
them; then resume the ``while_serving`` generators (in reverse) and run the ``after_serving``
hooks. This module does not own serving (``serving.py``) or signal handling.

Strategy: trio requires a nursery or cancel scope to be exited by the task that entered it, in
the reverse order. A ``while_serving`` generator may hold one across its ``yield`` (a service's
nursery, ``async with open_websocket_url(...)``), so each generator is driven as an async
context manager, entered and exited in this one task, and everything it nests in (the
disconnect watch, the bound on the shutdown) is entered before it and exited after it. The
app-wide nursery must close *before* the generators are resumed, though it opened before they
were entered: so it lives in a task of its own (``BackgroundNursery.run``), not in this one.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

import trio

from ..background import BackgroundNursery
from ..ctx import AppContext
from .disconnect_watch import open_disconnect_watch

if TYPE_CHECKING:
    from ..app import TrioQuart
    from ..typing import ASGIReceiveCallable, ASGISendCallable, LifespanScope

log = logging.getLogger("trioquart")

#: Seconds the ``while_serving`` generators get to finish at shutdown (or after a failed startup).
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
        async with open_disconnect_watch(app.config["DISCONNECT_WATCH_DELAY"]) as watch:
            app.disconnect_watch = watch
            try:
                await _serve(app, receive, send)
            finally:
                app.disconnect_watch = None
    finally:
        app_ctx.pop()


async def _serve(app: TrioQuart, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """Start up, report it, wait for the shutdown message, shut down and report it."""
    app.shutdown_event = trio.Event()
    background = BackgroundNursery()
    running: list[AbstractAsyncContextManager[None]] = []
    failures: list[str] = []
    startup_error: Exception | None = None
    async with trio.open_nursery() as nursery:
        await nursery.start(background.run)
        app.background_tasks = background
        try:
            # Bounds the while_serving teardown: entered before any generator, so that its
            # deadline can be set on the way out without breaking their nesting.
            with trio.CancelScope() as teardown_scope:
                try:
                    await _start_up(app, running)
                except Exception as error:
                    log.exception("Startup failed")
                    startup_error = error
                    await background.aclose(timeout=0)
                else:
                    await send({"type": "lifespan.startup.complete"})
                    await receive()  # lifespan.shutdown (or the server going away)
                    app.shutdown_event.set()
                    await background.aclose(app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"])
                teardown_scope.deadline = trio.current_time() + TEARDOWN_LIMIT
                await _exit_all(running, startup_error, failures)
            if teardown_scope.cancelled_caught:
                log.error("The while_serving teardown took over %s s", TEARDOWN_LIMIT)
                failures.append(f"while_serving teardown took over {TEARDOWN_LIMIT} s")
            if startup_error is None:
                failures += await _run_after_serving(app)
        finally:
            app.background_tasks = None
    if startup_error is not None:
        await send({"type": "lifespan.startup.failed", "message": _describe(startup_error)})
    elif failures:
        await send({"type": "lifespan.shutdown.failed", "message": "; ".join(failures)})
    else:
        await send({"type": "lifespan.shutdown.complete"})


async def _start_up(app: TrioQuart, running: list[AbstractAsyncContextManager[None]]) -> None:
    for hook in app.before_serving_funcs:
        await hook()
    for function in app.while_serving_gens:
        generator = asynccontextmanager(function)()
        await generator.__aenter__()
        running.append(generator)


async def _exit_all(
    running: list[AbstractAsyncContextManager[None]],
    error: Exception | None,
    failures: list[str],
) -> None:
    """Resume the entered ``while_serving`` generators, last first, each with ``error`` (the
    startup failure) or none, adding what fails to ``failures``.

    Every generator is resumed even when the teardown deadline cancels one of them: each must
    close what it opened, in this task, for trio's nesting to hold. The cancellation is
    raised once they all have.
    """
    cancelled: trio.Cancelled | None = None
    while running:
        generator = running.pop()
        try:
            if error is None:
                await generator.__aexit__(None, None, None)
            else:
                await generator.__aexit__(type(error), error, error.__traceback__)
        except trio.Cancelled as cancellation:
            cancelled = cancellation
        except Exception as failure:
            if failure is not error:
                log.exception("Error in a while_serving function at shutdown")
                failures.append(_describe(failure))
    if cancelled is not None:
        raise cancelled


async def _run_after_serving(app: TrioQuart) -> list[str]:
    failures: list[str] = []
    for hook in app.after_serving_funcs:
        try:
            await hook()
        except Exception as error:
            log.exception("Error in an after_serving function")
            failures.append(_describe(error))
    return failures


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
