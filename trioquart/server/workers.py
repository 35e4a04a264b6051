"""Several worker processes of the built-in server on one listening socket, and their supervisor.

The supervisor (the parent process) listens on the socket once and starts each worker as
``python -m trioquart.server.workers``, handing the socket down as an inherited file
descriptor. One socket shared this way is one accept queue that every worker waits on, on any
POSIX system: a connection goes to a worker that is free to accept it. ``SO_REUSEPORT`` would
give each worker a socket and a queue of its own, spread connections by a hash of their
addresses without regard to which worker is busy, lose the connections queued on a worker's
socket when that worker ends, and let any other process of the same user bind the port too.

Shutdown: on SIGINT or SIGTERM the supervisor sends SIGTERM to every worker, whose handler
runs the server's graceful shutdown (no more accepting, responses in flight finished,
websockets closed with 1001, then the lifespan shutdown), and waits for them; a worker still
running after twice ``graceful_timeout`` and ``STOP_MARGIN`` (the requests' grace, then the
lifespan's) is killed. The workers ignore SIGINT, which a terminal's Ctrl-C sends to the whole
process group: the supervisor alone decides. Each worker also holds the reading end of a pipe
whose writing end only the supervisor has: if the supervisor dies without stopping them (it
was killed), the pipe's end of file makes each worker shut down gracefully, so none is left
serving on its own.

Crash policy: a worker that ends before it was told to stop stops all the others, and the
supervisor raises ``WorkerFailedError`` after logging which worker ended and how. Workers are
not restarted: one that fails at startup (an import error, a failed lifespan startup) would
fail again, and a process manager (systemd, a container runtime) that restarts the whole
server is where a restart policy with back-off belongs.

The app is imported in each worker from its import path, ``"module:name"`` or
``"module:factory(literal arguments)"``, as a supervisor cannot pass a live app on; TLS is
given as certificate and key files for the same reason. A framework that has a shutdown of its
own to run before the server's (trioquart closes its websockets and ends its event streams
through the app) names the function that serves in each worker with ``serve_with``.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import logging
import os
import signal
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import trio

from .config import ServerConfig
from .serve import serve
from .types import ASGIApp

log = logging.getLogger("trioquart.server")

#: Seconds a worker gets beyond its two graceful timeouts before it is killed.
STOP_MARGIN = 5.0
#: The workers' log lines: the process id tells which worker wrote one.
WORKER_LOG_FORMAT = "[%(process)d] [%(levelname)s] %(message)s"


#: What serves the app in a worker: ``serve``, or a function called as it is, with
#: ``shutdown_trigger``, ``listeners`` and ``task_status``.
ServeFunction = Callable[..., Awaitable[None]]


class WorkerFailedError(RuntimeError):
    """A worker process ended while it was meant to serve."""


def serve_workers(
    application_path: str,
    config: ServerConfig,
    workers: int,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
    log_level: int = logging.INFO,
    serve_with: str | None = None,
) -> None:
    """Serve the app at ``application_path`` in ``workers`` processes until SIGINT or SIGTERM.

    ``config`` must not hold an ``ssl_context`` (a context cannot be passed to another
    process): ``certfile`` and ``keyfile`` make one in each worker instead. The workers log to
    stderr at ``log_level`` in ``WORKER_LOG_FORMAT``. ``serve_with`` is the import path
    (``"module:name"``) of the function that serves the app in each worker, by default this
    server's ``serve`` (see ``ServeFunction``). Returns once every worker has ended.

    Raises:
        ValueError: an ``ssl_context`` or a ``uds`` in ``config``, or fewer than one worker.
        WorkerFailedError: a worker ended before it was told to stop (the others have been
            stopped).
        OSError: the address could not be listened on.
    """
    if config.ssl_context is not None or config.uds is not None:
        raise ValueError("Give the workers certfile and keyfile, not an ssl_context, and no uds")
    if workers < 1:
        raise ValueError(f"At least one worker is needed, not {workers}")
    settings = {
        "config": {
            field.name: getattr(config, field.name)
            for field in dataclasses.fields(config)
            if field.name != "ssl_context"
        },
        "certfile": certfile,
        "keyfile": keyfile,
        "log_level": log_level,
        "serve_with": serve_with,
    }
    with listening_socket(config) as sock:
        trio.run(_supervise, application_path, json.dumps(settings), workers, sock, config)


def listening_socket(config: ServerConfig) -> socket.socket:
    """A TCP socket listening on ``config.host`` and ``config.port``, for every worker."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # A restarted supervisor binds again while the old connections are in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host, config.port))
        sock.listen(config.backlog)
    except OSError:
        sock.close()
        raise
    return sock


