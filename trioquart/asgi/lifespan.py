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
context manager in a task of its own (``ServingGenerator``), entered and exited there; the
lifespan starts them one after the other and stops them in reverse. The app-wide nursery, too,
lives in a task of its own (``BackgroundNursery.run``): it must close *before* the generators
are resumed, though it opened before they were entered.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from ..background import BackgroundNursery
from ..ctx import AppContext, app_context_teardown_wanted
from .disconnect_watch import open_disconnect_watch

if TYPE_CHECKING:
    from ..app import TrioQuart
    from ..typing import (
        ASGIReceiveCallable,
        ASGISendCallable,
        LifespanScope,
        WhileServingHook,
    )

log = logging.getLogger("trioquart")

#: Seconds each ``while_serving`` generator gets to finish at shutdown (or after a failed
#: startup) before it is cancelled.
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
        # A cancellation from outside (the server going away) comes out as one Cancelled,
        # not a group per nursery on the way: open_disconnect_watch collapses it.
        async with open_disconnect_watch(app.config["DISCONNECT_WATCH_DELAY"]) as watch:
            app.disconnect_watch = watch
            try:
                await _serve(app, receive, send)
            finally:
                app.disconnect_watch = None
    finally:
        try:
            if app_context_teardown_wanted(app):
                await app.do_teardown_appcontext(None)
        finally:
            app_ctx.pop()


async def _serve(app: TrioQuart, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """Start up, report it, wait for the shutdown message, shut down and report it."""
    app.shutdown_event = trio.Event()
    background = BackgroundNursery(sender=app)
    running: list[ServingGenerator] = []
    startup_error: Exception | None = None
    failures: list[str] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(background.run)
        app.background_tasks = background
        try:
            async with trio.open_nursery() as generators:
                try:
                    await _start_up(app, generators, running)
                except Exception as error:
                    log.exception("Startup failed")
                    startup_error = error
                    await background.aclose(timeout=0)
                else:
                    await send({"type": "lifespan.startup.complete"})
                    await receive()  # lifespan.shutdown (or the server going away)
                    app.shutdown_event.set()
                    await background.aclose(app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"])
                for generator in reversed(running):
                    await generator.stop(startup_error, TEARDOWN_LIMIT)
            failures += [generator.failure for generator in running if generator.failure]
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


async def _start_up(
    app: TrioQuart, generators: trio.Nursery, running: list[ServingGenerator]
) -> None:
    for hook in app.before_serving_funcs:
        await hook()
    for function in app.while_serving_gens:
        generator = ServingGenerator(function)
        await generators.start(generator.run)
        running.append(generator)


class ServingGenerator:
    """One ``while_serving`` generator, driven as an async context manager in a task of its
    own: entered up to its ``yield`` at startup, resumed at :meth:`stop`.

    Its own task, not the lifespan's: a generator may hold a nursery or a cancel scope across
    its ``yield``, and a task of that nursery may fail (or the scope be cancelled) while the
    app is served. Only the generator's task is then interrupted; the error comes out of its
    ``async with`` there, is logged, and is reported at shutdown.
    """

    def __init__(self, function: WhileServingHook) -> None:
        self._function = function
        self._stopping = trio.Event()
        self._stopped = trio.Event()
        self._thrown: Exception | None = None
        # Its deadline is set when the generator is resumed: each gets the same bound.
        self._scope = trio.CancelScope()
        self._limit = 0.0
        #: What went wrong after startup, for the shutdown report.
        self.failure: str | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Enter the generator, report it started, and wait for :meth:`stop`.

        An error before the ``yield`` is raised (to ``nursery.start``); later ones are logged.
        """
        started = False
        try:
            with self._scope:
                async with asynccontextmanager(self._function)():
                    task_status.started()
                    started = True
                    await self._stopping.wait()
                    # No branch: CPython 3.11 traces the way out through both ``with`` blocks
                    # as another arc; 3.12 and later measure both branches here.
                    if self._thrown is not None:  # pragma: no branch
                        raise self._thrown  # at the yield, as an ``async with`` body would
            if self._scope.cancelled_caught:
                self.failure = (
                    f"while_serving {self._function.__qualname__} took over {self._limit} s "
                    "to stop and was cancelled"
                )
                log.error("%s", self.failure)
        except Exception as error:
            if not started:
                raise
            if error is not self._thrown:
                log.exception("Error in a while_serving function %r", self._function)
                self.failure = _describe(error)
        finally:
            self._stopped.set()

    async def stop(self, thrown: Exception | None, limit: float) -> None:
        """Resume the generator after its ``yield`` (throwing ``thrown`` in, if given), give it
        ``limit`` seconds to finish (then it is cancelled), and wait until it has."""
        self._thrown = thrown
        self._limit = limit
        self._scope.deadline = trio.current_time() + limit
        self._stopping.set()
        await self._stopped.wait()


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
