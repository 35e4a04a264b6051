"""Listening, accepting and shutting down: the server as a whole.

``serve`` runs the app's lifespan startup, listens, gives every connection a task of its own,
and on its shutdown trigger stops accepting, lets the responses in flight finish (websockets
are closed with 1001), cancels what is left after ``graceful_timeout``, then runs the lifespan
shutdown. ``run`` does the same from synchronous code until SIGINT or SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import stat
from functools import partial

import trio

from .config import ServerConfig
from .http11 import Client, HTTP11Connection, Server
from .lifespan import Lifespan
from .socket_stream import DirectSocketStream
from .types import ASGIApp

log = logging.getLogger("trioquart.server")


async def serve(
    app: ASGIApp,
    config: ServerConfig,
    *,
    shutdown_trigger: trio.Event | None = None,
    listeners: list[trio.SocketListener] | None = None,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` until ``shutdown_trigger`` is set (forever without one).

    Reports the URLs it listens on through ``task_status`` (for ``nursery.start``), with the
    port the system chose for port 0. With ``config.ssl_context``, sets its ALPN protocols to
    ``http/1.1``. ``listeners`` already listening (a socket inherited from a supervisor) are
    served instead of ones opened from ``config.host`` and ``config.port``; they are closed
    when it returns.

    Raises:
        LifespanStartupError: the app's lifespan startup failed.
        OSError: the address could not be listened on.
    """
    trigger = shutdown_trigger if shutdown_trigger is not None else trio.Event()
    error: Exception | None = None
    async with trio.open_nursery() as nursery:
        lifespan = Lifespan(app, config)
        # Raised after the nursery, so that the caller gets the error itself, not a group.
        try:
            await lifespan.startup(nursery)
            try:
                if listeners is None:
                    listeners = await open_listeners(config)
            except OSError:
                await lifespan.shutdown()
                raise
            await Listening(app, config, listeners, lifespan.state).run(trigger, task_status)
            await lifespan.shutdown()
        except Exception as exc:
            error = exc
        nursery.cancel_scope.cancel()
    if error is not None:
        raise error


def run(app: ASGIApp, config: ServerConfig) -> None:  # pragma: no cover - in a subprocess
    """Serve ``app`` until SIGINT or SIGTERM, then shut down gracefully."""
    trio.run(serve_until_signalled, app, config)


async def serve_until_signalled(
    app: ASGIApp,
    config: ServerConfig,
    *,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """``serve`` with SIGINT and SIGTERM as its shutdown trigger."""
    trigger = trio.Event()
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def wait_for_signal() -> None:
                async for _ in signals:  # pragma: no branch - the first one is enough
                    trigger.set()
                    return

            nursery.start_soon(wait_for_signal)
            await serve(app, config, shutdown_trigger=trigger, task_status=task_status)
            nursery.cancel_scope.cancel()


async def open_listeners(config: ServerConfig) -> list[trio.SocketListener]:
    """Listen on ``config.uds`` if set, else on ``config.host`` and ``config.port``."""
    if config.uds is None:
        return await trio.open_tcp_listeners(config.port, host=config.host, backlog=config.backlog)
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.stat(config.uds).st_mode):
            os.unlink(config.uds)  # left by an earlier server
    sock = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        await sock.bind(config.uds)
        sock.listen(config.backlog)
    except OSError:
        sock.close()
        raise
    return [trio.SocketListener(sock)]


