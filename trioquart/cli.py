"""The ``trioquart`` command line (also ``python -m trioquart``), built on click, as Quart's.

``trioquart --app module:app COMMAND`` (or ``TRIOQUART_APP``, or an ``app.py`` in the current
directory) names the application; ``run``, ``routes`` and ``shell`` come built in, and the
app's own commands (``app.cli``, which also gets its blueprints' ``bp.cli`` commands when
they are registered) are added next to them. ``app.cli`` and ``bp.cli`` are each an
:class:`AppGroup`: their commands run inside an application context, and an ``async def``
command runs with ``trio.run``.

This module owns finding the app for a command (:class:`ScriptInfo`) and the commands
themselves; importing an app from its name is ``serving.find_app``'s job, and serving it
``serving.run_app``'s.
"""

from __future__ import annotations

import code
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click
import trio

from .ctx import app_context_teardown_wanted
from .globals import current_app, has_app_context
from .serving import DEFAULT_BACKLOG, SERVERS, AppNotFoundError, find_app, run_app

if TYPE_CHECKING:
    from werkzeug.routing import Rule

    from .app import TrioQuart
    from .ctx import AppContext

F = TypeVar("F", bound=Callable[..., Any])


class NoAppException(click.UsageError):
    """No application could be found for a command that needs one (exit code 2)."""


