"""The command line as Quart's: finding the app, ``routes``, ``shell``, ``app.cli`` commands
(sync and ``async def``, in an app context) and ``app.test_cli_runner()``.

Apps to find are written as modules in a temporary directory that becomes the current one,
and are forgotten (``sys.modules``, ``sys.path``) after each test. Commands run through click's
runner, in-process; these tests are plain ``def`` functions because an ``async def`` command
starts its own ``trio.run``.
"""

from __future__ import annotations

import code
import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import trio
import trio.lowlevel
from click.testing import CliRunner, Result

from trioquart import TrioQuart, current_app, g, has_app_context
from trioquart import cli as cli_module
from trioquart.cli import (
    AppGroup,
    NoAppException,
    ScriptInfo,
    TrioQuartGroup,
    main,
    with_appcontext,
)
from trioquart.serving import AppNotFoundError, find_app
from trioquart.testing.cli import TrioQuartCliRunner

Write = Callable[[str, str], Path]

APP_MODULE = """
from trioquart import TrioQuart

app = TrioQuart(__name__)


@app.get("/")
async def index() -> str:
    return "home"


@app.cli.command()
def hello() -> None:
    print("hello from", app.name)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Write]:
    """The current directory becomes an empty project; ``write(path, source)`` adds a file.

    Modules imported from it are forgotten afterwards, and ``sys.path`` is restored.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("TRIOQUART_APP", raising=False)

    def write(path: str, source: str) -> Path:
        file = tmp_path / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        return file

    yield write
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if location.startswith(str(tmp_path)):
            del sys.modules[name]


def invoke(args: list[str], **kwargs: Any) -> Result:
    return CliRunner().invoke(main, args, **kwargs)


# --- finding the app ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["app", "application"])
def test_find_app_takes_the_conventional_name(project: Write, name: str) -> None:
    project(
        "web.py",
        f"""
        from trioquart import TrioQuart

        other = TrioQuart("other")
        {name} = TrioQuart("web")
        """,
    )
    found = find_app("web")
    assert found.app.import_name == "web"
    assert found.import_path == f"web:{name}"


def test_find_app_takes_the_only_instance_under_any_name(project: Write) -> None:
    project("web.py", "from trioquart import TrioQuart\n\nsite = TrioQuart('web')\n")
    assert find_app("web").import_path == "web:site"


def test_find_app_refuses_to_choose_between_several(project: Write) -> None:
    project(
        "web.py",
        "from trioquart import TrioQuart\n\nfront = TrioQuart('a')\nback = TrioQuart('b')\n",
    )
    with pytest.raises(
        AppNotFoundError,
        match=r"^'web' has several trioquart applications \(front, back\): name one, as in "
        r"'web:front'$",
    ):
        find_app("web")


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_find_app_calls_a_factory(project: Write, factory: str) -> None:
    project(
        "web.py",
        f"""
        from trioquart import TrioQuart

        def {factory}() -> TrioQuart:
            return TrioQuart("made")
        """,
    )
    found = find_app("web")
    assert found.app.import_name == "made"
    # Hypercorn's workers evaluate the expression in the module: the factory is called there.
    assert found.import_path == f"web:{factory}()"


def test_find_app_without_an_app_says_how_to_name_one(project: Write) -> None:
    project("web.py", "create_app = 'not a function'\n")
    with pytest.raises(AppNotFoundError, match=r"^'web' has no trioquart application: no 'app'"):
        find_app("web")


