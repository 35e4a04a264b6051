"""Serving in this process: ``app.run`` until a signal, the supervisor path (reload and workers),
logging, and ``python -m trioquart`` (the subprocess versions are in e2e/test_serving_e2e.py)."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import runpy
import signal
import sys

import httpx
import pytest
import trio
import trio.testing
from hypercorn.config import Config as HypercornConfig

from trioquart import TrioQuart, serving


class RecordingHandler(logging.Handler):
    """Keeps the messages of the records it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_app_run_serves_until_sigterm(
    app: TrioQuart,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Hypercorn's lines go to a logger of the test's own (given as ``errorlog``), which tells
    # the ephemeral port; its state is restored afterwards.
    server_log = logging.getLogger("tests.test_serving.server")
    lines = RecordingHandler()
    monkeypatch.setattr(server_log, "handlers", [lines])
    monkeypatch.setattr(server_log, "propagate", True)
    monkeypatch.setattr(server_log, "level", logging.INFO)
    caplog.set_level(logging.INFO, logger="trioquart")
    log: list[str] = []

    @app.get("/")
    async def index() -> str:
        return "served"

    async def client_then_sigterm() -> None:
        # Every task blocked: Hypercorn listens, and trioquart's signal receiver is open.
        await trio.testing.wait_all_tasks_blocked()
        [address] = [
            found.group(0)
            for line in lines.messages
            if (found := re.search(r"http://127\.0\.0\.1:\d+", line))
        ]
        async with httpx.AsyncClient(base_url=address) as http:
            log.append((await http.get("/")).text)
        os.kill(os.getpid(), signal.SIGTERM)

    @app.before_serving
    async def start_client() -> None:
        app.nursery.start_soon(client_then_sigterm)

    @app.after_serving
    async def after() -> None:
        log.append("after_serving")

    app.run(port=0, errorlog=server_log, keep_alive_timeout=0.1, graceful_timeout=1.0)

    assert log == ["served", "after_serving"]
    assert f" * Serving {app.name!r} on http://127.0.0.1:0" in capsys.readouterr().out
    # configure_logging: Hypercorn's logger has a handler, so it no longer propagates.
    assert server_log.propagate is False
    assert "Received SIGTERM, shutting down" in caplog.messages


@pytest.mark.parametrize(
    ("options", "reloads", "workers"),
    [({"use_reloader": True}, True, 1), ({"workers": 3}, False, 3)],
    ids=["reload", "workers"],
)
def test_reload_and_workers_hand_the_config_to_hypercorns_supervisor(
    app: TrioQuart,
    monkeypatch: pytest.MonkeyPatch,
    options: dict[str, bool | int],
    reloads: bool,
    workers: int,
) -> None:
    import hypercorn.run

    configs: list[HypercornConfig] = []
    monkeypatch.setattr(hypercorn.run, "run", configs.append)
    monkeypatch.setattr(logging, "basicConfig", lambda **kwargs: None)
    serving.run_app(
        app,
        host="::1",
        port=8123,
        debug=True,
        application_path="examples.hello:app",
        **options,  # type: ignore[arg-type]
    )
    [config] = configs
    assert config.application_path == "examples.hello:app"
    assert config.use_reloader is reloads
    assert config.workers == workers
    assert config.bind == ["[::1]:8123"]
    assert config.worker_class == "trio"
    assert app.config["DEBUG"] is True


def test_the_access_log_and_tls_on_hypercorn(
    app: TrioQuart, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[HypercornConfig] = []

    async def fake_serve(app: TrioQuart, config: HypercornConfig) -> None:
        served.append(config)

    monkeypatch.setattr(serving, "serve", fake_serve)
    # Hypercorn loads the files only when it serves: their names are enough here.
    serving.run_app(app, port=8443, access_log=True, certfile="cert.pem", keyfile="key.pem")
    [config] = served
    assert config.accesslog == "-"  # Hypercorn's access log to stdout
    assert config.ssl_enabled
    assert (
        f" * Serving {app.name!r} on https://127.0.0.1:8443 (Hypercorn" in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"server": "uvicorn"}, "Unknown server 'uvicorn': use one of hypercorn, builtin"),
        ({"server": "builtin", "use_reloader": True}, "does not reload"),
    ],
    ids=["unknown", "builtin-reload"],
)
def test_run_app_refuses_what_its_server_cannot_do(
    app: TrioQuart, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        serving.run_app(app, application_path="examples.hello:app", **options)  # type: ignore[arg-type]


def test_a_logger_given_as_errorlog_without_handlers_keeps_propagating(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    own = logging.getLogger("tests.test_serving.own")
    monkeypatch.setattr(own, "handlers", [])
    monkeypatch.setattr(own, "propagate", True)
    config = serving.hypercorn_config("127.0.0.1", 0, errorlog=own)
    serving.configure_logging(config)
    assert own.propagate is True
    own.warning("reaches the root handlers")
    assert [record.getMessage() for record in caplog.records if record.name == own.name] == [
        "reaches the root handlers"
    ]


def test_python_dash_m_runs_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["trioquart", "--version"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("trioquart", run_name="__main__")
    assert exited.value.code == 0
    assert capsys.readouterr().out == (
        f"trioquart, version {importlib.metadata.version('trioquart')}\n"
    )
