"""A real Hypercorn trio server on 127.0.0.1 for end-to-end tests.

``serve_app(nursery, app)`` starts Hypercorn's trio worker on an ephemeral port inside the
test's nursery and returns its base URL and a stop function. ``served(nursery, app)`` does this
for a block and checks for leaks when the block ends; the ``server`` fixture does that for the
``app`` fixture and the whole test. Tests of shutdown itself use ``serve_app``: once ``serve``
has returned, structured concurrency leaves none of the server's tasks running.
"""

from __future__ import annotations

import gc
import os
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import trio
import trio.testing
from trio_websocket import ConnectionClosed, WebSocketConnection, wrap_client_stream

from trioquart import TrioQuart, websocket
from trioquart.serving import AnyConfig, builtin_config, hypercorn_config, serve


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


#: The servers the end-to-end suite runs against: every test that serves an app runs on each
#: (``server_kind``), except those marked ``hypercorn_only`` (about Hypercorn, or not a server).
SERVERS = ("hypercorn", "builtin")
_serving_with = ["hypercorn"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each end-to-end test once per server in ``SERVERS``."""
    if "server_kind" in metafunc.fixturenames:
        only_hypercorn = metafunc.definition.get_closest_marker("hypercorn_only") is not None
        kinds = ["hypercorn"] if only_hypercorn else list(SERVERS)
        metafunc.parametrize("server_kind", kinds, indirect=True)


@pytest.fixture(autouse=True)
def server_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """The server ``serve_app`` starts in this test: Hypercorn's trio worker or trioquart's."""
    kind: str = getattr(request, "param", "hypercorn")
    _serving_with[0] = kind
    try:
        yield kind
    finally:
        _serving_with[0] = "hypercorn"


async def serve_app(
    nursery: trio.Nursery, app: TrioQuart, *, server: str | None = None, **options: object
) -> RunningServer:
    """Serve ``app`` on an ephemeral port of 127.0.0.1 with ``server`` (one of ``SERVERS``),
    by default the server of ``server_kind``."""
    # A short keep-alive: Hypercorn keeps a connection's task until its idle timeout even
    # after some clients have closed (seen after a streamed response), and the leak check of
    # the ``server`` fixture waits for it.
    options = {"keep_alive_timeout": 1.0, "graceful_timeout": 1.0, **options}
    config: AnyConfig
    if (server or _serving_with[0]) == "builtin":
        config = builtin_config("127.0.0.1", 0, **options)
    else:
        config = hypercorn_config("127.0.0.1", 0, **options)
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


@asynccontextmanager
async def served(
    nursery: trio.Nursery, app: TrioQuart, *, server: str | None = None, **options: object
) -> AsyncIterator[RunningServer]:
    """``app`` served for the block (see ``serve_app``), and a leak check when it ends.

    Once the block is done with its clients, the process's trio tasks and open files must
    come back to what they were when the server had started (``Baseline``), before the
    server is stopped. A block that raises skips the check (its error says more).
    """
    running = await serve_app(nursery, app, server=server, **options)
    try:
        await trio.testing.wait_all_tasks_blocked()
        baseline = Baseline.now()
        yield running
        await baseline.wait_until_back()
    finally:
        await running.stop()


@pytest.fixture
async def server(app: TrioQuart, nursery: trio.Nursery) -> AsyncIterator[RunningServer]:
    """``app`` served for real on 127.0.0.1 for the test, with the leak check of ``served``."""
    async with served(nursery, app) as running:
        yield running


@dataclass
class Baseline:
    """The process's trio task count and open file descriptors at one moment."""

    tasks: int
    files: int

    @classmethod
    def now(cls) -> Baseline:
        """Count them now."""
        return cls(len(running_tasks()), len(os.listdir("/proc/self/fd")))

    async def wait_until_back(self, timeout: float = 5) -> None:
        """Wait until there are no more tasks and files than at the baseline.

        Polled (a server's connection ending and its socket closing have no event to await).

        Raises:
            AssertionError: still more after ``timeout`` seconds, with the tasks left.
        """
        with trio.move_on_after(timeout):
            while Baseline.now().above(self):  # noqa: ASYNC110
                await trio.sleep(0.01)
        now = Baseline.now()
        assert not now.above(self), (
            f"leak: {now} after the clients left, {self} before; the tasks, where they wait:\n"
            + "\n".join(describe_tasks())
        )

    def above(self, other: Baseline) -> bool:
        """Whether there are more tasks or files than in ``other``."""
        return self.tasks > other.tasks or self.files > other.files


def running_tasks() -> list[str]:
    """The names of every running trio task of this process."""
    names = []
    pending = [trio.lowlevel.current_root_task()]
    while pending:
        task = pending.pop()
        assert task is not None
        names.append(task.name)
        for nursery in task.child_nurseries:
            pending.extend(nursery.child_tasks)
    return names


@asynccontextmanager
async def open_websocket(
    server: RunningServer,
    path: str,
    *,
    subprotocols: Iterable[str] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
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
                nursery,
                stream,
                f"{server.host}:{server.port}",
                path,
                subprotocols=subprotocols,
                extra_headers=headers,
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


def add_waiting_socket(app: TrioQuart, log: list[str]) -> None:
    """A websocket route at ``/ws`` that says hello, then waits until cancelled (and logs
    that it was)."""

    @app.websocket("/ws")
    async def waiting() -> None:
        await websocket.send("hello")
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            log.append("handler cancelled")
            raise


def close_code(error: ConnectionClosed) -> int:
    """The close code a trio-websocket ``ConnectionClosed`` carries."""
    assert error.reason is not None
    return int(error.reason.code)


def close_reason(error: ConnectionClosed) -> str | None:
    """The close reason a trio-websocket ``ConnectionClosed`` carries."""
    assert error.reason is not None
    return error.reason.reason


def describe_tasks() -> list[str]:
    """Every task's name and where it waits, innermost frame last (for a failure message)."""
    lines = []
    pending = [(trio.lowlevel.current_root_task(), 0)]
    while pending:
        task, depth = pending.pop()
        assert task is not None
        lines.append("  " * depth + f"{task.name} @ " + " > ".join(await_chain(task.coro)))
        for nursery in task.child_nurseries:
            pending.extend((child, depth + 1) for child in nursery.child_tasks)
    return lines


def await_chain(awaitable: object) -> list[str]:
    """Where a coroutine waits, outermost first, through ``__await__`` wrappers too (Hypercorn's
    ``TCPServer`` is awaited as an object, which ``Task.iter_await_frames`` stops at)."""
    where = []
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            inner = [
                referent
                for referent in gc.get_referents(awaitable)
                if isinstance(referent, types.CoroutineType | types.GeneratorType)
            ]
            if not inner:
                break
            awaitable = inner[0]
            continue
        where.append(
            f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} {frame.f_code.co_name}"
        )
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return where
