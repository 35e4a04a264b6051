"""Serving on Hypercorn's trio worker or on the built-in server, with a graceful shutdown that
closes websockets (1001).

Hypercorn on its own waits for open connections at shutdown and then cancels them without a
close frame, and the lifespan shutdown only comes after that. So in a single process trioquart
owns the signals: on SIGINT/SIGTERM it closes every open websocket with 1001 ("going away"),
cancels their handlers, and only then tells the server to stop, which then runs the lifespan
shutdown (``after_serving``, ``while_serving`` teardown, ``app.nursery`` cancelled). The
built-in server (``trioquart.server``) would close them with 1001 itself, but through the app
they are closed first, with the same reason whichever server runs.

With ``--reload`` or several workers Hypercorn's own supervisor runs the worker processes, and
each gets Hypercorn's plain shutdown (documented in ``docs/serving.md``). Several workers of the
built-in server are run by ``trioquart.server.workers`` instead, and each worker closes its
websockets with 1001 at shutdown.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import logging
import os
import re
import signal
import ssl
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple, TypeAlias

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from .app import TrioQuart
from .server import ServerConfig
from .server import serve as builtin_serve
from .server.workers import WORKER_LOG_FORMAT, WorkerFailedError, serve_workers
from .websocket_state import CloseCode

log = logging.getLogger("trioquart")


#: The listen backlog: Hypercorn's own (100) overflows under a burst of connections, and the
#: kernel caps it at ``net.core.somaxconn`` anyway.
DEFAULT_BACKLOG = 2048
#: Seconds between the pings sent on websockets; ``None`` sends none. Off by default because
#: Hypercorn 0.18's ping task only looks at the connection between pings: a closed
#: connection keeps its task and socket until the next ping is due.
DEFAULT_WEBSOCKET_PING_INTERVAL: float | None = None
#: The servers ``run_app`` (and ``trioquart run --server``) can serve on; the first is the
#: default.
SERVERS = ("hypercorn", "builtin")

#: What :func:`serve` serves on: Hypercorn's configuration, or the built-in server's.
AnyConfig: TypeAlias = HypercornConfig | ServerConfig


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


def builtin_config(host: str, port: int, **options: Any) -> ServerConfig:
    """The built-in server's configuration, bound to ``host:port``.

    trioquart's defaults: ``backlog`` ``DEFAULT_BACKLOG``. ``certfile`` and ``keyfile`` (named
    as for Hypercorn) make its ``ssl_context``; any other ``ServerConfig`` setting may be given
    by name.

    Raises:
        TypeError: an option that ``ServerConfig`` does not have.
        ValueError: a ``keyfile`` without a ``certfile``.
    """
    certfile = options.pop("certfile", None)
    keyfile = options.pop("keyfile", None)
    if certfile is not None:
        options["ssl_context"] = server_ssl_context(certfile, keyfile)
    elif keyfile is not None:
        raise ValueError("A keyfile needs its certfile")
    options.setdefault("backlog", DEFAULT_BACKLOG)
    # websocket_ping_interval keeps the server's own default (20 s), unlike Hypercorn's: the
    # built-in server's keepalive task ends with its connection's reader, where Hypercorn's
    # only looks at the connection between pings, so a closed connection is let go at once.
    return ServerConfig(host=host, port=port, **options)


def server_ssl_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """A server-side TLS context with the system's defaults and this certificate (and key)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context


