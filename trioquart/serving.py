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
from typing import TYPE_CHECKING, Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from .websocket_state import CloseCode

if TYPE_CHECKING:
    from .app import TrioQuart

log = logging.getLogger("trioquart")


#: The listen backlog: Hypercorn's own (100) overflows under a burst of connections, and the
#: kernel caps it at ``net.core.somaxconn`` anyway.
DEFAULT_BACKLOG = 2048
#: Seconds between the pings sent on websockets; ``None`` sends none. Off by default because
#: Hypercorn 0.18's ping task only looks at the connection between pings: a closed
#: connection keeps its task and socket until the next ping is due.
DEFAULT_WEBSOCKET_PING_INTERVAL: float | None = None


def hypercorn_config(host: str, port: int, **options: Any) -> HypercornConfig:
    """A Hypercorn configuration bound to ``host:port`` with the trio worker.

    trioquart's defaults: ``backlog`` ``DEFAULT_BACKLOG``, ``websocket_ping_interval``
    ``DEFAULT_WEBSOCKET_PING_INTERVAL`` (no pings), no access log. Any other Hypercorn setting
    may be given by name.
    """
    config = HypercornConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.worker_class = "trio"
    config.backlog = DEFAULT_BACKLOG
    config.websocket_ping_interval = DEFAULT_WEBSOCKET_PING_INTERVAL
    config.accesslog = options.pop("accesslog", None)
    for name, value in options.items():
        setattr(config, name, value)
    return config


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
    signal_scope = trio.CancelScope()
    async with trio.open_nursery() as nursery:

        async def shut_down_when_asked() -> None:
            await stop.wait()
            # Stopping already (a signal, or the trigger): the signal watcher's work is done,
            # and it must not keep this nursery open.
            signal_scope.cancel()
            # Set now rather than at the lifespan shutdown, which Hypercorn only starts once
            # every connection has ended: open event streams end on it (sse.py).
            app.shutdown_event.set()
            await app.connected_websockets.close_all(CloseCode.GOING_AWAY, "server shutting down")
            hypercorn_stop.set()

        async def watch_signals() -> None:
            with signal_scope:
                await _wait_for_signal(stop)

        nursery.start_soon(shut_down_when_asked)
        if handle_signals:
            nursery.start_soon(watch_signals)
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
        # Trio's signal receiver never runs out: the loop only ends at the return.
        async for signum in signals:  # pragma: no branch
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


def configure_logging(config: HypercornConfig, *, debug: bool = False) -> None:
    """Log to stderr through the root logger, with each of Hypercorn's lines printed once.

    Hypercorn gives ``hypercorn.error`` a stream handler of its own and turns its propagation
    on when it builds its loggers, lazily, on the first use of ``config.log``. Built while
    serving, they would send each line to that handler and to the root handler set up here, so
    they are built now, and the propagation is turned off once they have their own handler.
    """
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO)
    error_logger = config.log.error_logger
    if error_logger is not None and error_logger.handlers:
        error_logger.propagate = False


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
        # Not configure_logging: each worker process builds Hypercorn's loggers (with their
        # handler) itself, and ones built here would reach the workers with the pickled config,
        # as bare logger names without a handler.
        logging.basicConfig(level=logging.DEBUG if debug else logging.INFO)
        hypercorn_run(config)
        return
    configure_logging(config, debug=debug)
    print(f" * Serving {app.name!r} on http://{host}:{port} (Hypercorn, trio worker)")
    trio.run(serve, app, config)