def test_find_app_calls_a_named_factory_with_literal_arguments(project: Write) -> None:
    project(
        "web.py",
        """
        from trioquart import TrioQuart

        def build(name: str, *, debug: bool = False) -> TrioQuart:
            app = TrioQuart(name)
            app.config["DEBUG"] = debug
            return app

        def factory() -> TrioQuart:
            return TrioQuart("plain")
        """,
    )
    found = find_app("web:build('staging', debug=True)")
    assert found.app.import_name == "staging"
    assert found.app.config["DEBUG"] is True
    assert found.import_path == "web:build('staging', debug=True)"
    plain = find_app("web:factory")
    assert plain.app.import_name == "plain"
    assert plain.import_path == "web:factory()"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("web:build", r"^Cannot call the factory 'web:build' with these arguments \("),
        ("web:build(1, 2)", r"^Cannot call the factory 'web:build' with these arguments \("),
        ("web:settings()", r"^Cannot call the factory 'web:settings' with these arguments \("),
        ("web:wrong()", r"^The factory 'web:wrong' returned a str, not a trioquart application$"),
        ("web:settings", r"^'web:settings' is a dict, not a trioquart application$"),
        ("web:missing", r"^'web' has no attribute 'missing'$"),
        ("web:build(", r"^Cannot read 'build\(' as an attribute name \('app'\) or a factory"),
        ("web:a.b", r"^Cannot read 'a.b' as an attribute name"),
        ("web:build(x)", r"^Cannot read 'build\(x\)' as an attribute name"),
        ("web:build(**{'a': 1})", r"^Cannot read"),
        ("web:build({[]: 1})", r"^Cannot read"),
        (":app", r"^':app' names no module: use 'module:name'$"),
        ("no_such_module:app", r"^Cannot import 'no_such_module': No module named"),
        ("web.nested:app", r"^Cannot import 'web.nested': No module named 'web.nested'"),
    ],
)
def test_find_app_errors_say_what_is_wrong(project: Write, target: str, message: str) -> None:
    project(
        "web.py",
        """
        def build(name):
            return name

        def wrong():
            return "not an app"

        settings = {"DEBUG": True}
        """,
    )
    with pytest.raises(AppNotFoundError, match=message):
        find_app(target)


def test_find_app_shows_an_import_error_raised_inside_the_module(project: Write) -> None:
    project("web.py", "import a_dependency_that_is_missing\n")
    with pytest.raises(AppNotFoundError) as info:
        find_app("web")
    message = str(info.value)
    assert message.startswith("Cannot import 'web': importing it raised\n\nTraceback")
    assert "No module named 'a_dependency_that_is_missing'" in message
    assert isinstance(info.value, ValueError)  # what import_app has always raised


def test_find_app_from_a_file_inside_a_package(project: Write) -> None:
    project("src/shop/__init__.py", "")
    project("src/shop/web.py", APP_MODULE)
    found = find_app("src/shop/web.py")
    assert found.import_path == "shop.web:app"
    assert found.app.import_name == "shop.web"
    # The package's parent comes first on the path, as Hypercorn's workers will need it.
    assert sys.path[0] == str(Path("src").resolve())
    assert find_app(str(Path("src/shop/web.py").resolve()) + ":app").app is found.app
    # A package's folder names the package (this one's __init__.py is empty).
    with pytest.raises(AppNotFoundError, match=r"^'shop' has no trioquart application"):
        find_app("src/shop")


def test_find_app_from_a_package_init_file(project: Write) -> None:
    project("shop/__init__.py", APP_MODULE)
    assert find_app("shop/__init__.py").import_path == "shop:app"


# --- the trioquart command finds the app --------------------------------------------------


