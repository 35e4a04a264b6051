"""The command line, in-process through click's runner (serving itself is tested end to end)."""

from __future__ import annotations

import importlib.metadata
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from trioquart import cli, serving
from trioquart.serving import import_app


def test_help_lists_the_run_options() -> None:
    result = CliRunner().invoke(cli.main, ["run", "--help"])
    assert result.exit_code == 0
    for option in [
        "--host",
        "--port",
        "--reload",
        "--workers",
        "--debug",
        "--backlog",
        "--ws-ping-interval",
        "--server",
        "--access-log",
    ]:
        assert option in result.output


def test_top_level_help() -> None:
    result = CliRunner().invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    assert "run" in result.output
    assert "--version" in result.output


def test_version_is_the_installed_one() -> None:
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"trioquart, version {importlib.metadata.version('trioquart')}\n"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_module:app", "Cannot import 'no_such_module'"),
        ("examples.hello:nothing_here", "'examples.hello' has no attribute 'nothing_here'"),
    ],
)
def test_bad_target_names_what_was_not_found(target: str, message: str) -> None:
    result = CliRunner().invoke(cli.main, ["run", target])
    assert result.exit_code == 2
    assert message in result.output


def test_target_without_attribute_defaults_to_app() -> None:
    from examples.hello import app

    assert import_app("examples.hello") is app


def test_options_reach_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run_app(app: Any, **options: Any) -> None:
        calls.append(options)

    monkeypatch.setattr(cli, "run_app", fake_run_app)
    result = CliRunner().invoke(
        cli.main,
        ["run", "examples.hello:app", "--host", "0.0.0.0", "--port", "8001", "--reload", "-w", "3"],
    )
    assert result.exit_code == 0, result.output
    assert calls == [
        {
            "host": "0.0.0.0",
            "port": 8001,
            "debug": False,
            "use_reloader": True,
            "workers": 3,
            "application_path": "examples.hello:app",
            "server": "hypercorn",
            "access_log": False,
            "backlog": serving.DEFAULT_BACKLOG,
        }
    ]


def test_backlog_and_ping_interval_reach_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run_app(app: Any, **options: Any) -> None:
        calls.append(options)

    monkeypatch.setattr(cli, "run_app", fake_run_app)
    result = CliRunner().invoke(
        cli.main, ["run", "examples.hello:app", "--backlog", "4096", "--ws-ping-interval", "15"]
    )
    assert result.exit_code == 0, result.output
    assert calls[0]["backlog"] == 4096
    assert calls[0]["websocket_ping_interval"] == 15.0
    # 0 turns the pings off; left out, each server keeps its own default.
    result = CliRunner().invoke(cli.main, ["run", "examples.hello:app", "--ws-ping-interval", "0"])
    assert result.exit_code == 0, result.output
    assert calls[1]["websocket_ping_interval"] is None
    refused = CliRunner().invoke(cli.main, ["run", "examples.hello:app", "--backlog", "0"])
    assert refused.exit_code == 2
    assert "--backlog" in refused.output


def test_server_tls_and_access_log_reach_the_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run_app(app: Any, **options: Any) -> None:
        calls.append(options)

    monkeypatch.setattr(cli, "run_app", fake_run_app)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("")
    key.write_text("")
    arguments = ["run", "examples.hello:app", "--server", "builtin", "--access-log"]
    result = CliRunner().invoke(cli.main, [*arguments, "--cert", str(cert), "--key", str(key)])
    assert result.exit_code == 0, result.output
    assert calls[0]["server"] == "builtin"
    assert calls[0]["access_log"] is True
    assert (calls[0]["certfile"], calls[0]["keyfile"]) == (str(cert), str(key))
    assert "websocket_ping_interval" not in calls[0]


@pytest.mark.parametrize("variable", ["TRIOQUART_SERVER", "TRIOQUART_RUN_SERVER"])
def test_the_server_may_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run_app(app: Any, **options: Any) -> None:
        calls.append(options)

    monkeypatch.setattr(cli, "run_app", fake_run_app)
    result = CliRunner().invoke(cli.main, ["run", "examples.hello:app"], env={variable: "builtin"})
    assert result.exit_code == 0, result.output
    assert calls[0]["server"] == "builtin"
    refused = CliRunner().invoke(cli.main, ["run", "examples.hello:app", "--server", "uvicorn"])
    assert refused.exit_code == 2
    assert "'uvicorn' is not one of 'hypercorn', 'builtin'" in refused.output


def test_the_builtin_server_refuses_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "run_app", lambda app, **options: pytest.fail("served"))
    result = CliRunner().invoke(
        cli.main, ["run", "examples.hello:app", "--server", "builtin", "--reload"]
    )
    assert result.exit_code == 2
    assert "use --server hypercorn for --reload" in result.output


def test_the_builtin_server_takes_several_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli, "run_app", lambda app, **options: calls.append(options))
    result = CliRunner().invoke(
        cli.main, ["run", "examples.hello:app", "--server", "builtin", "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    [options] = calls
    assert (options["server"], options["workers"]) == ("builtin", 2)
    assert options["application_path"] == "examples.hello:app"


def test_hypercorn_config_uses_the_trio_worker() -> None:
    config = serving.hypercorn_config("::1", 8000, graceful_timeout=2.0)
    assert config.worker_class == "trio"
    assert config.bind == ["[::1]:8000"]
    assert config.graceful_timeout == 2.0
    assert config.backlog == serving.DEFAULT_BACKLOG == 2048
    assert config.websocket_ping_interval is serving.DEFAULT_WEBSOCKET_PING_INTERVAL is None
    assert serving.hypercorn_config("::1", 8000, backlog=64).backlog == 64


def test_reload_without_an_import_path_is_refused() -> None:
    from examples.hello import app

    with pytest.raises(ValueError, match="import path"):
        serving.run_app(app, use_reloader=True)


async def test_hypercorn_lines_are_printed_once(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    hypercorn_error = logging.getLogger("hypercorn.error")
    monkeypatch.setattr(hypercorn_error, "handlers", [])
    monkeypatch.setattr(hypercorn_error, "propagate", True)
    level = hypercorn_error.level
    config = serving.hypercorn_config("127.0.0.1", 0)
    try:
        serving.configure_logging(config)
        # The line Hypercorn's trio worker logs once it is bound, through the same logger.
        await config.log.info("Running on %s (CTRL + C to quit)", "http://127.0.0.1:0")
    finally:
        hypercorn_error.setLevel(level)
    # Printed by Hypercorn's own handler, and not passed on to the root logger's handlers
    # (caplog's here, the one logging.basicConfig installs when serving).
    assert capsys.readouterr().err.count("Running on http://127.0.0.1:0") == 1
    assert [record for record in caplog.records if record.name == "hypercorn.error"] == []
