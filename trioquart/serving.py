"""Serving on Hypercorn's trio worker, with a graceful shutdown that closes websockets (1001).

Hypercorn on its own waits for open connections at shutdown and then cancels them without a
close frame, and the lifespan shutdown only comes after that. So in a single process trioquart
owns the signals: on SIGINT/SIGTERM it closes every open websocket with 1001 ("going away"),
cancels their handlers, and only then tells Hypercorn to stop, which then runs the lifespan
shutdown (``after_serving``, ``while_serving`` teardown, ``app.nursery`` cancelled).

With ``--reload`` or several workers Hypercorn's own supervisor runs the worker processes, and
each gets Hypercorn's plain shutdown (documented in ``docs/serving.md``).
"""

from __future__ import annotations

import importlib
import logging
import signal
import sys
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from .websocket_state import CloseCode

if TYPE_CHECKING:
    from .app import TrioQuart
    from .wrappers.websocket import Websocket

log = logging.getLogger("trioquart")


def hypercorn_config(host: str, port: int, **options: Any) -> HypercornConfig:
    """A Hypercorn configuration bound to ``host:port`` with the trio worker."""
    config = HypercornConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.worker_class = "trio"
    config.accesslog = options.pop("accesslog", None)
    for name, value in options.items():
        setattr(config, name, value)
    return config


async def close_websockets(
    app: TrioQuart, code: int = CloseCode.GOING_AWAY, reason: str = ""
) -> None:
    """Close every open websocket of ``app`` with ``code`` and cancel its handler.

    The closes run side by side, so stuck peers cost one close timeout in all, not one each.
    Connections opened meanwhile (the server still accepts until it is told to stop) are
    closed in a further pass, a few passes at most.
    """
    for _ in range(3):
        pending = [
            (websocket, inbox)
            for websocket, inbox in app._open_websockets.items()
            if not inbox.connection_cancelled
        ]
        if not pending:
            return
        async with trio.open_nursery() as nursery:
            for websocket, inbox in pending:
                # The close code is recorded before the cancellation, so cleanup code sees it,
                # and the cancellation comes before any frame is sent, so the handler's tasks
                # see trio.Cancelled rather than a closed queue.
                send_close = websocket.begin_close(code, reason)
                inbox.cancel_connection("server shutting down")
                nursery.start_soon(_send_quietly, websocket, send_close)


async def _send_quietly(websocket: Websocket, send_close: Awaitable[None]) -> None:
    try:
        await send_close
    except Exception:
        log.debug("Could not send the close to %r", websocket, exc_info=True)


async def serve(
    app: TrioQuart,
    config: HypercornConfig,
    *,
    shutdown_trigger: trio.Event | None = None,
    handle_signals: bool = True,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` until SIGINT/SIGTERM (or until ``shutdown_trigger`` is set).

    Reports the bound addresses through ``task_status`` (use with ``nursery.start``).
    """
    stop = shutdown_trigger if shutdown_trigger is not None else trio.Event()
    hypercorn_stop = trio.Event()
    async with trio.open_nursery() as nursery:

        async def shut_down_when_asked() -> None:
            await stop.wait()
            await close_websockets(app, CloseCode.GOING_AWAY, "server shutting down")
            hypercorn_stop.set()

        nursery.start_soon(shut_down_when_asked)
        if handle_signals:
            nursery.start_soon(_wait_for_signal, stop)
        binds = await nursery.start(
            lambda task_status: hypercorn_serve(
                app,  # type: ignore[arg-type]
                config,
                shutdown_trigger=hypercorn_stop.wait,
                task_status=task_status,
            )
        )
        task_status.started(binds)
        await hypercorn_stop.wait()
    # Hypercorn has returned: the lifespan shutdown has run.


async def _wait_for_signal(stop: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            log.info("Received %s, shutting down", signal.Signals(signum).name)
            stop.set()
            return


def import_app(target: str) -> TrioQuart:
    """Import ``"package.module:name"`` (``name`` defaults to ``app``) from the current directory.

    Raises:
        click-friendly ``ValueError``: the module or attribute does not exist.
    """
    module_name, _, attribute = target.partition(":")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"Cannot import {module_name!r}: {error}") from error
    try:
        return getattr(module, attribute or "app")  # type: ignore[no-any-return]
    except AttributeError:
        raise ValueError(f"{module_name!r} has no attribute {attribute or 'app'!r}") from None


def run_app(
    app: TrioQuart,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    debug: bool = False,
    use_reloader: bool = False,
    application_path: str | None = None,
    workers: int = 1,
    **options: Any,
) -> None:
    """Serve ``app`` and block until it is shut down.

    With ``use_reloader`` or ``workers > 1``, Hypercorn's supervisor runs the workers and
    needs ``application_path`` (``"module:app"``) to import the app in each of them.
    """
    if debug:
        app.config["DEBUG"] = True
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO)
    # Hypercorn prints its own log lines through its own handlers; through the root logger too
    # would print each of them twice.
    logging.getLogger("hypercorn.error").propagate = False
    config = hypercorn_config(host, port, **options)
    if use_reloader or workers > 1:
        if application_path is None:
            raise ValueError(
                "Reloading and several workers need the app's import path: use "
                "'trioquart run module:app --reload' (or --workers N)"
            )
        from hypercorn.run import run as hypercorn_run

        config.application_path = application_path
        config.use_reloader = use_reloader
        config.workers = workers
        hypercorn_run(config)
        return
    print(f" * Serving {app.name!r} on http://{host}:{port} (Hypercorn, trio worker)")
    trio.run(serve, app, config)
