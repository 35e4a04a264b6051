"""Tests of ``cli_app.py``'s commands with ``app.test_cli_runner()`` (``docs/cli.md``)."""

from __future__ import annotations

import json
from pathlib import Path

from trioquart.cli import main

from .cli_app import USERS, app


def test_create_user() -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "alice", "--admin"])
    assert result.exit_code == 0, result.output
    assert result.output == "cli_app: created alice (admin)\n"
    assert USERS == {"root": "admin", "alice": "admin"}


def test_export(tmp_path: Path) -> None:
    USERS["bob"] = "member"
    target = tmp_path / "users.json"
    result = app.test_cli_runner().invoke(args=["export", str(target)])
    assert result.output == f"Wrote {target}: bob, root\n"
    assert json.loads(target.read_text()) == {"bob": "member", "root": "admin"}


def test_routes() -> None:
    # The built-in commands take the app from the runner too.
    result = app.test_cli_runner().invoke(main, ["routes"])
    assert "list_users  GET      /users" in result.output
