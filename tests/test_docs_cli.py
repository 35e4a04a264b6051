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

from docs.examples import cli_app, cli_testing

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def users() -> Iterator[dict[str, str]]:
    """The example's users as the module defines them, restored after each test."""
    saved = dict(cli_app.USERS)
    yield cli_app.USERS
    cli_app.USERS.clear()
    cli_app.USERS.update(saved)


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