async def _supervise(
    application_path: str,
    settings: str,
    workers: int,
    sock: socket.socket,
    config: ServerConfig,
) -> None:
    """Start the workers on ``sock``, wait for a signal or a worker's end, then stop them."""
    failed: list[str] = []
    alive_read, alive_write = os.pipe()
    try:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            command = [
                *(sys.executable, "-m", "trioquart.server.workers"),
                *(str(sock.fileno()), str(alive_read), application_path, settings),
            ]
            processes: list[trio.Process] = []
            try:
                try:
                    for _ in range(workers):
                        process = await trio.lowlevel.open_process(
                            command, pass_fds=[sock.fileno(), alive_read]
                        )
                        processes.append(process)
                        log.info("Started worker %d", process.pid)
                finally:
                    os.close(alive_read)
                async with trio.open_nursery() as nursery:
                    for process in processes:
                        nursery.start_soon(_watch, process, failed, nursery.cancel_scope)
                    async for signum in signals:  # pragma: no branch - the first one is enough
                        log.info("Received %s, stopping the workers", signal.Signals(signum).name)
                        nursery.cancel_scope.cancel()
                        break
            finally:
                with trio.CancelScope(shield=True):
                    await _stop(processes, 2 * config.graceful_timeout + STOP_MARGIN)
    finally:
        os.close(alive_write)
    if failed:
        raise WorkerFailedError("; ".join(failed))


async def _watch(process: trio.Process, failed: list[str], stop_all: trio.CancelScope) -> None:
    """Wait for ``process``, which is meant to run until it is told to stop."""
    code = await process.wait()
    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
    failed.append(f"worker {process.pid} ended ({how})")
    log.error("Worker %d ended (%s) before it was told to stop: stopping all", process.pid, how)
    stop_all.cancel()


async def _stop(processes: list[trio.Process], timeout: float) -> None:
    """SIGTERM every worker still running, and SIGKILL those left after ``timeout``."""
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    with trio.move_on_after(timeout):
        for process in processes:
            await process.wait()
    for process in processes:
        if process.returncode is None:
            log.error("Worker %d did not stop in %.0f s: killed", process.pid, timeout)
            process.kill()
            await process.wait()


def load_object(path: str) -> Any:
    """The object that ``"module:name"`` names."""
    module_name, _, name = path.partition(":")
    return getattr(importlib.import_module(module_name), name)


def load_app(application_path: str) -> ASGIApp:
    """The app that ``"module:name"`` or ``"module:factory(literal arguments)"`` names.

    Raises:
        ValueError: the part after the colon is neither a name nor a factory call with
            literal arguments.
    """
    module_name, _, expression = application_path.partition(":")
    module = importlib.import_module(module_name)
    node = ast.parse(expression or "app", mode="eval").body
    if isinstance(node, ast.Name):
        app: ASGIApp = getattr(module, node.id)
        return app
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [ast.literal_eval(argument) for argument in node.args]
        kwargs = {str(kw.arg): ast.literal_eval(kw.value) for kw in node.keywords}
        made: ASGIApp = getattr(module, node.func.id)(*args, **kwargs)
        return made
    raise ValueError(f"Cannot read {expression!r} as a name or a factory call")


def worker_main(argv: list[str]) -> None:
    """A worker: ``FD ALIVE_FD APPLICATION_PATH SETTINGS_JSON``, serving until SIGTERM.

    ``FD`` is the listening socket; ``ALIVE_FD`` the pipe that ends when the supervisor does.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd, alive_fd, application_path, settings_json = argv
    settings: dict[str, Any] = json.loads(settings_json)
    logging.basicConfig(level=settings["log_level"], format=WORKER_LOG_FORMAT)
    config = ServerConfig(**settings["config"])
    if settings["certfile"] is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(settings["certfile"], settings["keyfile"])
        config = dataclasses.replace(config, ssl_context=context)
    serve_with = settings["serve_with"]
    serve_function = serve if serve_with is None else load_object(serve_with)
    app = load_app(application_path)
    sock = socket.socket(fileno=int(fd))
    trio.run(serve_socket, app, config, sock, int(alive_fd), serve_function)


async def serve_socket(
    app: ASGIApp,
    config: ServerConfig,
    sock: socket.socket,
    alive: int,
    serve_function: ServeFunction = serve,
) -> None:
    """Serve ``app`` on the listening ``sock`` with ``serve_function`` until SIGTERM or the end
    of the ``alive`` pipe, then shut down gracefully."""
    listener = trio.SocketListener(trio.socket.from_stdlib_socket(sock))
    trigger = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_wait_for_stop, trigger, trio.lowlevel.FdStream(alive))
        urls = await nursery.start(
            partial(serve_function, app, config, shutdown_trigger=trigger, listeners=[listener])
        )
        for url in urls:
            log.info("Running on %s", url)


async def _wait_for_stop(trigger: trio.Event, alive: trio.lowlevel.FdStream) -> None:
    """Set ``trigger`` at SIGTERM, or once the supervisor has gone."""
    async with alive, trio.open_nursery() as nursery:

        async def on_sigterm() -> None:
            with trio.open_signal_receiver(signal.SIGTERM) as signals:
                async for _ in signals:  # pragma: no branch - the first one is enough
                    log.info("Received SIGTERM, shutting down")
                    break
            nursery.cancel_scope.cancel()

        async def on_orphaned() -> None:
            # The supervisor never writes: the only thing to read is the end of the pipe.
            await alive.receive_some()
            log.warning("The supervisor has gone: shutting down")
            nursery.cancel_scope.cancel()

        nursery.start_soon(on_sigterm)
        nursery.start_soon(on_orphaned)
    trigger.set()


if __name__ == "__main__":  # pragma: no cover - in the worker processes
    worker_main(sys.argv[1:])