class Listening:
    """The listeners and the connections of a serving server."""

    def __init__(
        self,
        app: ASGIApp,
        config: ServerConfig,
        listeners: list[trio.SocketListener],
        state: dict[str, object] | None,
    ) -> None:
        self.app = app
        self.config = config
        self.listeners = listeners
        self.state = state
        self.stopping = trio.Event()
        self.connections: set[HTTP11Connection] = set()
        if config.ssl_context is not None:
            config.ssl_context.set_alpn_protocols(["http/1.1"])

    async def run(self, trigger: trio.Event, task_status: trio.TaskStatus[list[str]]) -> None:
        """Accept connections until ``trigger``, then shut down gracefully."""
        try:
            async with trio.open_nursery() as timers:
                timers.start_soon(self._expire_heads)
                await self._serve(trigger, task_status)
                timers.cancel_scope.cancel()
        finally:
            if self.config.uds is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.config.uds)

    async def _serve(self, trigger: trio.Event, task_status: trio.TaskStatus[list[str]]) -> None:
        """Accept connections until ``trigger``, then wait for them within the grace period."""
        async with trio.open_nursery() as connections:
            async with trio.open_nursery() as accepting:
                await accepting.start(
                    partial(trio.serve_listeners, handler_nursery=connections),
                    self._serve_connection,
                    self.listeners,
                )
                task_status.started([self.url(listener) for listener in self.listeners])
                await trigger.wait()
                accepting.cancel_scope.cancel()
            self.stopping.set()
            for connection in list(self.connections):
                connection.stop()
            connections.cancel_scope.deadline = trio.current_time() + self.config.graceful_timeout

    async def _expire_heads(self) -> None:
        """End the connections whose awaited request head is overdue, a few times a second.

        One task for the whole server, so that a request costs no more than writing down its
        deadline. A connection ends late by at most a quarter of the shorter timeout, and by
        at most a second.
        """
        config = self.config
        tick = max(0.01, min(1.0, config.keep_alive_timeout / 4, config.header_timeout / 4))
        while True:
            await trio.sleep(tick)
            now = trio.current_time()
            for connection in self.connections:
                connection.expire(now)

    def url(self, listener: trio.SocketListener) -> str:
        """The URL a listener serves."""
        if self.config.uds is not None:
            return f"unix:{self.config.uds}"
        host, port = listener.socket.getsockname()[:2]
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.config.ssl_context is not None else "http"
        return f"{scheme}://{host}:{port}"

    async def _serve_connection(self, stream: trio.SocketStream) -> None:
        """Serve one accepted connection (``serve_listeners`` closes it afterwards).

        An error of the server's own on one connection is logged; it must not stop the others.
        """
        try:
            await self._serve_stream(stream)
        except Exception:
            log.exception("internal error serving a connection")

    async def _serve_stream(self, accepted: trio.SocketStream) -> None:
        """Do the TLS handshake if any, then serve HTTP/1.1 (and websockets) on ``accepted``."""
        stream = DirectSocketStream.taking_over(accepted)
        try:
            await self._serve_direct(stream)
        finally:
            await stream.aclose()

    async def _serve_direct(self, stream: DirectSocketStream) -> None:
        """``_serve_stream`` on the connection's socket, which ``stream`` now owns."""
        try:
            client, server = addresses(stream.socket)
        except OSError:
            return  # the client reset the connection before it was served
        transport: trio.abc.Stream = stream
        if self.config.ssl_context is not None:
            transport = trio.SSLStream(
                stream, self.config.ssl_context, server_side=True, https_compatible=True
            )
            with trio.move_on_after(self.config.header_timeout) as handshake:
                try:
                    await transport.do_handshake()
                except trio.BrokenResourceError:
                    return
            if handshake.cancelled_caught:
                return
        connection = HTTP11Connection(
            transport,
            self.app,
            self.config,
            secure=self.config.ssl_context is not None,
            client=client,
            server=server,
            state=self.state,
            stopping=self.stopping,
        )
        self.connections.add(connection)
        try:
            await connection.run()
        finally:
            self.connections.discard(connection)


def addresses(sock: socket.socket) -> tuple[Client, Server]:
    """The client's and the server's address of a connection, as a scope gives them."""
    if sock.family == socket.AF_UNIX:
        return None, (str(sock.getsockname()), None)
    peer = sock.getpeername()
    host, port = sock.getsockname()[:2]
    return (peer[0], peer[1]), (host, port)
