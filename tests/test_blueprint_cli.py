"""Blueprint commands (``bp.cli``) as Flask's: where registration puts them on ``app.cli``.

By default a blueprint's commands form a group named as the blueprint is registered
(``"parent.child"`` when nested); ``cli_group="name"`` names the group and ``cli_group=None``
puts them straight on ``app.cli``, on the blueprint or per ``register_blueprint`` call.

Commands run through ``app.test_cli_runner()``, and through the real ``trioquart`` command
(``trioquart.cli.main``) with an app module written to a temporary directory. These tests are
plain ``def`` functions because an ``async def`` command starts its own ``trio.run``.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import trio
import trio.lowlevel
from click.testing import CliRunner

from trioquart import Blueprint, TrioQuart, current_app
from trioquart.cli import AppGroup, main


def names(app: TrioQuart) -> list[str]:
    """The names of ``app.cli``'s commands and groups."""
    return sorted(app.cli.commands)


def run(app: TrioQuart, *args: str) -> str:
    """The output of ``trioquart ARGS`` for ``app``, through its test runner (which must
    succeed)."""
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def with_command(blueprint: Blueprint, name: str = "hello") -> Blueprint:
    """``blueprint`` with a command ``name`` that echoes its name and the app's."""

    @blueprint.cli.command(name)
    def command() -> None:
        click.echo(f"{name} from {current_app.name}")

    return blueprint


# --- bp.cli -----------------------------------------------------------------------------------


def test_blueprint_cli_is_an_app_group_named_after_the_blueprint() -> None:
    bp = Blueprint("admin", __name__)
    assert isinstance(bp.cli, AppGroup)
    assert bp.cli.name == "admin"
    assert bp.cli is bp.cli
    assert bp.cli_group is not None


def test_blueprint_cli_is_made_on_first_use() -> None:
    """Importing blueprints.py, and registering a blueprint without commands, leave click
    and cli.py unimported (a fresh interpreter, since this one has imported them)."""
    code = textwrap.dedent(
        """
        import sys
        from trioquart import Blueprint, TrioQuart

        app = TrioQuart("app")
        app.register_blueprint(Blueprint("plain", __name__), cli_group="named")
        assert "trioquart.cli" not in sys.modules, "registration imported trioquart.cli"
        assert "click" not in sys.modules, "registration imported click"
        Blueprint("admin", __name__).cli
        assert "trioquart.cli" in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- where registration puts the commands -----------------------------------------------------


def test_blueprint_cli_commands_form_a_group_named_after_the_blueprint(app: TrioQuart) -> None:
    app.register_blueprint(with_command(Blueprint("admin", __name__)))
    assert names(app) == ["admin"]
    assert app.cli.commands["admin"].name == "admin"
    assert run(app, "admin", "hello") == "hello from conftest\n"


def test_blueprint_cli_group_takes_the_registered_name(app: TrioQuart) -> None:
    app.register_blueprint(with_command(Blueprint("admin", __name__)), name="staff")
    assert names(app) == ["staff"]
    assert run(app, "staff", "hello") == "hello from conftest\n"


def test_blueprint_cli_group_named_by_the_blueprint(app: TrioQuart) -> None:
    bp = with_command(Blueprint("admin", __name__, cli_group="manage"))
    app.register_blueprint(bp)
    assert names(app) == ["manage"]
    assert bp.cli.name == "manage"
    assert run(app, "manage", "hello") == "hello from conftest\n"


def test_blueprint_cli_group_none_adds_the_commands_to_app_cli(app: TrioQuart) -> None:
    bp = Blueprint("admin", __name__, cli_group=None)
    with_command(bp, "hello")
    with_command(bp, "bye")
    app.register_blueprint(bp)
    assert names(app) == ["bye", "hello"]
    assert app.cli.commands["hello"] is bp.cli.commands["hello"]
    assert run(app, "bye") == "bye from conftest\n"


@pytest.mark.parametrize(
    ("own", "given", "expected"),
    [
        ("manage", "ops", ["ops"]),
        ("manage", None, ["hello"]),
        (None, "ops", ["ops"]),
    ],
)
def test_blueprint_cli_group_given_to_register_blueprint_wins(
    app: TrioQuart, own: str | None, given: str | None, expected: list[str]
) -> None:
    app.register_blueprint(
        with_command(Blueprint("admin", __name__, cli_group=own)), cli_group=given
    )
    assert names(app) == expected
    args = [*expected, "hello"] if given is not None else ["hello"]
    assert run(app, *args) == "hello from conftest\n"


def test_blueprint_cli_without_commands_adds_nothing(app: TrioQuart) -> None:
    used = Blueprint("used", __name__)
    assert not used.cli.commands
    app.register_blueprint(used)
    app.register_blueprint(Blueprint("unused", __name__), cli_group=None)
    assert names(app) == []


def test_blueprint_cli_group_registered_twice_is_under_both_names(app: TrioQuart) -> None:
    """As Flask: the one group is added under each name, and is named after the last."""
    bp = with_command(Blueprint("admin", __name__))
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="staff")
    app.register_blueprint(bp, name="flat", cli_group=None)
    assert names(app) == ["admin", "hello", "staff"]
    assert app.cli.commands["admin"] is app.cli.commands["staff"] is bp.cli
    assert bp.cli.name == "staff"
    for args in (["admin", "hello"], ["staff", "hello"], ["hello"]):
        assert run(app, *args) == "hello from conftest\n"


def test_blueprint_cli_on_two_apps(app: TrioQuart) -> None:
    bp = with_command(Blueprint("admin", __name__))
    other = TrioQuart("other")
    app.register_blueprint(bp)
    other.register_blueprint(bp)
    assert run(other, "admin", "hello") == "hello from other\n"
    assert run(app, "admin", "hello") == "hello from conftest\n"


def test_blueprint_cli_nested_groups_are_named_with_the_parents(app: TrioQuart) -> None:
    """As Flask: a nested blueprint's group sits on app.cli (not in its parent's group), as
    ``"parent.child"``; the parent's ``cli_group`` is its own only."""
    parent = with_command(Blueprint("parent", __name__, cli_group=None), "top")
    child = with_command(Blueprint("child", __name__), "deep")
    grandchild = with_command(Blueprint("grandchild", __name__), "deeper")
    child.register_blueprint(grandchild)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert names(app) == ["parent.child", "parent.child.grandchild", "top"]
    assert run(app, "parent.child", "deep") == "deep from conftest\n"
    assert run(app, "parent.child.grandchild", "deeper") == "deeper from conftest\n"
    assert run(app, "top") == "top from conftest\n"


