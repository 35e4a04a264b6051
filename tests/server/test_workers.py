"""Several workers of the built-in server (``trioquart.server.workers``).

The supervisor runs in a subprocess (it owns its signals) with the app of
``tests.server.workers_app``, which answers with its process id and writes its lifespan events
to stderr. The supervisor and its workers share that stderr, so reading it to its end proves
that every one of them has ended. Readiness is read from the workers' "Running on" lines.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed

from tests.e2e.conftest import RunningServer, close_code, open_websocket
from tests.server.workers_app import app as workers_app
from trioquart.server import ServerConfig, workers

ROOT = Path(__file__).resolve().parents[2]
RUNNING_ON = re.compile(r"\[(\d+)\] \[INFO\] Running on (https?)://127\.0\.0\.1:(\d+)")
APP = "tests.server.workers_app:app"

# The supervisor as a program: path, ServerConfig settings (JSON), workers, serve_workers'
# keywords (JSON), STOP_MARGIN. A WorkerFailedError ends it with status 3.
SUPERVISOR = """\
import json, logging, sys
from trioquart.server import ServerConfig, workers
logging.basicConfig(level=logging.INFO, format=workers.WORKER_LOG_FORMAT)
path, settings, count, keywords, margin = sys.argv[1:]
workers.STOP_MARGIN = float(margin)
config = ServerConfig(**json.loads(settings))
try:
    workers.serve_workers(path, config, int(count), **json.loads(keywords))
except workers.WorkerFailedError as error:
    print(f"supervisor failed: {error}", file=sys.stderr, flush=True)
    sys.exit(3)
"""


@dataclass
class Supervisor:
    """A running supervisor and what it and its workers have written to stderr so far."""

    process: trio.Process
    stderr: trio.abc.ReceiveStream
    output: str = ""
    pids: list[int] = field(default_factory=list)
    url: str = ""

    @property
    def server(self) -> RunningServer:
        """The e2e suite's description of the workers' address."""
        host, _, port = self.url.partition("://")[2].rpartition(":")
        return RunningServer(self.url, host, int(port), trio.lowlevel.checkpoint)

    async def read_until(self, text: str) -> None:
        """Read stderr until ``text`` has been written."""
        with trio.fail_after(30):
            while text not in self.output:
                chunk = await self.stderr.receive_some()
                if not chunk:
                    raise AssertionError(f"stderr ended before {text!r}:\n{self.output}")
                self.output += chunk.decode()

    async def read_to_the_end(self) -> str:
        """Read stderr until every process that holds it has ended; all of it."""
        with trio.fail_after(30):
            while chunk := await self.stderr.receive_some():
                self.output += chunk.decode()
        return self.output

    async def exit_status(self) -> int:
        """The supervisor's exit status, once it and its workers have ended."""
        with trio.fail_after(30):
            code = await self.process.wait()
        await self.read_to_the_end()
        return code


