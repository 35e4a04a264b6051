"""Serving: graceful shutdown (1001), signals, the CLI, and the wrong worker class."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import trio
import trio.testing
from trio_websocket import ConnectionClosed, WebSocketConnection

from trioquart import TrioQuart
from trioquart.serving import hypercorn_config, serve

from .conftest import RunningServer, add_waiting_socket, close_code, open_websocket, serve_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]


async def test_shutdown_closes_websockets_with_1001_then_runs_the_lifespan_shutdown(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    log: list[str] = []
    add_waiting_socket(app, log)

    async def background() -> None:
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            log.append("background cancelled")
            raise

    @app.before_serving
    async def start_background() -> None:
        app.nursery.start_soon(background)

    @app.while_serving
    async def resource() -> AsyncGenerator[None, None]:
        yield
        log.append("while_serving teardown")

    @app.after_serving
    async def after() -> None:
        log.append("after_serving")

    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0
    running = await serve_app(nursery, app)
    async with open_websocket(running, "/ws") as connection:
        assert await connection.get_message() == "hello"
        await running.stop()
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    assert close_code(caught.value) == 1001
    assert log == [
        "handler cancelled",
        "background cancelled",
        "while_serving teardown",
        "after_serving",
    ]


async def test_a_shutdown_trigger_stops_the_server_while_it_also_watches_signals(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    config = hypercorn_config("127.0.0.1", 0, graceful_timeout=1.0)
    trigger = trio.Event()
    finished = trio.Event()

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        await serve(app, config, shutdown_trigger=trigger, task_status=task_status)
        finished.set()

    await nursery.start(run)
    trigger.set()
    with trio.fail_after(10):
        await finished.wait()


async def test_sigterm_triggers_the_graceful_shutdown(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    log: list[str] = []
    add_waiting_socket(app, log)
    config = hypercorn_config("127.0.0.1", 0, graceful_timeout=1.0)
    finished = trio.Event()

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        await serve(app, config, task_status=task_status)
        finished.set()

    binds = await nursery.start(run)
    host, _, port = binds[0].removeprefix("http://").rpartition(":")
    running = RunningServer(binds[0], host, int(port), finished.wait)
    async with open_websocket(running, "/ws") as connection:
        assert await connection.get_message() == "hello"
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    assert close_code(caught.value) == 1001
    with trio.fail_after(10):
        await finished.wait()
    assert log == ["handler cancelled"]


@asynccontextmanager
async def python_process(
    *args: str,
) -> AsyncIterator[tuple[trio.Process, trio.abc.ReceiveStream]]:
    """``python *args`` in the project directory, with its stderr to read; stopped on exit
    (SIGTERM, then SIGKILL after 10 s) if the test has not waited for it."""
    process = await trio.lowlevel.open_process(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        yield process, process.stderr
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
                with trio.move_on_after(10):
                    await process.wait()
            process.kill()
            await process.wait()
            await process.stderr.aclose()


async def read_until(
    stream: trio.abc.ReceiveStream, pattern: str, count: int = 1
) -> tuple[re.Match[str], str]:
    """Read ``stream`` until ``pattern`` has appeared ``count`` times; the last match."""
    seen = ""
    while True:
        chunk = await stream.receive_some()
        if not chunk:
            raise AssertionError(f"The process ended before printing {pattern!r}:\n{seen}")
        seen += chunk.decode()
        matches = list(re.finditer(pattern, seen))
        if len(matches) >= count:
            return matches[-1], seen


async def server_started(stderr: trio.abc.ReceiveStream) -> RunningServer:
    """Wait for the server in a subprocess to say where it listens (its stop is a signal)."""
    with trio.fail_after(30):
        match, _ = await read_until(stderr, r"Running on http://127\.0\.0\.1:(\d+)")
    port = int(match.group(1))
    return RunningServer(f"http://127.0.0.1:{port}", "127.0.0.1", port, trio.lowlevel.checkpoint)


async def test_cli_serves_the_demo_and_stops_on_sigterm_with_1001(server_kind: str) -> None:
    serve = ["run", "examples.hello:app", "--port", "0", "--server", server_kind]
    async with python_process("-m", "trioquart", *serve) as (
        process,
        stderr,
    ):
        running = await server_started(stderr)
        async with httpx.AsyncClient(base_url=running.url) as http:
            response = await http.get("/hello/cli")
        assert response.json() == {"greeting": "Hello, cli!"}
        async with open_websocket(running, "/ws") as connection:
            await connection.send_message("echo me")
            assert await connection.get_message() == "echo me"
            process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as caught:
                await connection.get_message()
        assert close_code(caught.value) == 1001
        with trio.fail_after(15):
            assert await process.wait() == 0


@pytest.mark.hypercorn_only
async def test_cli_reports_a_bad_target() -> None:
    result = await trio.run_process(
        [sys.executable, "-m", "trioquart", "run", "no_such_module:app"],
        cwd=PROJECT_ROOT,
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )
    assert result.returncode == 2
    assert b"Cannot import 'no_such_module'" in result.stderr


@pytest.mark.hypercorn_only
async def test_hypercorn_asyncio_worker_fails_loudly_naming_the_fix() -> None:
    async with python_process(
        "-m", "hypercorn", "--worker-class", "asyncio", "-b", "127.0.0.1:0", "examples.hello:app"
    ) as (_process, stderr):
        with trio.fail_after(30):
            _, output = await read_until(stderr, r"--worker-class trio")
        assert "Lifespan failure in startup" in output


async def test_chat_demo_under_the_cli_closes_every_client_with_1001_on_sigterm(
    server_kind: str,
) -> None:
    serve = ["run", "examples.chat:app", "--port", "0", "--server", server_kind]
    async with python_process("-m", "trioquart", *serve) as (
        process,
        stderr,
    ):
        running = await server_started(stderr)
        ada_login = await log_in(running, "ada")
        bob_login = await log_in(running, "bob")
        async with (
            open_websocket(running, "/ws/lobby", headers=ada_login) as ada,
            open_websocket(running, "/ws/lobby", headers=bob_login) as bob,
        ):
            assert '"name": "ada"' in str(await ada.get_message())
            assert '"name": "bob"' in str(await ada.get_message())
            assert '"name": "bob"' in str(await bob.get_message())
            await bob.send_message("hi ada")
            assert "hi ada" in str(await ada.get_message())
            process.send_signal(signal.SIGTERM)
            codes = [await close_code_after_messages(connection) for connection in (ada, bob)]
        assert codes == [1001, 1001]
        with trio.fail_after(5):
            assert await process.wait() == 0
        _, output = await read_until(stderr, r"after_serving: chat closed")
        assert "Traceback" not in output


async def log_in(running: RunningServer, name: str) -> list[tuple[bytes, bytes]]:
    """Log in to the chat demo through its form; the ``Cookie`` header that proves it."""
    async with httpx.AsyncClient(base_url=running.url) as http:
        response = await http.post("/login", data={"name": name})
        assert response.status_code == 302
        return [(b"Cookie", f"session={http.cookies['session']}".encode())]


async def close_code_after_messages(connection: WebSocketConnection) -> int:
    """Read whatever is still queued, then return the close code."""
    while True:
        try:
            await connection.get_message()
        except ConnectionClosed as closed:
            return close_code(closed)


async def test_cli_stops_on_ctrl_c_without_a_traceback(server_kind: str) -> None:
    serve = ["run", "examples.hello:app", "--port", "0", "--server", server_kind]
    async with python_process("-m", "trioquart", *serve) as (
        process,
        stderr,
    ):
        await server_started(stderr)
        process.send_signal(signal.SIGINT)
        with trio.fail_after(5):
            assert await process.wait() == 0
        rest = (await stderr.receive_some()).decode()
        assert "Traceback" not in rest
        assert "KeyboardInterrupt" not in rest


async def test_in_flight_request_finishes_during_shutdown(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    entered = trio.Event()
    release = trio.Event()

    @app.get("/slow")
    async def slow() -> str:
        entered.set()
        await release.wait()
        return "finished"

    running = await serve_app(nursery, app)
    async with httpx.AsyncClient(base_url=running.url) as http:
        responses: list[httpx.Response] = []

        async def request() -> None:
            responses.append(await http.get("/slow"))

        async with trio.open_nursery() as requests:
            requests.start_soon(request)
            await entered.wait()
            requests.start_soon(running.stop)
            await trio.testing.wait_all_tasks_blocked()
            release.set()
    assert [response.text for response in responses] == ["finished"]


@pytest.mark.hypercorn_only
@pytest.mark.parametrize(
    "command",
    [
        ["-m", "hypercorn", "--worker-class", "trio", "-w", "2", "-b", "127.0.0.1:0"],
        ["-m", "trioquart", "run", "--port", "0", "--workers", "2"],
    ],
    ids=["hypercorn-w2", "trioquart-workers2"],
)
async def test_two_worker_processes_each_serve(command: list[str]) -> None:
    if command[1] == "hypercorn":
        command = [*command, "examples.hello:app"]
    else:
        command = [*command[:3], "examples.hello:app", *command[3:]]
    async with python_process(*command) as (_process, stderr):
        with trio.fail_after(30):
            match, output = await read_until(
                stderr, r"\[(\d+)\] \[INFO\] Running on http://127\.0\.0\.1:(\d+)", count=2
            )
        pids = set(re.findall(r"\[(\d+)\] \[INFO\] Running on", output))
        assert len(pids) == 2  # one lifespan and one server per worker process
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{match.group(2)}") as http:
            response = await http.get("/hello/workers")
        assert response.json() == {"greeting": "Hello, workers!"}


@pytest.mark.hypercorn_only
@pytest.mark.parametrize(
    "command",
    [
        ["-c", "from examples.hello import app; app.run(port=0)"],
        ["-m", "trioquart", "run", "examples.hello:app", "--port", "0", "--reload"],
    ],
    ids=["app.run", "cli-reload"],
)
async def test_app_run_and_reload_serve_then_stop(command: list[str]) -> None:
    async with python_process(*command) as (process, stderr):
        running = await server_started(stderr)
        async with httpx.AsyncClient(base_url=running.url) as http:
            response = await http.get("/hello/runner")
        assert response.json() == {"greeting": "Hello, runner!"}
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(10):
            assert await process.wait() == 0