def test_blueprint_cli_group_of_a_nested_registration(app: TrioQuart) -> None:
    parent = Blueprint("parent", __name__)
    parent.register_blueprint(with_command(Blueprint("a", __name__), "one"), cli_group="first")
    parent.register_blueprint(with_command(Blueprint("b", __name__), "two"), cli_group=None)
    parent.register_blueprint(with_command(Blueprint("c", __name__), "three"), name="renamed")
    app.register_blueprint(parent)
    assert names(app) == ["first", "parent.renamed", "two"]
    assert run(app, "first", "one") == "one from conftest\n"


def test_blueprint_cli_group_replaces_an_app_command_of_its_name(app: TrioQuart) -> None:
    """As Flask: a name on app.cli holds one command, the one added last."""

    @app.cli.command()
    def hello() -> None:
        click.echo("the app's")  # pragma: no cover - replaced by the blueprint's

    app.register_blueprint(with_command(Blueprint("admin", __name__, cli_group=None)))
    assert run(app, "hello") == "hello from conftest\n"


def test_blueprint_cli_built_in_commands_win(app: TrioQuart) -> None:
    """As Flask: the trioquart command looks for its own commands before the app's."""
    bp = Blueprint("admin", __name__, cli_group=None)

    @bp.cli.command()
    def routes() -> None:
        click.echo("the blueprint's")  # pragma: no cover - the built-in one runs

    app.register_blueprint(bp)
    result = app.test_cli_runner().invoke(main, ["routes"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Endpoint  Methods  Rule\n")


# --- the commands themselves ------------------------------------------------------------------


def test_blueprint_cli_async_command_runs_with_trio_in_the_app_context(app: TrioQuart) -> None:
    bp = Blueprint("jobs", __name__)

    @bp.cli.command()
    @click.argument("count", type=int)
    async def tick(count: int) -> None:
        for number in range(count):
            await trio.lowlevel.checkpoint()
            click.echo(f"tick {number} in {current_app.name}")

    app.register_blueprint(bp)
    assert run(app, "jobs", "tick", "2") == "tick 0 in conftest\ntick 1 in conftest\n"


def test_blueprint_cli_command_without_the_app_context(app: TrioQuart) -> None:
    bp = Blueprint("jobs", __name__)

    @bp.cli.command(with_appcontext=False)
    def plain() -> None:
        click.echo(current_app.name)

    app.register_blueprint(bp)
    result = app.test_cli_runner().invoke(args=["jobs", "plain"])
    assert isinstance(result.exception, RuntimeError)
    assert "Working outside of application context." in str(result.exception)


def test_blueprint_cli_subgroups(app: TrioQuart) -> None:
    bp = Blueprint("admin", __name__)

    @bp.cli.group()
    def db() -> None:
        """Database commands."""

    @db.command()
    def migrate() -> None:
        click.echo(f"migrating {current_app.name}")

    app.register_blueprint(bp)
    assert isinstance(db, AppGroup)
    assert run(app, "admin", "db", "migrate") == "migrating conftest\n"


def test_blueprint_cli_help_names_the_group(app: TrioQuart) -> None:
    app.register_blueprint(with_command(Blueprint("admin", __name__)), name="staff")
    output = run(app, "staff", "--help")
    assert output.startswith("Usage: conftest staff [OPTIONS] COMMAND [ARGS]...\n")
    assert "\n  hello\n" in output


# --- bad cli_group ----------------------------------------------------------------------------

NOT_A_GROUP = (
    r"^cli_group must be a str \(the name of the blueprint's command group\) or None \(its "
    r"commands go straight on app\.cli\), not int: 3$"
)
EMPTY_GROUP = (
    r"^cli_group must not be empty: name the blueprint's command group, or pass None to put "
    r"its commands straight on app\.cli$"
)


def test_blueprint_cli_group_must_be_a_str_or_none(app: TrioQuart) -> None:
    with pytest.raises(TypeError, match=NOT_A_GROUP):
        Blueprint("admin", __name__, cli_group=3)  # type: ignore[arg-type]
    bp = with_command(Blueprint("admin", __name__))
    with pytest.raises(TypeError, match=NOT_A_GROUP):
        app.register_blueprint(bp, cli_group=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=NOT_A_GROUP):
        Blueprint("parent", __name__).register_blueprint(bp, cli_group=3)  # type: ignore[arg-type]
    # Refused before anything was registered.
    assert app.blueprints == {}
    assert names(app) == []


def test_blueprint_cli_group_must_not_be_empty(app: TrioQuart) -> None:
    with pytest.raises(ValueError, match=EMPTY_GROUP):
        Blueprint("admin", __name__, cli_group="")
    bp = with_command(Blueprint("admin", __name__))
    with pytest.raises(ValueError, match=EMPTY_GROUP):
        app.register_blueprint(bp, cli_group="")
    with pytest.raises(ValueError, match=EMPTY_GROUP):
        Blueprint("parent", __name__).register_blueprint(bp, cli_group="")
    assert app.blueprints == {}


# --- through the trioquart command ------------------------------------------------------------

APP_MODULE = """
import click
import trio

from trioquart import Blueprint, TrioQuart, current_app

app = TrioQuart(__name__)
admin = Blueprint("admin", __name__)
tools = Blueprint("tools", __name__, cli_group=None)


@admin.cli.command("create-user")
@click.argument("name")
def create_user(name: str) -> None:
    \"\"\"Add the user NAME.\"\"\"
    click.echo(f"{current_app.name}: created {name}")


@tools.cli.command()
async def ping() -> None:
    \"\"\"Answer pong, from trio.\"\"\"
    await trio.lowlevel.checkpoint()
    click.echo(f"pong from {current_app.name}")


app.register_blueprint(admin)
app.register_blueprint(admin, name="staff", cli_group="people")
app.register_blueprint(tools)
"""


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The name of a module, in a temporary current directory, with an app whose blueprints
    have commands; it is forgotten afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("TRIOQUART_APP", raising=False)
    (tmp_path / "bp_cli_app.py").write_text(textwrap.dedent(APP_MODULE))
    importlib.invalidate_caches()
    yield "bp_cli_app"
    sys.modules.pop("bp_cli_app", None)


def test_blueprint_cli_through_the_trioquart_command(app_module: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--app", f"{app_module}:app", "admin", "create-user", "ann"])
    assert result.exit_code == 0, result.output
    assert result.output == "bp_cli_app: created ann\n"
    result = runner.invoke(main, ["--app", f"{app_module}:app", "people", "create-user", "bo"])
    assert result.output == "bp_cli_app: created bo\n"
    result = runner.invoke(main, ["--app", app_module, "ping"])
    assert result.exit_code == 0, result.output
    assert result.output == "pong from bp_cli_app\n"


def test_blueprint_cli_listed_by_the_trioquart_command(app_module: str) -> None:
    result = CliRunner().invoke(main, ["--app", app_module, "--help"])
    assert result.exit_code == 0, result.output
    commands = result.output.split("Commands:\n", 1)[1]
    listed = [line.split()[0] for line in commands.splitlines()]
    assert listed == ["admin", "people", "ping", "routes", "run", "shell"]
    result = CliRunner().invoke(main, ["--app", app_module, "people", "--help"])
    assert result.output.startswith("Usage: trioquart people [OPTIONS] COMMAND [ARGS]...\n")
    assert "create-user  Add the user NAME." in result.output