def test_app_option_adds_the_apps_commands(project: Write) -> None:
    project("web.py", APP_MODULE)
    result = invoke(["--app", "web", "hello"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello from web\n"
    listed = invoke(["--app", "web", "--help"])
    assert "hello" in listed.output
    assert "routes" in listed.output


def test_environment_variable_names_the_app(project: Write) -> None:
    project("web.py", APP_MODULE)
    result = invoke(["hello"], env={"TRIOQUART_APP": "web:app"})
    assert result.exit_code == 0, result.output
    assert result.output == "hello from web\n"


def test_no_arguments_shows_help_with_the_apps_commands(project: Write) -> None:
    project("web.py", APP_MODULE)
    result = invoke([], env={"TRIOQUART_APP": "web"})
    assert "hello" in result.output
    assert "Usage:" in result.output


def test_app_py_in_the_current_directory_is_the_default(project: Write) -> None:
    project("app.py", APP_MODULE)
    result = invoke(["hello"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello from app\n"


def test_without_an_app_the_command_is_a_usage_error(project: Write) -> None:
    result = invoke(["routes"])
    assert result.exit_code == 2
    assert "Error: Could not locate a trioquart application. Use the 'trioquart --app" in (
        result.output
    )


def test_unknown_command_without_an_app_says_both(project: Write) -> None:
    result = invoke(["--app", "nowhere", "hello"])
    assert result.exit_code == 2
    assert "Error: Cannot import 'nowhere': No module named 'nowhere'" in result.output
    assert "No such command 'hello'" in result.output


def test_help_without_an_app_lists_the_built_in_commands(project: Write) -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert "Error: Could not locate a trioquart application." in result.output
    for name in ["routes", "run", "shell"]:
        assert name in result.output


def test_help_with_a_broken_app_shows_its_traceback(project: Write) -> None:
    project("web.py", "raise RuntimeError('the config is broken')\n")
    result = invoke(["--app", "web", "--help"])
    assert result.exit_code == 0
    assert "RuntimeError: the config is broken" in result.output
    assert "routes" in result.output


def test_run_serves_the_app_of_the_option(project: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    project(
        "web.py",
        """
        from trioquart import TrioQuart

        def create_app() -> TrioQuart:
            return TrioQuart("x")
        """,
    )
    calls: list[tuple[TrioQuart, dict[str, Any]]] = []
    monkeypatch.setattr(cli_module, "run_app", lambda app, **options: calls.append((app, options)))
    result = invoke(["run", "--reload"], env={"TRIOQUART_APP": "web"})
    assert result.exit_code == 0, result.output
    [(app, options)] = calls
    assert app.import_name == "x"
    assert options["application_path"] == "web:create_app()"
    assert options["use_reloader"] is True


def test_run_options_come_from_the_environment_too(
    project: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    project("web.py", APP_MODULE)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli_module, "run_app", lambda app, **options: calls.append(options))
    result = invoke(["--app", "web", "run"], env={"TRIOQUART_RUN_PORT": "8123"})
    assert result.exit_code == 0, result.output
    assert calls[0]["port"] == 8123


def test_run_passes_tls_files(project: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    project("web.py", APP_MODULE)
    project("cert.pem", "certificate")
    project("key.pem", "key")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli_module, "run_app", lambda app, **options: calls.append(options))
    result = invoke(["--app", "web", "run", "--cert", "cert.pem", "--keyfile", "key.pem"])
    assert result.exit_code == 0, result.output
    assert calls[0]["certfile"] == "cert.pem"
    assert calls[0]["keyfile"] == "key.pem"
    invoke(["--app", "web", "run", "--cert", "cert.pem"])
    assert "keyfile" not in calls[1]


def test_run_target_wins_over_the_option(project: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    project("web.py", APP_MODULE)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli_module, "run_app", lambda app, **options: calls.append(options))
    result = invoke(["--app", "nowhere", "run", "web"])
    assert result.exit_code == 0, result.output
    assert calls[0]["application_path"] == "web:app"


def test_run_without_an_app_is_a_usage_error(project: Write) -> None:
    result = invoke(["run"])
    assert result.exit_code == 2
    assert "Could not locate a trioquart application" in result.output


def test_run_reload_needs_an_import_path(app: TrioQuart) -> None:
    result = app.test_cli_runner().invoke(main, ["run", "--workers", "2"])
    assert result.exit_code == 2
    assert "--reload and --workers need the app's import path" in result.output


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def create_app(name):\n    return name\n",
            "Error: Cannot call the factory 'web:create_app' with these arguments",
        ),
        ("def create_app():\n    return 'an app?'\n", "returned a str, not a trioquart app"),
        ("VALUE = 1\n", "Error: 'web' has no trioquart application: no 'app' or 'application'"),
    ],
)
def test_bad_app_through_the_option_is_a_usage_error(
    project: Write, source: str, message: str
) -> None:
    project("web.py", source)
    result = invoke(["--app", "web", "routes"])
    assert result.exit_code == 2
    assert message in result.output


def test_a_script_of_your_own_with_create_app(app: TrioQuart) -> None:
    @app.cli.command()
    def name() -> None:
        click.echo(current_app.name)

    @click.group(cls=TrioQuartGroup, create_app=lambda: app)
    def manage() -> None:
        """Manage the app."""

    result = CliRunner().invoke(manage, ["name"])
    assert result.exit_code == 0, result.output
    assert result.output == "conftest\n"


def test_script_info_keeps_the_loaded_app(project: Write) -> None:
    project("web.py", APP_MODULE)
    info = ScriptInfo("web")
    assert info.load_app() is info.load_app()
    assert info.import_path == "web:app"
    with pytest.raises(NoAppException, match=r"^Cannot import 'nowhere'"):
        ScriptInfo("nowhere").load_app()


# --- routes -----------------------------------------------------------------------------------


def routes_app() -> TrioQuart:
    app = TrioQuart("shop", static_folder=None)

    @app.route("/items", methods=["GET", "POST"])
    async def items() -> str:
        return ""

    @app.get("/about")
    async def about() -> str:
        return ""

    @app.websocket("/ws")
    async def live() -> None:
        pass

    @app.post("/a-upload")
    async def b_upload() -> str:
        return ""

    return app


def test_routes_lists_endpoints_methods_and_rules() -> None:
    result = routes_app().test_cli_runner().invoke(main, ["routes"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Endpoint  Methods    Rule\n"
        "--------  ---------  ---------\n"
        "about     GET        /about\n"
        "b_upload  POST       /a-upload\n"
        "items     GET, POST  /items\n"
        "live      WEBSOCKET  /ws\n"
    )


@pytest.mark.parametrize(
    ("sort", "endpoints"),
    [
        ("endpoint", ["about", "b_upload", "items", "live"]),
        ("rule", ["b_upload", "about", "items", "live"]),
        ("methods", ["about", "items", "b_upload", "live"]),
        ("match", ["items", "about", "live", "b_upload"]),
        # No rule has a domain: the order stays the matching one.
        ("domain", ["items", "about", "live", "b_upload"]),
    ],
)
def test_routes_sorted(sort: str, endpoints: list[str]) -> None:
    result = routes_app().test_cli_runner().invoke(main, ["routes", "--sort", sort])
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()[2:]] == endpoints


def test_routes_all_methods() -> None:
    result = routes_app().test_cli_runner().invoke(main, ["routes", "--all-methods"])
    assert "GET, HEAD, OPTIONS, POST  /items" in result.output
    assert "WEBSOCKET" in result.output


def test_routes_of_an_app_without_any() -> None:
    app = TrioQuart("empty", static_folder=None)
    result = app.test_cli_runner().invoke(main, ["routes"])
    assert result.output == "No routes were registered.\n"


def test_routes_show_subdomains() -> None:
    app = TrioQuart("shop", static_folder=None)

    @app.get("/", subdomain="api")
    async def api() -> str:
        return ""

    @app.get("/")
    async def home() -> str:
        return ""

    result = app.test_cli_runner().invoke(main, ["routes", "-s", "domain"])
    assert result.output.splitlines() == [
        "Endpoint  Methods  Subdomain  Rule",
        "--------  -------  ---------  ----",
        "home      GET                 /",
        "api       GET      api        /",
    ]


def test_routes_show_hosts_with_host_matching() -> None:
    app = TrioQuart("shop", static_folder=None)
    app.url_map.host_matching = True

    @app.get("/", host="example.com")
    async def home() -> str:
        return ""

    result = app.test_cli_runner().invoke(main, ["routes"])
    assert result.output.splitlines()[0] == "Endpoint  Methods  Host         Rule"
    assert result.output.splitlines()[2] == "home      GET      example.com  /"


# --- shell ------------------------------------------------------------------------------------


@pytest.fixture
def no_interactive_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without site's hook (which would set up readline and write ~/.python_history)."""
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)


@pytest.mark.usefixtures("no_interactive_hook")
def test_shell_runs_in_the_app_context_with_the_processors_names(app: TrioQuart) -> None:
    @app.shell_context_processor
    def add_names() -> dict[str, Any]:
        return {"answer": 42}

    lines = [
        "names = [name for name in dir() if not name.startswith('_')]",
        "g.seen = 'yes'",
        "print(answer, g.seen, app.name, names)",
        "undefined_name",
    ]
    result = app.test_cli_runner().invoke(main, ["shell"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert "App: tests.conftest [" in result.output
    assert "42 yes conftest ['answer', 'app', 'g']" in result.output
    assert "NameError: name 'undefined_name' is not defined" in result.output


def test_shell_namespace_and_startup_file(
    app: TrioQuart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 1\nanswer = 'overridden by the app'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)
    app.shell_context_processor(lambda: {"answer": 42})
    seen: list[dict[str, Any]] = []

    def interact(*, banner: str, local: dict[str, Any]) -> None:
        seen.append(local)
        assert current_app.name == app.name  # the app context is active

    monkeypatch.setattr(code, "interact", interact)
    result = app.test_cli_runner().invoke(main, ["shell"])
    assert result.exit_code == 0, result.output
    [namespace] = seen
    assert namespace["app"] is app
    assert namespace["g"] is g
    assert namespace["answer"] == 42
    assert namespace["from_startup"] == 1


@pytest.mark.usefixtures("no_interactive_hook")
def test_shell_ignores_a_missing_startup_file(
    app: TrioQuart, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONSTARTUP", "/nonexistent/startup.py")
    result = app.test_cli_runner().invoke(main, ["shell"], input="print(sorted(dir()))\n")
    assert "['__builtins__', 'app', 'g']" in result.output


def test_shell_completes_its_own_namespace(app: TrioQuart, monkeypatch: pytest.MonkeyPatch) -> None:
    readline = pytest.importorskip("readline")
    completers: list[Any] = []
    hooks: list[str] = []
    monkeypatch.setattr(readline, "set_completer", completers.append)
    monkeypatch.setattr(sys, "__interactivehook__", lambda: hooks.append("called"), raising=False)
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)
    result = app.test_cli_runner().invoke(main, ["shell"], input="")
    assert result.exit_code == 0, result.output
    assert hooks == ["called"]
    # The last one set (importing rlcompleter sets a default one first).
    assert completers[-1]("ap", 0) == "app("  # a callable: completed with its parenthesis


def test_shell_without_readline(app: TrioQuart, monkeypatch: pytest.MonkeyPatch) -> None:
    hooks: list[str] = []
    monkeypatch.setitem(sys.modules, "readline", None)  # import readline: ImportError
    monkeypatch.setattr(sys, "__interactivehook__", lambda: hooks.append("called"), raising=False)
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)
    result = app.test_cli_runner().invoke(main, ["shell"], input="")
    assert result.exit_code == 0, result.output
    assert hooks == ["called"]


def test_shell_context_processor_returns_the_function(app: TrioQuart) -> None:
    def names() -> dict[str, Any]:
        return {"x": 1}

    assert app.shell_context_processor(names) is names
    assert app.make_shell_context() == {"app": app, "g": g, "x": 1}


# --- app.cli commands -------------------------------------------------------------------------


def test_app_cli_is_an_app_group_named_after_the_app(app: TrioQuart) -> None:
    assert isinstance(app.cli, AppGroup)
    assert app.cli.name == "conftest"
    assert app.cli is app.cli


def test_command_runs_in_the_app_context(app: TrioQuart) -> None:
    @app.cli.command("seed")
    @click.argument("count", type=int)
    def seed(count: int) -> None:
        """Add COUNT rows."""
        g.count = count
        click.echo(f"{current_app.name}: {g.count}")

    result = app.test_cli_runner().invoke(args=["seed", "3"])
    assert result.exit_code == 0, result.output
    assert result.output == "conftest: 3\n"
    assert "Add COUNT rows." in app.test_cli_runner().invoke(args=["seed", "--help"]).output


def test_async_command_runs_with_trio_in_the_app_context(app: TrioQuart) -> None:
    @app.cli.command()
    @click.option("--times", default=2)
    async def tick(times: int) -> str:
        for number in range(times):
            await trio.lowlevel.checkpoint()
            click.echo(f"tick {number} in {current_app.name}")
        return "done"

    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert result.output == "tick 0 in conftest\ntick 1 in conftest\n"
    assert result.return_value is None  # standalone mode: click exits, the value is dropped
    standalone = app.test_cli_runner().invoke(args=["tick"], standalone_mode=False)
    assert standalone.return_value == "done"


def test_async_command_under_pass_context(app: TrioQuart) -> None:
    @app.cli.command()
    @click.pass_context
    async def where(ctx: click.Context) -> None:
        await trio.lowlevel.checkpoint()
        trio.lowlevel.current_task()  # raises outside trio
        click.echo(f"{ctx.info_name} in {current_app.name}")

    result = app.test_cli_runner().invoke(args=["where"])
    assert result.exit_code == 0, result.output
    assert result.output == "where in conftest\n"


def test_command_without_the_app_context(app: TrioQuart) -> None:
    @app.cli.command(with_appcontext=False)
    def plain() -> None:
        click.echo(current_app.name)

    @app.cli.command(with_appcontext=False)
    async def plain_async() -> None:
        await trio.lowlevel.checkpoint()
        click.echo("async without a context")

    result = app.test_cli_runner().invoke(args=["plain"])
    assert isinstance(result.exception, RuntimeError)
    assert "Working outside of application context." in str(result.exception)
    assert app.test_cli_runner().invoke(args=["plain-async"]).output == (
        "async without a context\n"
    )


def test_bare_command_decorator(app: TrioQuart) -> None:
    @app.cli.command
    def bare() -> None:
        click.echo(current_app.name)

    assert isinstance(bare, click.Command)
    assert app.test_cli_runner().invoke(args=["bare"]).output == "conftest\n"


def test_subgroups_are_app_groups(app: TrioQuart) -> None:
    @app.cli.group()
    def db() -> None:
        """Database commands."""

    assert isinstance(db, AppGroup)

    @db.command()
    async def migrate() -> None:
        await trio.lowlevel.checkpoint()
        click.echo(f"migrating {current_app.name}")

    result = app.test_cli_runner().invoke(args=["db", "migrate"])
    assert result.output == "migrating conftest\n"
    plain = app.cli.group(cls=click.Group)(lambda: None)
    assert not isinstance(plain, AppGroup)


def test_with_appcontext_reuses_an_active_context(app: TrioQuart) -> None:
    @click.command()
    @with_appcontext
    def show() -> None:
        click.echo(g.get("marker", "none"))

    context = app.app_context()
    context.push()
    try:
        g.marker = "the test's context"
        # No ScriptInfo that could load an app: the active context is what the command uses.
        result = CliRunner().invoke(show, [])
    finally:
        context.pop()
    assert result.output == "the test's context\n"
    assert app.test_cli_runner().invoke(show).output == "none\n"


def test_the_app_context_is_popped_after_the_command(app: TrioQuart) -> None:
    @app.cli.command()
    def noop() -> None:
        assert has_app_context()

    assert app.test_cli_runner().invoke(args=["noop"]).exit_code == 0
    assert not has_app_context()


# --- test_cli_runner --------------------------------------------------------------------------


def test_cli_runner_defaults_to_the_apps_commands(app: TrioQuart) -> None:
    @app.cli.command()
    def hello() -> None:
        click.echo("hello")

    runner = app.test_cli_runner(env={"GREETING": "hi"})
    assert isinstance(runner, TrioQuartCliRunner)
    assert runner.app is app
    assert runner.env == {"GREETING": "hi"}
    assert runner.invoke(args=["hello"]).output == "hello\n"
    assert "hello" in runner.invoke(args=["--help"]).output
    # An explicit obj is passed on as it is.
    other = TrioQuart("other")
    result = runner.invoke(main, ["routes"], obj=ScriptInfo(create_app=lambda: other))
    assert "static" in result.output
