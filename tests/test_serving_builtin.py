"""Serving on the built-in server through ``trioquart.serving``: ``builtin_config``, ``serve``
with a ``ServerConfig``, ``app.run(server="builtin")``, ``trioquart run --server builtin``,
and the examples of docs/serving.md's section on it, run as the page shows them."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import trio.testing
from trio_websocket import ConnectionClosed

from tests.e2e.conftest import (
    RunningServer,
    add_waiting_socket,
    close_code,
    close_reason,
    open_websocket,
)
from trioquart import TrioQuart, serving
from trioquart.server import ServerConfig
from trioquart.server import serve as server_serve
from trioquart.server.workers import WorkerFailedError

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"Running on (https?://127\.0\.0\.1:(\d+))")
WORKER_URL = re.compile(r"\[(\d+)\] \[INFO\] Running on (http://127\.0\.0\.1:\d+)")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, from the openssl tool."""
    openssl = shutil.which("openssl")
    if openssl is None:  # pragma: no cover - the test images have openssl
        pytest.skip("no openssl to make a certificate with")
    folder = tmp_path_factory.mktemp("builtin-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt"),
            *("ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def running_at(url: str) -> RunningServer:
    """The e2e suite's description of a server listening at ``url``."""
    host, _, port = url.partition("://")[2].rpartition(":")
    return RunningServer(url, host, int(port), trio.lowlevel.checkpoint)


# --- builtin_config --------------------------------------------------------------------------


def test_builtin_config_has_trioquarts_defaults_and_takes_any_setting() -> None:
    config = serving.builtin_config("::1", 8000, graceful_timeout=2.0, access_log=True)
    assert (config.host, config.port) == ("::1", 8000)
    assert config.backlog == serving.DEFAULT_BACKLOG == 2048
    # The built-in server keeps its own pings (unlike Hypercorn's configuration).
    assert config.websocket_ping_interval == 20.0
    assert config.graceful_timeout == 2.0
    assert config.access_log is True
    assert config.ssl_context is None
    assert serving.builtin_config("::1", 8000, backlog=64).backlog == 64


def test_builtin_config_refuses_what_the_server_does_not_have() -> None:
    with pytest.raises(TypeError, match="h11_max_incomplete_size"):
        serving.builtin_config("127.0.0.1", 0, h11_max_incomplete_size=1)
    with pytest.raises(ValueError, match="A keyfile needs its certfile"):
        serving.builtin_config("127.0.0.1", 0, keyfile="key.pem")


def test_builtin_config_makes_a_server_tls_context(certificate: tuple[Path, Path]) -> None:
    cert, key = (str(path) for path in certificate)
    context = serving.builtin_config("127.0.0.1", 0, certfile=cert, keyfile=key).ssl_context
    assert isinstance(context, ssl.SSLContext)
    assert context.protocol == ssl.PROTOCOL_TLS_SERVER


# --- serve() with a ServerConfig ------------------------------------------------------------


async def test_serve_closes_websockets_with_1001_then_runs_the_lifespan_shutdown(
    app: TrioQuart, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trioquart")
    log: list[str] = []
    add_waiting_socket(app, log)

    @app.get("/")
    async def index() -> str:
        return "served"

    @app.after_serving
    async def after() -> None:
        log.append(f"after_serving, shutdown_event set: {app.shutdown_event.is_set()}")

    config = serving.builtin_config("127.0.0.1", 0, graceful_timeout=1.0)
    stop = trio.Event()
    finished = trio.Event()

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        await serving.serve(
            app, config, shutdown_trigger=stop, handle_signals=False, task_status=task_status
        )
        finished.set()

    [url] = await nursery.start(run)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert f"Running on {url}" in caplog.messages
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/")).text == "served"
    async with open_websocket(running_at(url), "/ws") as connection:
        assert await connection.get_message() == "hello"
        stop.set()
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    # Closed by trioquart (its reason), before the server's own 1001 would have come.
    assert (close_code(caught.value), close_reason(caught.value)) == (1001, "server shutting down")
    with trio.fail_after(10):
        await finished.wait()
    assert log == ["handler cancelled", "after_serving, shutdown_event set: True"]


async def test_sigterm_stops_the_builtin_server_gracefully(
    app: TrioQuart, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trioquart")
    log: list[str] = []
    add_waiting_socket(app, log)
    config = serving.builtin_config("127.0.0.1", 0, graceful_timeout=1.0)
    finished = trio.Event()

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        await serving.serve(app, config, task_status=task_status)
        finished.set()

    [url] = await nursery.start(run)
    async with open_websocket(running_at(url), "/ws") as connection:
        assert await connection.get_message() == "hello"
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    assert close_code(caught.value) == 1001
    with trio.fail_after(10):
        await finished.wait()
    assert log == ["handler cancelled"]
    assert "Received SIGTERM, shutting down" in caplog.messages


async def test_serve_over_tls_from_a_certfile_and_keyfile(
    app: TrioQuart, nursery: trio.Nursery, certificate: tuple[Path, Path]
) -> None:
    @app.get("/")
    async def index() -> str:
        return "secret"

    cert, key = (str(path) for path in certificate)
    config = serving.builtin_config("127.0.0.1", 0, certfile=cert, keyfile=key)
    stop = trio.Event()
    [url] = await nursery.start(
        lambda task_status: serving.serve(
            app, config, shutdown_trigger=stop, handle_signals=False, task_status=task_status
        )
    )
    assert url.startswith("https://127.0.0.1:")
    trusted = ssl.create_default_context(cafile=cert)
    async with httpx.AsyncClient(base_url=url, verify=trusted) as http:
        assert (await http.get("/")).text == "secret"
    stop.set()


# --- app.run() and run_app ------------------------------------------------------------------


def test_app_run_on_the_builtin_server_serves_until_sigterm(
    app: TrioQuart, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trioquart")
    log: list[str] = []

    @app.get("/")
    async def index() -> str:
        return "served"

    async def client_then_sigterm() -> None:
        # Every task blocked: the server listens, and the signal receiver is open.
        await trio.testing.wait_all_tasks_blocked()
        [url] = [found.group(1) for line in caplog.messages if (found := URL.search(line))]
        async with httpx.AsyncClient(base_url=url) as http:
            log.append((await http.get("/")).text)
        os.kill(os.getpid(), signal.SIGTERM)

    @app.before_serving
    async def start_client() -> None:
        app.nursery.start_soon(client_then_sigterm)

    @app.after_serving
    async def after() -> None:
        log.append("after_serving")

    app.run(port=0, server="builtin", graceful_timeout=1.0)

    assert log == ["served", "after_serving"]
    assert f" * Serving {app.name!r} on http://127.0.0.1:0 (built-in server)\n" in (
        capsys.readouterr().out
    )


def test_run_app_gives_the_builtin_server_tls_and_the_access_log(
    app: TrioQuart,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    certificate: tuple[Path, Path],
) -> None:
    served: list[ServerConfig] = []

    async def fake_serve(app: TrioQuart, config: ServerConfig) -> None:
        served.append(config)

    monkeypatch.setattr(serving, "serve", fake_serve)
    cert, key = (str(path) for path in certificate)
    serving.run_app(app, port=8443, server="builtin", access_log=True, certfile=cert, keyfile=key)
    [config] = served
    assert config.access_log is True
    assert config.ssl_context is not None
    assert "on https://127.0.0.1:8443 (built-in server)" in capsys.readouterr().out


# --- trioquart run --server builtin ---------------------------------------------------------


@asynccontextmanager
async def trioquart_run(*args: str) -> AsyncIterator[trio.Process]:
    """``python -m trioquart run *args`` from the repository's root, its output piped; stopped
    on exit (SIGTERM, then SIGKILL after 10 s) if the test has not waited for it."""
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "trioquart", "run", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
                with trio.move_on_after(10):
                    await process.wait()
            process.kill()
            await process.wait()
            for stream in (process.stdout, process.stderr):
                assert stream is not None
                await stream.aclose()


async def read_url(stream: trio.abc.ReceiveStream) -> tuple[str, str]:
    """Read ``stream`` until the server says where it listens: that URL, and what was read."""
    seen = ""
    with trio.fail_after(30):
        while (found := URL.search(seen)) is None:
            chunk = await stream.receive_some()
            if not chunk:
                raise AssertionError(f"The server ended before it listened:\n{seen}")
            seen += chunk.decode()
    return found.group(1), seen


async def read_all(stream: trio.abc.ReceiveStream | None) -> str:
    """The rest of ``stream``, up to its end."""
    assert stream is not None
    chunks = []
    while chunk := await stream.receive_some():
        chunks.append(chunk)
    return b"".join(chunks).decode()


async def greet_echo_and_stop(process: trio.Process, url: str, name: str) -> None:
    """``examples.hello`` served at ``url`` by ``process``: it greets ``name`` and echoes over
    a websocket; SIGTERM then closes the websocket with 1001 and the process exits with 0."""
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.get(f"/hello/{name}")
    assert response.json() == {"greeting": f"Hello, {name}!"}
    async with open_websocket(running_at(url), "/ws") as connection:
        await connection.send_message("echo me")
        assert await connection.get_message() == "echo me"
        process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    assert close_code(caught.value) == 1001
    with trio.fail_after(15):
        assert await process.wait() == 0


async def test_cli_serves_on_the_builtin_server_and_stops_on_sigterm_with_1001() -> None:
    async with trioquart_run("examples.hello:app", "--port", "0", "--server", "builtin") as (
        process
    ):
        assert process.stderr is not None
        url, _ = await read_url(process.stderr)
        await greet_echo_and_stop(process, url, "builtin")
        assert await read_all(process.stdout) == (
            " * Serving 'hello' on http://127.0.0.1:0 (built-in server)\n"
        )
        rest = await read_all(process.stderr)
        assert "Received SIGTERM, shutting down" in rest
        assert "Traceback" not in rest


# --- several workers --------------------------------------------------------------------------


def test_run_app_needs_the_import_path_for_builtin_workers(app: TrioQuart) -> None:
    with pytest.raises(ValueError, match="Several workers need the app's import path"):
        serving.run_app(app, server="builtin", workers=2)


def test_run_app_hands_builtin_workers_the_import_path_settings_and_tls_files(
    app: TrioQuart,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    certificate: tuple[Path, Path],
) -> None:
    calls: list[tuple[str, ServerConfig, int, dict[str, Any]]] = []

    def fake_serve_workers(path: str, config: ServerConfig, workers: int, **keywords: Any) -> None:
        calls.append((path, config, workers, keywords))

    monkeypatch.setattr(serving, "serve_workers", fake_serve_workers)
    cert, key = (str(path) for path in certificate)
    serving.run_app(
        app,
        port=8443,
        debug=True,
        server="builtin",
        workers=3,
        application_path="examples.hello:app",
        access_log=True,
        certfile=cert,
        keyfile=key,
        graceful_timeout=2.0,
    )
    [(path, config, workers, keywords)] = calls
    assert (path, workers) == ("examples.hello:app", 3)
    # A context cannot reach another process: the workers get the files.
    assert config.ssl_context is None
    assert keywords == {
        "certfile": cert,
        "keyfile": key,
        "log_level": logging.DEBUG,
        "serve_with": "trioquart.serving:serve_worker",
    }
    assert (config.port, config.access_log, config.graceful_timeout) == (8443, True, 2.0)
    assert config.backlog == serving.DEFAULT_BACKLOG
    assert f" * Serving {app.name!r} on https://127.0.0.1:8443 (built-in server, 3 workers)" in (
        capsys.readouterr().out
    )


def test_run_app_exits_with_1_when_a_builtin_worker_failed(
    app: TrioQuart, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object, **keywords: object) -> None:
        raise WorkerFailedError("worker 12 ended (exit status 1)")

    monkeypatch.setattr(serving, "serve_workers", failing)
    with pytest.raises(SystemExit) as exited:
        serving.run_app(app, server="builtin", workers=2, application_path="examples.hello:app")
    assert exited.value.code == 1
    assert exited.value.__context__ is not None  # the error, kept for a debugger
    assert exited.value.__suppress_context__


async def test_cli_serves_on_builtin_workers_and_stops_on_sigterm_with_1001() -> None:
    async with trioquart_run(
        *("examples.hello:app", "--port", "0", "--server", "builtin", "--workers", "2")
    ) as process:
        assert process.stderr is not None
        seen = ""
        with trio.fail_after(30):
            while len(found := WORKER_URL.findall(seen)) < 2:
                chunk = await process.stderr.receive_some()
                assert chunk, seen
                seen += chunk.decode()
        pids = {pid for pid, _ in found}
        [url] = {url for _, url in found}  # one socket for both workers
        assert len(pids) == 2
        await greet_echo_and_stop(process, url, "workers")
        assert await read_all(process.stdout) == (
            " * Serving 'hello' on http://127.0.0.1:0 (built-in server, 2 workers)\n"
        )
        rest = seen + await read_all(process.stderr)
        assert "Received SIGTERM, stopping the workers" in rest
        for pid in pids:
            assert f"[{pid}] [INFO] Received SIGTERM, shutting down" in rest
        assert "Traceback" not in rest


# --- docs/serving.md, "The built-in server" -------------------------------------------------


def docs_section() -> str:
    """The text of docs/serving.md's section on the built-in server."""
    page = (ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    return page.split("\n## The built-in server\n", 1)[1].split("\n## ", 1)[0]


def docs_examples() -> list[str]:
    """The section's Python examples, in order."""
    examples = re.findall(r"```python\n(.*?)```", docs_section(), flags=re.DOTALL)
    assert len(examples) == 3
    return examples


def docs_example(index: int, **names: Any) -> dict[str, Any]:
    """The namespace left by the section's example number ``index``, run as a module that is
    not ``__main__`` (unless ``names`` says otherwise) with ``names`` defined."""
    namespace: dict[str, Any] = {"__name__": "docs_serving_builtin", **names}
    exec(compile(docs_examples()[index], f"docs/serving.md, example {index}", "exec"), namespace)
    return namespace


def test_docs_app_run_example_chooses_the_builtin_server(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    app = TrioQuart(__name__)
    monkeypatch.setattr(app, "run", lambda **options: calls.append(options))
    docs_example(0, __name__="__main__", app=app)
    assert calls == [{"host": "127.0.0.1", "port": 5000, "server": "builtin"}]


async def test_docs_embedded_example_serves_until_sigterm(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="trioquart")
    example = docs_example(1)
    finished = trio.Event()

    async def run() -> None:
        await example["main"](0)
        finished.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        await trio.testing.wait_all_tasks_blocked()
        printed = capsys.readouterr().out
        url = printed.removeprefix("listening on ").strip()
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/")).text == "served by the built-in server"
        os.kill(os.getpid(), signal.SIGTERM)
        with trio.fail_after(10):
            await finished.wait()
    assert any(re.search(r'"GET / HTTP/1\.1" 200', line) for line in caplog.messages)


async def test_docs_any_asgi_app_example(nursery: trio.Nursery) -> None:
    example = docs_example(2)
    stop = trio.Event()
    config = ServerConfig(host="127.0.0.1", port=0)
    [url] = await nursery.start(
        lambda task_status: server_serve(
            example["hello"], config, shutdown_trigger=stop, task_status=task_status
        )
    )
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/")).text == "any ASGI app"
    stop.set()


def test_docs_settings_table_lists_every_setting() -> None:
    rows = re.findall(r"^\| (`[^|]*) \|", docs_section(), flags=re.MULTILINE)
    documented = set(re.findall(r"`(\w+)`", " ".join(rows)))
    assert {field.name for field in dataclasses.fields(ServerConfig)} <= documented


async def test_docs_cli_example_prints_what_the_page_shows() -> None:
    async with trioquart_run(
        "docs.examples.cli_app:app", "--server", "builtin", "--port", "0"
    ) as process:
        assert process.stderr is not None
        url, seen = await read_url(process.stderr)
        assert f"INFO:trioquart:Running on {url}\n" in seen
        process.send_signal(signal.SIGINT)
        with trio.fail_after(15):
            assert await process.wait() == 0
        assert await read_all(process.stdout) == (
            " * Serving 'cli_app' on http://127.0.0.1:0 (built-in server)\n"
        )
        rest = await read_all(process.stderr)
        assert "Traceback" not in rest
        assert "KeyboardInterrupt" not in rest
