"""The examples of ``docs/cli.md`` (``docs/examples/cli_*.py``), run as the page shows them.

The page's test file runs here against a fresh copy of the example's users; its console
examples run as real ``python -m trioquart`` processes from the repository's root.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from docs.examples import cli_app, cli_blueprint, cli_testing
from trioquart.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def users() -> Iterator[None]:
    """The examples' users as the modules define them, restored after each test."""
    saved = [(module.USERS, dict(module.USERS)) for module in (cli_app, cli_blueprint)]
    yield
    for current, original in saved:
        current.clear()
        current.update(original)


def test_docs_cli_testing_create_user() -> None:
    cli_testing.test_create_user()


def test_docs_cli_testing_export(tmp_path: Path) -> None:
    cli_testing.test_export(tmp_path)


def test_docs_cli_testing_routes() -> None:
    cli_testing.test_routes()


def test_docs_cli_shell_names() -> None:
    namespace = cli_app.app.make_shell_context()
    assert namespace["users"] == {"root": "admin"}
    assert namespace["app"] is cli_app.app


async def run_trioquart(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    with trio.fail_after(60):
        result = await trio.run_process(
            [sys.executable, "-m", "trioquart", *args],
            cwd=cwd,
            env=env,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


async def test_docs_cli_console_examples(tmp_path: Path) -> None:
    """The page's console sessions, as written (export writes into a temporary folder)."""
    page = (ROOT / "docs" / "cli.md").read_text()
    routes = await run_trioquart("--app", "docs.examples.cli_app", "routes")
    assert f"$ trioquart --app docs.examples.cli_app routes\n{routes}```" in page
    created = await run_trioquart(
        "--app", "docs.examples.cli_app", "create-user", "alice", "--admin"
    )
    assert created == "cli_app: created alice (admin)\n"
    assert f"create-user alice --admin\n{created}" in page
    target = tmp_path / "users.json"
    exported = await run_trioquart("--app", "docs.examples.cli_app", "export", str(target))
    assert exported == f"Wrote {target}: root\n"
    assert "export users.json\nWrote users.json: root\n" in page
    assert target.read_text() == '{"root": "admin"}'


# --- cli_blueprint.py: a blueprint's commands ------------------------------------------------


def test_docs_cli_blueprint_group_commands() -> None:
    runner = cli_blueprint.app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "alice", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert result.output == "cli_blueprint: created alice (admin)\n"
    assert runner.invoke(args=["users", "create", "bob"]).output == (
        "cli_blueprint: created bob (member)\n"
    )
    assert runner.invoke(args=["users", "list"]).output == (
        "alice: admin\nbob: member\nroot: admin\n"
    )


def test_docs_cli_blueprint_command_without_a_group(tmp_path: Path) -> None:
    target = tmp_path / "users.json"
    result = cli_blueprint.app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Saved root to {target}\n"
    assert target.read_text() == '{"root": "admin"}'


def test_docs_cli_blueprint_help_lists_the_group() -> None:
    result = cli_blueprint.app.test_cli_runner().invoke(main, ["--help"])
    assert "  users   Manage the users.\n" in result.output
    assert "  backup  Save the users to PATH as JSON.\n" in result.output


async def test_docs_cli_blueprint_console_examples(tmp_path: Path) -> None:
    """The section's console session, as written (backup writes into a temporary folder)."""
    page = (ROOT / "docs" / "cli.md").read_text()
    app = ("--app", "docs.examples.cli_blueprint")
    created = await run_trioquart(*app, "users", "create", "alice", "--role", "admin")
    assert created == "cli_blueprint: created alice (admin)\n"
    assert f"users create alice --role admin\n{created}" in page
    listed = await run_trioquart(*app, "users", "list")
    assert listed == "root: admin\n"
    assert f"cli_blueprint users list\n{listed}" in page
    target = tmp_path / "users.json"
    saved = await run_trioquart(*app, "backup", str(target))
    assert saved == f"Saved root to {target}\n"
    assert "backup users.json\nSaved root to users.json\n" in page
    assert target.read_text() == '{"root": "admin"}'