class ScriptInfo:
    """Where the command line finds the application, and the application once found.

    Passed to every command as click's context object. The app is loaded on first use and
    kept.

    Args:
        app_import_path: ``module:name`` or a file path, as for ``--app`` (see
            ``trioquart.serving.find_app``). Without it (nor ``create_app``), an ``app.py``
            in the current directory.
        create_app: a callable that returns the application, used instead of an import path
            (``TrioQuartCliRunner`` passes one).
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[[], TrioQuart] | None = None,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        #: The path that imports the loaded app again (``"module:app"``), which Hypercorn's
        #: reloader and worker processes need; ``None`` for an app from ``create_app``.
        self.import_path: str | None = None
        self._loaded_app: TrioQuart | None = None

    def load_app(self) -> TrioQuart:
        """Return the application, finding it the first time.

        Raises:
            NoAppException: no application is named and there is no ``app.py`` here, or the
                one named cannot be found (the message says why).
        """
        if self._loaded_app is not None:
            return self._loaded_app
        if self.create_app is not None:
            app = self.create_app()
        else:
            target = self.app_import_path
            if target is None:
                if not os.path.isfile("app.py"):
                    raise NoAppException(
                        "Could not locate a trioquart application. Use the 'trioquart --app "
                        "module:app' option, the 'TRIOQUART_APP' environment variable, or an "
                        "'app.py' file in the current directory."
                    )
                target = "app.py"
            try:
                app, self.import_path = find_app(target)
            except AppNotFoundError as error:
                raise NoAppException(str(error)) from error
        self._loaded_app = app
        return app


#: Decorate a command callback to receive the :class:`ScriptInfo` as its first argument.
pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(function: F) -> F:
    """Wrap a click command callback to run inside the application's context.

    The app comes from the :class:`ScriptInfo` of the command line (or an app context already
    active is used). The callback may be an ``async def`` function: it then runs in a new
    ``trio.run`` (so it cannot be invoked from code already running in trio), in the same
    app context, without the app's lifespan (no ``before_serving``, no ``app.nursery``).
    ``app.cli.command()`` applies this wrapper itself.
    """
    return _command_callback(function, app_context=True)


def _command_callback(function: F, *, app_context: bool) -> F:
    @click.pass_context
    def callback(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        if app_context and not has_app_context():
            app = ctx.ensure_object(ScriptInfo).load_app()
            # Popped when click closes the command's context, so that subcommands of a
            # wrapped group share it.
            ctx.with_resource(_pushed(app.app_context()))
        result = ctx.invoke(function, *args, **kwargs)
        # Checked on the result rather than the function, so that an async callback under
        # click's own decorators (pass_context, pass_obj) runs too.
        if inspect.iscoroutine(result):
            return trio.run(_awaited, result)
        return result

    return update_wrapper(callback, function)  # type: ignore[return-value]


async def _awaited(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return await coroutine


@contextmanager
def _pushed(context: AppContext) -> Iterator[None]:
    context.push()
    error: BaseException | None = None
    try:
        yield
    except BaseException as caught:
        error = caught
        raise
    finally:
        try:
            # The command has ended, and so has its application context: its
            # teardown_appcontext functions run, in a trio run of their own.
            if app_context_teardown_wanted(context.app):
                trio.run(context.app.do_teardown_appcontext, error)
        finally:
            context.pop()


class AppGroup(click.Group):
    """A click group whose commands run inside the application's context.

    ``app.cli`` is one. Its :meth:`command` decorator wraps the callback in
    :func:`with_appcontext` (unless given ``with_appcontext=False``), so a command may use
    ``current_app`` and ``g``, and may be an ``async def`` function, run with ``trio.run``.
    """

    @overload
    def command(self, __func: Callable[..., Any]) -> click.Command: ...

    @overload
    def command(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]: ...

    def command(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command] | click.Command:
        """Decorate a function to make it a command of this group, as ``click.Group.command``
        does, run in the app context (``with_appcontext=False``: without one)."""
        app_context = kwargs.pop("with_appcontext", True)
        if args and callable(args[0]):
            # Used bare: @app.cli.command
            (function,) = args
            return self.command(with_appcontext=app_context, **kwargs)(function)

        def decorator(function: Callable[..., Any]) -> click.Command:
            callback = _command_callback(function, app_context=app_context)
            command: click.Command = click.Group.command(self, *args, **kwargs)(callback)
            return command

        return decorator

    @overload
    def group(self, __func: Callable[..., Any]) -> click.Group: ...

    @overload
    def group(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Group]: ...

    def group(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Group] | click.Group:
        """Decorate a function to make it a subgroup, an :class:`AppGroup` unless ``cls`` is
        given."""
        kwargs.setdefault("cls", AppGroup)
        made: Callable[[Callable[..., Any]], click.Group] | click.Group
        made = super().group(*args, **kwargs)
        return made


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value


# Eager, so that the app (and its commands) is known when --help lists the commands; it comes
# before --help in the parameters for the same reason.
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    envvar="TRIOQUART_APP",
    is_eager=True,
    expose_value=False,
    callback=_set_app,
    help=(
        "The application to load, as 'module:name' (also TRIOQUART_APP). The module may be a "
        "dotted name or a file path; the name may be a factory call, 'create_app(\"dev\")', "
        "and may be left out when it is app, application, create_app or make_app."
    ),
)


class TrioQuartGroup(AppGroup):
    """The ``trioquart`` command: ``run``, ``routes``, ``shell`` and the app's own commands.

    Adds the ``--app`` option and gives every command a :class:`ScriptInfo`. Options of the
    commands may also come from ``TRIOQUART_<COMMAND>_<OPTION>`` environment variables
    (``TRIOQUART_RUN_PORT=8000``), as with Quart's ``QUART_`` ones.

    Args:
        create_app: returns the application, for a script of your own built on this group
            (instead of ``--app``).
    """

    def __init__(
        self, *args: Any, create_app: Callable[[], TrioQuart] | None = None, **kwargs: Any
    ) -> None:
        kwargs["params"] = [_app_option, *kwargs.get("params", ())]
        kwargs.setdefault("context_settings", {}).setdefault("auto_envvar_prefix", "TRIOQUART")
        super().__init__(*args, **kwargs)
        self.create_app = create_app
        self.add_command(run_command)
        self.add_command(routes_command)
        self.add_command(shell_command)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Make click's context, with a :class:`ScriptInfo` as its object unless given one."""
        extra.setdefault("obj", ScriptInfo(create_app=self.create_app))
        return super().make_context(info_name, args, parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the arguments; with none, read ``TRIOQUART_APP`` first so that the help
        shown lists the app's commands."""
        if not args and self.no_args_is_help:
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A built-in command, or else one of the app's (``None``, after saying why, when the
        app cannot be loaded)."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException as error:
            click.secho(f"Error: {error.format_message()}\n", err=True, fg="red")
            return None
        return app.cli.get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The built-in commands and the app's, sorted; when the app cannot be loaded, the
        built-in ones after saying why."""
        names = set(super().list_commands(ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except NoAppException as error:
            click.secho(f"Error: {error.format_message()}\n", err=True, fg="red")
        except Exception:
            # The app's module raised while imported: the help still lists the built-in
            # commands, after the traceback.
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)


@click.command("run", short_help="Serve the app (Hypercorn's trio worker or the built-in one).")
@click.argument("target", required=False)
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", "-p", default=5000, show_default=True, help="Port to bind.")
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default=SERVERS[0],
    show_default=True,
    # The explicit name would otherwise replace the automatic TRIOQUART_RUN_SERVER.
    envvar=["TRIOQUART_SERVER", "TRIOQUART_RUN_SERVER"],
    help="Hypercorn's trio worker, or trioquart's built-in server (also TRIOQUART_SERVER).",
)
@click.option("--reload", is_flag=True, help="Restart when a source file changes (Hypercorn).")
@click.option("--workers", "-w", default=1, show_default=True, help="Worker processes.")
@click.option("--debug", is_flag=True, help="Debug logging and DEBUG = True.")
@click.option(
    "--backlog",
    default=DEFAULT_BACKLOG,
    show_default=True,
    type=click.IntRange(min=1),
    help="Connections the kernel may queue before they are accepted.",
)
@click.option(
    "--ws-ping-interval",
    type=click.FloatRange(min=0),
    help="Seconds between pings on websockets, 0 for none [default: none on Hypercorn, 20 on "
    "the built-in server].",
)
@click.option(
    "--certfile",
    "--cert",
    type=click.Path(exists=True, dir_okay=False),
    help="Certificate file: serve HTTPS.",
)
@click.option(
    "--keyfile",
    "--key",
    type=click.Path(exists=True, dir_okay=False),
    help="The certificate's key file.",
)
@click.option("--access-log", is_flag=True, help="Log every request.")
@pass_script_info
def run_command(
    info: ScriptInfo,
    target: str | None,
    host: str,
    port: int,
    server: str,
    reload: bool,
    workers: int,
    debug: bool,
    backlog: int,
    ws_ping_interval: float | None,
    certfile: str | None,
    keyfile: str | None,
    access_log: bool,
) -> None:
    """Serve TARGET ("module:app"), or the app of --app, on Hypercorn's trio worker or (with
    --server builtin) on trioquart's built-in server."""
    if server == "builtin" and reload:
        raise click.UsageError(
            "The built-in server does not reload yet: use --server hypercorn for --reload"
        )
    import_path: str | None
    if target is not None:
        try:
            app, import_path = find_app(target)
        except AppNotFoundError as error:
            raise click.BadParameter(str(error), param_hint="TARGET") from error
    else:
        app = info.load_app()
        import_path = info.import_path
    if (reload or workers > 1) and import_path is None:
        raise click.UsageError(
            "--reload and --workers need the app's import path, and this app was not "
            "imported from one: name it, as in 'trioquart --app module:app run'"
        )
    options: dict[str, Any] = {
        name: value
        for name, value in [("certfile", certfile), ("keyfile", keyfile)]
        if value is not None
    }
    if ws_ping_interval is not None:
        options["websocket_ping_interval"] = ws_ping_interval or None
    run_app(
        app,
        host=host,
        port=port,
        debug=debug,
        use_reloader=reload,
        workers=workers,
        application_path=import_path,
        server=server,
        access_log=access_log,
        backlog=backlog,
        **options,
    )


