"""A real Hypercorn trio server on 127.0.0.1 for end-to-end tests.

``serve_app(nursery, app)`` starts Hypercorn's trio worker on an ephemeral port inside the
test's nursery and returns its base URL and a stop function; the ``server`` fixture does this for
the ``app`` fixture and stops it when the test ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, wrap_client_stream

from trioquart import TrioQuart
from trioquart.serving import hypercorn_config, serve


@dataclass
class RunningServer:
    """A server started by ``serve_app``."""

    url: str
    host: str
    port: int
    stop: Callable[[], Awaitable[None]]

    @property
    def ws_url(self) -> str:
        """The base ``ws://`` URL."""
        return f"ws://{self.host}:{self.port}"


async def serve_app(nursery: trio.Nursery, app: TrioQuart, **options: object) -> RunningServer:
    """Serve ``app`` with Hypercorn's trio worker on an ephemeral port of 127.0.0.1."""
    config = hypercorn_config("127.0.0.1", 0, graceful_timeout=1.0, **options)
    stop_event = trio.Event()
    finished = trio.Event()

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        try:
            await serve(
                app,
                config,
                shutdown_trigger=stop_event,
                handle_signals=False,
                task_status=task_status,
            )
        finally:
            finished.set()

    binds = await nursery.start(run)
    url = binds[0]
    host, _, port = url.removeprefix("http://").rpartition(":")

    async def stop() -> None:
        stop_event.set()
        with trio.fail_after(10):
            await finished.wait()

    return RunningServer(url=url, host=host, port=int(port), stop=stop)


@pytest.fixture
async def server(app: TrioQuart, nursery: trio.Nursery) -> AsyncIterator[RunningServer]:
    """``app`` served for real on 127.0.0.1; stopped when the test ends."""
    running = await serve_app(nursery, app)
    yield running
    await running.stop()


@asynccontextmanager
async def open_websocket(
    server: RunningServer, path: str, *, subprotocols: Iterable[str] | None = None
) -> AsyncIterator[WebSocketConnection]:
    """A trio-websocket client connection to ``server``.

    trio-websocket's ``open_websocket_url`` leaves its TCP socket open after a close the server
    started or a rejected handshake (its reader stops at end-of-stream without closing), which
    pytest reports as an unclosed socket. Owning the stream here lets the test close it.
    Errors are raised as themselves, not wrapped in an exception group.
    """
    stream = await trio.open_tcp_stream(server.host, server.port)
    try:
        async with trio.open_nursery() as nursery:
            connection = await wrap_client_stream(
                nursery, stream, f"{server.host}:{server.port}", path, subprotocols=subprotocols
            )
            try:
                yield connection
            finally:
                with trio.move_on_after(5, shield=True):
                    await connection.aclose()
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        await stream.aclose()


def close_code(error: ConnectionClosed) -> int:
    """The close code a trio-websocket ``ConnectionClosed`` carries."""
    assert error.reason is not None
    return int(error.reason.code)


def close_reason(error: ConnectionClosed) -> str | None:
    """The close reason a trio-websocket ``ConnectionClosed`` carries."""
    assert error.reason is not None
    return error.reason.reason