async def serve(
    app: TrioQuart,
    config: AnyConfig,
    *,
    shutdown_trigger: trio.Event | None = None,
    handle_signals: bool = True,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` until SIGINT/SIGTERM (or until ``shutdown_trigger`` is set).

    On Hypercorn's trio worker for a ``HypercornConfig``, on the built-in server for a
    ``ServerConfig``. Reports the URLs it listens on through ``task_status`` (use with
    ``nursery.start``).
    """
    stop = shutdown_trigger if shutdown_trigger is not None else trio.Event()
    server_stop = trio.Event()
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
            server_stop.set()

        async def watch_signals() -> None:
            with signal_scope:
                await _wait_for_signal(stop)

        nursery.start_soon(shut_down_when_asked)
        if handle_signals:
            nursery.start_soon(watch_signals)
        urls: list[str] = await nursery.start(_serve_on, app, config, server_stop)
        if isinstance(config, ServerConfig):
            # Hypercorn logs its own; the built-in server leaves it to its caller.
            for url in urls:
                log.info("Running on %s", url)
        task_status.started(urls)
        await server_stop.wait()
    # The server has returned: the lifespan shutdown has run.


async def _serve_on(
    app: TrioQuart,
    config: AnyConfig,
    stop: trio.Event,
    *,
    task_status: trio.TaskStatus[list[str]],
) -> None:
    # The app's scopes and messages are typed ones; both servers take plain dicts.
    if isinstance(config, ServerConfig):
        await builtin_serve(
            app,  # type: ignore[arg-type]
            config,
            shutdown_trigger=stop,
            task_status=task_status,
        )
    else:
        await hypercorn_serve(
            app,  # type: ignore[arg-type]
            config,
            shutdown_trigger=stop.wait,
            task_status=task_status,
        )


async def _wait_for_signal(stop: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        # Trio's signal receiver never runs out: the loop only ends at the return.
        async for signum in signals:  # pragma: no branch
            log.info("Received %s, shutting down", signal.Signals(signum).name)
            stop.set()
            return


class AppNotFoundError(ValueError):
    """``find_app`` found no trioquart application where it was told to look.

    The message says what was looked for, what was found instead, and how to name the app.
    """


class FoundApp(NamedTuple):
    """An application found by :func:`find_app`, with the path that imports it again."""

    #: The application.
    app: TrioQuart
    #: ``"module:expression"`` naming the same app for Hypercorn's worker processes (which
    #: evaluate the expression in the module): ``"pkg.web:app"``, ``"pkg.web:create_app()"``.
    import_path: str


# "module:name", but not the colon of a Windows drive: "C:\web\app.py" is one module part.
_MODULE_SEPARATOR = re.compile(r":(?![\\/])")
# Looked for, in this order, when the target names a module alone (Quart's and Flask's names).
_APP_NAMES = ("app", "application")
_FACTORY_NAMES = ("create_app", "make_app")


def find_app(target: str) -> FoundApp:
    """Find the application that ``target`` names, importing its module.

    ``target`` is ``"module"`` or ``"module:name"``, where the module is a dotted name
    (imported with the current directory on the path) or a file (``"src/web/app.py"``, whose
    top package's parent directory is put on the path), and ``name`` is an attribute
    (``app``), a factory (``create_app``, called without arguments) or a factory call with
    literal arguments (``create_app('production', debug=False)``). Without a name, the module's
    ``app`` or ``application``, its only ``TrioQuart`` instance, or a ``create_app()`` or
    ``make_app()`` factory is used, in that order, as Quart does.

    Exceptions raised by the module or by a factory propagate, except an ``ImportError``
    while importing the module, reported as below.

    Raises:
        AppNotFoundError: the module cannot be imported, the name is not in it, the name is
            not an application (or a factory that returns one), or a factory cannot be called
            with the arguments given.
    """
    parts = _MODULE_SEPARATOR.split(target, maxsplit=1)
    if not parts[0]:
        raise AppNotFoundError(f"{target!r} names no module: use 'module:name'")
    module_name = _module_name(parts[0])
    module = _import(module_name)
    expression = parts[1].strip() if len(parts) == 2 else ""
    if expression:
        app, expression = _app_from_expression(module_name, module, expression)
    else:
        app, expression = _app_from_module(module_name, module)
    return FoundApp(app, f"{module_name}:{expression}")


def import_app(target: str) -> TrioQuart:
    """The application that ``target`` names: ``find_app(target).app``.

    Raises:
        AppNotFoundError: as :func:`find_app` does (a ``ValueError``).
    """
    return find_app(target).app


def _module_name(location: str) -> str:
    if not location.endswith(".py") and "/" not in location and os.sep not in location:
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")
        return location
    # A file: the module's dotted name goes up through the packages (folders with an
    # __init__.py) that hold it, and the folder above the top one is where it imports from.
    path = Path(location).resolve()
    if path.suffix == ".py":
        path = path.with_suffix("")
    if path.name == "__init__":
        path = path.parent
    names = [path.name]
    path = path.parent
    while (path / "__init__.py").is_file():
        names.append(path.name)
        path = path.parent
    if sys.path[:1] != [str(path)]:
        sys.path.insert(0, str(path))
    return ".".join(reversed(names))


def _import(module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        missing = error.name if isinstance(error, ModuleNotFoundError) else None
        if missing is not None and f"{module_name}.".startswith(f"{missing}."):
            raise AppNotFoundError(f"Cannot import {module_name!r}: {error}") from None
        # The module exists but an import inside it failed: where is the useful part.
        raise AppNotFoundError(
            f"Cannot import {module_name!r}: importing it raised\n\n{traceback.format_exc()}"
        ) from error


def _app_from_module(module_name: str, module: ModuleType) -> tuple[TrioQuart, str]:
    namespace = vars(module)
    for name in _APP_NAMES:
        if isinstance(namespace.get(name), TrioQuart):
            return namespace[name], name
    apps = [name for name, value in namespace.items() if isinstance(value, TrioQuart)]
    if len(apps) == 1:
        return namespace[apps[0]], apps[0]
    if apps:
        raise AppNotFoundError(
            f"{module_name!r} has several trioquart applications ({', '.join(apps)}): name "
            f"one, as in '{module_name}:{apps[0]}'"
        )
    for name in _FACTORY_NAMES:
        if inspect.isfunction(namespace.get(name)):
            return _call_factory(module_name, name, namespace[name], [], {}), f"{name}()"
    raise AppNotFoundError(
        f"{module_name!r} has no trioquart application: no 'app' or 'application' attribute, "
        "no TrioQuart instance at all, and no 'create_app' or 'make_app' factory. Name it, as "
        f"in '{module_name}:name' or '{module_name}:factory(arguments)'"
    )


def _app_from_expression(
    module_name: str, module: ModuleType, expression: str
) -> tuple[TrioQuart, str]:
    unparseable = AppNotFoundError(
        f"Cannot read {expression!r} as an attribute name ('app') or a factory call with "
        "literal arguments ('create_app(\"dev\", debug=True)')"
    )
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise unparseable from None
    if isinstance(node, ast.Name):
        name, called = node.id, False
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and all(keyword.arg is not None for keyword in node.keywords)
    ):
        name, called = node.func.id, True
        try:
            args = [ast.literal_eval(argument) for argument in node.args]
            kwargs = {str(kw.arg): ast.literal_eval(kw.value) for kw in node.keywords}
        except (ValueError, TypeError):  # not a literal; an unhashable key in a dict literal
            raise unparseable from None
    else:
        raise unparseable
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AppNotFoundError(f"{module_name!r} has no attribute {name!r}") from None
    if called or inspect.isfunction(value):
        app = _call_factory(module_name, name, value, args, kwargs)
        return app, expression if called else f"{name}()"
    if not isinstance(value, TrioQuart):
        raise AppNotFoundError(
            f"'{module_name}:{name}' is a {type(value).__name__}, not a trioquart application"
        )
    return value, name


def _call_factory(
    module_name: str,
    name: str,
    factory: Any,
    args: list[Any],
    kwargs: dict[str, Any],
) -> TrioQuart:
    where = f"'{module_name}:{name}'"
    try:
        inspect.signature(factory).bind(*args, **kwargs)
    except (TypeError, ValueError) as error:
        # A TypeError from the call itself would be indistinguishable from one raised inside
        # the factory, so the arguments are checked against its signature first.
        raise AppNotFoundError(
            f"Cannot call the factory {where} with these arguments ({error}); pass them as "
            f"in '{module_name}:{name}(\"value\", option=1)'"
        ) from None
    app = factory(*args, **kwargs)
    if not isinstance(app, TrioQuart):
        raise AppNotFoundError(
            f"The factory {where} returned a {type(app).__name__}, not a trioquart application"
        )
    return app


def configure_logging(config: AnyConfig, *, debug: bool = False) -> None:
    """Log to stderr through the root logger, with each of Hypercorn's lines printed once.

    Hypercorn gives ``hypercorn.error`` a stream handler of its own and turns its propagation
    on when it builds its loggers, lazily, on the first use of ``config.log``. Built while
    serving, they would send each line to that handler and to the root handler set up here, so
    they are built now, and the propagation is turned off once they have their own handler.
    The built-in server logs through the root logger only.
    """
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO)
    if isinstance(config, ServerConfig):
        return
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
    server: str = "hypercorn",
    access_log: bool = False,
    **options: Any,
) -> None:
    """Serve ``app`` and block until it is shut down.

    ``server`` is ``"hypercorn"`` (its trio worker) or ``"builtin"`` (``trioquart.server``);
    ``options`` are settings of that server (:func:`hypercorn_config`, :func:`builtin_config`).
    ``access_log`` logs every request (Hypercorn's to stdout). With ``use_reloader`` or
    ``workers > 1``, a supervisor (Hypercorn's, or ``trioquart.server.workers`` for the
    built-in server) runs the workers and needs ``application_path`` (``"module:app"``) to
    import the app in each of them.

    Raises:
        ValueError: an unknown server; reloading or several workers without
            ``application_path``; reloading on the built-in server.
        SystemExit: (status 1) a worker of the built-in server ended before it was told to
            stop; the others have been stopped.
    """
    if server not in SERVERS:
        raise ValueError(f"Unknown server {server!r}: use one of {', '.join(SERVERS)}")
    if debug:
        app.config["DEBUG"] = True
    if server == "builtin":
        if use_reloader:
            raise ValueError("The built-in server does not reload: serve on Hypercorn to reload")
        if workers > 1:
            _run_builtin_workers(
                app, host, port, debug, application_path, workers, access_log, options
            )
        else:
            _run_builtin(app, host, port, debug, access_log, options)
        return
    if access_log:
        options.setdefault("accesslog", "-")
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
    scheme = "https" if config.ssl_enabled else "http"
    print(f" * Serving {app.name!r} on {scheme}://{host}:{port} (Hypercorn, trio worker)")
    trio.run(serve, app, config)


def _run_builtin(
    app: TrioQuart,
    host: str,
    port: int,
    debug: bool,
    access_log: bool,
    options: dict[str, Any],
) -> None:
    config = builtin_config(host, port, access_log=access_log, **options)
    configure_logging(config, debug=debug)
    scheme = "https" if config.ssl_context is not None else "http"
    print(f" * Serving {app.name!r} on {scheme}://{host}:{port} (built-in server)")
    trio.run(serve, app, config)


def _run_builtin_workers(
    app: TrioQuart,
    host: str,
    port: int,
    debug: bool,
    application_path: str | None,
    workers: int,
    access_log: bool,
    options: dict[str, Any],
) -> None:
    if application_path is None:
        raise ValueError(
            "Several workers need the app's import path: use "
            "'trioquart run module:app --server builtin --workers N'"
        )
    certfile, keyfile = options.pop("certfile", None), options.pop("keyfile", None)
    # Built with the files once here, so that a bad setting or file fails before any worker
    # starts; the workers each make their own context from the files.
    tls = {"certfile": certfile, "keyfile": keyfile}
    config = builtin_config(host, port, access_log=access_log, **tls, **options)
    level = logging.DEBUG if debug else logging.INFO
    logging.basicConfig(level=level, format=WORKER_LOG_FORMAT)
    scheme = "https" if config.ssl_context is not None else "http"
    print(
        f" * Serving {app.name!r} on {scheme}://{host}:{port} (built-in server, {workers} workers)"
    )
    try:
        serve_workers(
            application_path,
            dataclasses.replace(config, ssl_context=None),
            workers,
            certfile=certfile,
            keyfile=keyfile,
            log_level=level,
            serve_with=f"{__name__}:serve_worker",
        )
    except WorkerFailedError:
        # Logged by the supervisor, worker by worker: a traceback here would say no more.
        raise SystemExit(1) from None


async def serve_worker(
    app: TrioQuart,
    config: ServerConfig,
    *,
    shutdown_trigger: trio.Event,
    listeners: list[trio.SocketListener],
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` in a worker of the built-in server, on the ``listeners`` it inherited.

    When ``shutdown_trigger`` is set (the worker handles the signals), trioquart's shutdown
    runs first, as in :func:`serve`: open event streams end, websockets are closed with 1001
    through the app, then the server's graceful shutdown and the lifespan shutdown.
    """
    server_stop = trio.Event()
    async with trio.open_nursery() as nursery:

        async def shut_down_when_asked() -> None:
            await shutdown_trigger.wait()
            app.shutdown_event.set()
            await app.connected_websockets.close_all(CloseCode.GOING_AWAY, "server shutting down")
            server_stop.set()

        nursery.start_soon(shut_down_when_asked)
        await builtin_serve(
            app,  # type: ignore[arg-type]
            config,
            shutdown_trigger=server_stop,
            listeners=listeners,
            task_status=task_status,
        )