@click.command("routes", short_help="Show the app's routes.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(["endpoint", "methods", "domain", "rule", "match"]),
    default="endpoint",
    show_default=True,
    help="What to sort by; 'match' is the order in which rules are matched.",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show every route: its endpoint, methods and rule (WEBSOCKET for a websocket route)."""
    rules: list[Rule] = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching: bool = current_app.url_map.host_matching

    def methods(rule: Rule) -> str:
        if rule.websocket:
            return "WEBSOCKET"
        return ", ".join(sorted((rule.methods or set()) - hidden))

    def domain(rule: Rule) -> str:
        return (rule.host if host_matching else rule.subdomain) or ""

    keys: dict[str, Callable[[Rule], str]] = {
        "endpoint": lambda rule: str(rule.endpoint),
        "methods": methods,
        "domain": domain,
        "rule": lambda rule: rule.rule,
    }
    if sort in keys:
        rules.sort(key=keys[sort])
    headers = ["Endpoint", "Methods"]
    has_domain = any(domain(rule) for rule in rules)
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
    headers.append("Rule")
    rows = [headers]
    for rule in rules:
        rows.append(
            [str(rule.endpoint), methods(rule), *([domain(rule)] if has_domain else []), rule.rule]
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(headers))]
    rows.insert(1, ["-" * width for width in widths])
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@click.command("shell", short_help="Run a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the application's context.

    Its namespace has ``app``, ``g`` and what the app's shell context processors return,
    after running the ``PYTHONSTARTUP`` file if one is set. ``trio.run(...)`` works in it.
    """
    namespace: dict[str, Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as file:
            exec(compile(file.read(), startup, "exec"), namespace)
    namespace.update(current_app.make_shell_context())
    # The hook Python itself calls before an interactive prompt (site's sets up readline,
    # with history). Its completer would complete names of trioquart's __main__, so it is
    # pointed at this namespace instead.
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None:
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        interactive_hook()
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {current_app.import_name} [{current_app.root_path}]"
    )
    code.interact(banner=banner, local=namespace)


@click.group("trioquart", cls=TrioQuartGroup)
# The installed distribution's version, which click reads with importlib.metadata when asked.
@click.version_option(package_name="trioquart", prog_name="trioquart")
def main() -> None:
    """trioquart: serve and manage trioquart applications.

    The application is the one named by --app (or the TRIOQUART_APP environment variable), or
    else the one in app.py in the current directory. Its own commands (app.cli, with those of
    its blueprints) are listed with the built-in ones.
    """