@asynccontextmanager
async def supervised(
    count: int = 2,
    path: str = APP,
    *,
    ready: bool = True,
    stop_margin: float = workers.STOP_MARGIN,
    keywords: dict[str, object] | None = None,
    **settings: object,
) -> AsyncIterator[Supervisor]:
    """A supervisor of ``count`` workers on 127.0.0.1 (port 0), once every worker listens
    (unless not ``ready``); stopped on exit if the test has not (SIGKILL after 10 s)."""
    config = {"host": "127.0.0.1", "port": 0, "graceful_timeout": 2.0, **settings}
    process = await trio.lowlevel.open_process(
        [
            *(sys.executable, "-c", SUPERVISOR, path, json.dumps(config), str(count)),
            *(json.dumps(keywords or {}), str(stop_margin)),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    supervisor = Supervisor(process, process.stderr)
    try:
        if ready:
            with trio.fail_after(30):
                while len(found := RUNNING_ON.findall(supervisor.output)) < count:
                    chunk = await supervisor.stderr.receive_some()
                    assert chunk, supervisor.output
                    supervisor.output += chunk.decode()
            supervisor.pids = [int(pid) for pid, _, _ in found]
            assert len(set(supervisor.pids)) == count
            assert len({port for _, _, port in found}) == 1  # one socket for all
            _, scheme, port = found[0]
            supervisor.url = f"{scheme}://127.0.0.1:{port}"
        yield supervisor
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
                with trio.move_on_after(10):
                    await process.wait()
            process.kill()
            await process.wait()
            await supervisor.stderr.aclose()


async def pids_answering(supervisor: Supervisor, verify: ssl.SSLContext | bool = True) -> set[int]:
    """The process ids of the workers that answer requests, each on a connection of its own,
    asked until two different ones have answered (whichever worker is woken first accepts a
    connection, so it takes a few)."""
    seen: set[int] = set()
    with trio.fail_after(30):
        while len(seen) < 2:
            async with httpx.AsyncClient(base_url=supervisor.url, verify=verify) as http:
                seen.add((await http.get("/")).json()["pid"])
    return seen


def assert_all_ended(pids: list[int]) -> None:
    """None of ``pids`` is a running process."""
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


# --- serving and stopping ---------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_two_workers_serve_and_stop_gracefully(signum: signal.Signals) -> None:
    closes: list[tuple[int, int]] = []
    async with supervised() as supervisor:
        assert await pids_answering(supervisor) == set(supervisor.pids)
        send_pid, receive_pid = trio.open_memory_channel[int](0)

        async def hold_websocket() -> None:
            async with open_websocket(supervisor.server, "/ws") as connection:
                pid = int(await connection.get_message())
                await send_pid.send(pid)
                with pytest.raises(ConnectionClosed) as caught:
                    await connection.get_message()
            closes.append((pid, close_code(caught.value)))

        async with trio.open_nursery() as nursery:
            holding: set[int] = set()
            with trio.fail_after(30):
                while len(holding) < 2:  # websockets until both workers hold one
                    nursery.start_soon(hold_websocket)
                    holding.add(await receive_pid.receive())
            supervisor.process.send_signal(signum)
        assert await supervisor.exit_status() == 0
    assert {pid for pid, _ in closes} == set(supervisor.pids)
    assert {code for _, code in closes} == {1001}
    for pid in supervisor.pids:
        assert f"[{pid}] lifespan shutdown" in supervisor.output
        assert f"[{pid}] [INFO] Received SIGTERM, shutting down" in supervisor.output
    assert f"Received {signum.name}, stopping the workers" in supervisor.output
    assert "Traceback" not in supervisor.output
    assert_all_ended(supervisor.pids)


async def test_a_worker_that_is_killed_stops_the_others() -> None:
    async with supervised() as supervisor:
        killed, other = supervisor.pids
        os.kill(killed, signal.SIGKILL)
        assert await supervisor.exit_status() == 3
    assert (
        f"Worker {killed} ended (killed by SIGKILL) before it was told to stop: stopping all"
        in supervisor.output
    )
    assert f"[{other}] lifespan shutdown" in supervisor.output
    assert f"supervisor failed: worker {killed} ended (killed by SIGKILL)" in supervisor.output
    assert_all_ended(supervisor.pids)


async def test_workers_that_fail_at_startup_stop_the_supervisor() -> None:
    async with supervised(path="tests.server.no_such_module:app", ready=False) as supervisor:
        assert await supervisor.exit_status() == 3
    # The whole output in each message: this test failed twice in long runs (2026-12-01), with
    # the output cut short in the report.
    output = supervisor.output
    assert "ModuleNotFoundError: No module named 'tests.server.no_such_module'" in output, output
    assert re.search(r"Worker \d+ ended \(exit status 1\) before it was told to stop", output)
    assert "Running on" not in output, output


async def test_workers_outlive_no_killed_supervisor() -> None:
    async with supervised() as supervisor:
        async with open_websocket(supervisor.server, "/ws") as connection:
            pid = int(await connection.get_message())
            supervisor.process.kill()
            with pytest.raises(ConnectionClosed) as caught:
                await connection.get_message()
        assert close_code(caught.value) == 1001
        # The end of stderr: every worker, which held it too, has ended.
        await supervisor.read_to_the_end()
    assert await supervisor.process.wait() == -signal.SIGKILL
    for worker in supervisor.pids:
        assert f"[{worker}] [WARNING] The supervisor has gone: shutting down" in supervisor.output
        assert f"[{worker}] lifespan shutdown" in supervisor.output
    assert pid in supervisor.pids
    assert "Traceback" not in supervisor.output


async def test_a_worker_that_does_not_stop_in_time_is_killed() -> None:
    path = "tests.server.workers_app:make_app(hang_at_shutdown=True)"
    async with supervised(path=path, graceful_timeout=0.25, stop_margin=0.5) as supervisor:
        supervisor.process.send_signal(signal.SIGTERM)
        # Told to stop, and then killed for not stopping: that is no failure.
        assert await supervisor.exit_status() == 0
    for pid in supervisor.pids:
        assert f"[{pid}] lifespan shutdown hangs" in supervisor.output
        assert f"Worker {pid} did not stop in 1 s: killed" in supervisor.output
        assert f"[{pid}] lifespan shutdown\n" not in supervisor.output
    assert_all_ended(supervisor.pids)


# --- settings ---------------------------------------------------------------------------------


async def test_settings_and_serve_with_reach_every_worker() -> None:
    async with supervised(
        keywords={"serve_with": "tests.server.workers_app:serve_loudly"},
        root_path="/mounted",
        server_header="workers-test",
        access_log=True,
        max_body_bytes=10,
        websocket_max_message_size=10,
    ) as supervisor:
        async with httpx.AsyncClient(base_url=supervisor.url) as http:
            response = await http.get("/")
        assert response.headers["server"] == "workers-test"
        assert response.json()["root_path"] == "/mounted"
        async with httpx.AsyncClient(base_url=supervisor.url) as http:
            assert (await http.post("/", content=b"x" * 11)).status_code == 413
        async with open_websocket(supervisor.server, "/ws") as connection:
            await connection.get_message()  # the pid
            await connection.send_message("x" * 11)
            with pytest.raises(ConnectionClosed) as caught:
                await connection.get_message()
        assert close_code(caught.value) == 1009
        await supervisor.read_until('"GET / HTTP/1.1" 200')
        for pid in supervisor.pids:
            assert f"[{pid}] served by serve_loudly" in supervisor.output
        supervisor.process.send_signal(signal.SIGTERM)
        assert await supervisor.exit_status() == 0


async def test_workers_serve_tls_from_a_certificate_and_key_file(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = (str(path) for path in certificate)
    async with supervised(keywords={"certfile": cert, "keyfile": key}) as supervisor:
        assert supervisor.url.startswith("https://")
        trusted = ssl.create_default_context(cafile=cert)
        assert await pids_answering(supervisor, trusted) == set(supervisor.pids)
        async with httpx.AsyncClient(base_url=supervisor.url, verify=trusted) as http:
            assert (await http.get("/")).json()["scheme"] == "https"


# --- in this process --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "count", "message"),
    [
        (ServerConfig(ssl_context=ssl.create_default_context()), 2, "not an ssl_context"),
        (ServerConfig(uds="/tmp/trioquart-workers.sock"), 2, "and no uds"),
        (ServerConfig(), 0, "At least one worker is needed, not 0"),
    ],
    ids=["ssl_context", "uds", "no-workers"],
)
def test_serve_workers_refuses_what_it_cannot_pass_on(
    config: ServerConfig, count: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        workers.serve_workers(APP, config, count)


def test_listening_socket_on_ipv4_and_ipv6() -> None:
    with workers.listening_socket(ServerConfig(host="127.0.0.1", port=0)) as sock:
        assert sock.family == socket.AF_INET
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
        port = sock.getsockname()[1]
        # The address is taken: the error comes out, and the new socket is closed.
        with pytest.raises(OSError, match="in use"):
            workers.listening_socket(ServerConfig(host="127.0.0.1", port=port))
    if not socket.has_ipv6:  # pragma: no cover - the test images have IPv6
        pytest.skip("no IPv6")
    try:
        sock = workers.listening_socket(ServerConfig(host="::1", port=0))
    except OSError:  # pragma: no cover - a container without ::1
        pytest.skip("no ::1")
    with sock:
        assert sock.family == socket.AF_INET6


def test_load_app_takes_a_name_a_factory_call_or_the_module_alone() -> None:
    assert workers.load_app("tests.server.workers_app:app") is workers_app
    assert workers.load_app("tests.server.workers_app") is workers_app
    made = workers.load_app("tests.server.workers_app:make_app(hang_at_shutdown=False)")
    assert callable(made)
    assert made is not workers_app
    with pytest.raises(ValueError, match=r"Cannot read 'app\.attribute' as a name or a factory"):
        workers.load_app("tests.server.workers_app:app.attribute")
