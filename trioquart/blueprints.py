"""Blueprint: a group of routes, hooks and error handlers registered on an app as a unit.

A blueprint records what is declared on it. ``app.register_blueprint`` replays it, as Flask
does: under a name (the blueprint's own, or ``name=``), the routes get the URL prefix, the
subdomain and the URL defaults of that registration and endpoints named
``"<name>.<view>"``; the hooks, error handlers and URL processors are filed under the name,
so that they apply to that blueprint's requests only. Blueprints nested in it with
``bp.register_blueprint`` are registered next, under ``"<name>.<child>"``, with the prefixes
joined; what is filed under ``"parent"`` applies to ``"parent.child"``'s requests too.

The same blueprint may be registered again under another name (each name has its own
endpoints and hooks); what its ``*_app_*`` decorators add to the app is added once.

Its command-line commands (``bp.cli``) are added to ``app.cli`` at each registration, as
Flask adds them: as a group named after the registration (``cli_group``), or one by one
(``cli_group=None``).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .hooks import HookKind
from .scaffold import F, Scaffold, check_error_key, require_plain
from .sync import ensure_async

if TYPE_CHECKING:
    from .app import TrioQuart
    from .cli import AppGroup

DeferredSetupFunction = Callable[["BlueprintSetupState"], None]


def check_blueprint_name(name: object) -> None:
    """Refuse a blueprint name that cannot be one: endpoints are ``"<name>.<view>"``.

    Raises:
        ValueError: ``name`` is empty or contains a dot.
    """
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(
            f"A blueprint name must be non-empty and contain no dot: {name!r} (a dot "
            "separates the names of nested blueprints in endpoints)"
        )


class CliGroupDefault(enum.Enum):
    """The type of ``cli_group``'s default, ``REGISTERED_NAME``: the blueprint's commands
    go in a group named as the blueprint is registered (``"<name>"``, or
    ``"<parent>.<name>"`` for a nested one)."""

    # A one-member enum rather than a bare object(), so that the type checker narrows
    # ``str | CliGroupDefault | None`` with ``is`` and None stays free to mean "no group".
    REGISTERED_NAME = enum.auto()


def check_cli_group(cli_group: object) -> None:
    """Refuse a ``cli_group`` that cannot name a command group.

    Raises:
        TypeError: ``cli_group`` is neither a str nor None.
        ValueError: ``cli_group`` is the empty string.
    """
    if cli_group is None or cli_group is CliGroupDefault.REGISTERED_NAME:
        return
    if not isinstance(cli_group, str):
        raise TypeError(
            f"cli_group must be a str (the name of the blueprint's command group) or None "
            f"(its commands go straight on app.cli), not {type(cli_group).__name__}: "
            f"{cli_group!r}"
        )
    if not cli_group:
        raise ValueError(
            "cli_group must not be empty: name the blueprint's command group, or pass None "
            "to put its commands straight on app.cli"
        )


def registration_options(
    *,
    name: str | None = None,
    url_prefix: str | None = None,
    subdomain: str | None = None,
    url_defaults: dict[str, Any] | None = None,
    cli_group: str | CliGroupDefault | None = CliGroupDefault.REGISTERED_NAME,
) -> dict[str, Any]:
    """The options of one ``register_blueprint`` call, as ``Blueprint.register`` takes them
    (only those given; ``cli_group=None`` is given).

    Raises:
        ValueError: ``name`` is empty or contains a dot, or ``cli_group`` is empty.
        TypeError: ``cli_group`` is neither a str nor None.
    """
    if name is not None:
        check_blueprint_name(name)
    check_cli_group(cli_group)
    given = {
        "name": name,
        "url_prefix": url_prefix,
        "subdomain": subdomain,
        "url_defaults": url_defaults,
    }
    options: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
    if cli_group is not CliGroupDefault.REGISTERED_NAME:
        options["cli_group"] = cli_group
    return options


class BlueprintSetupState:
    """One registration of a blueprint on an app, given to each function it recorded.

    Args:
        blueprint: the blueprint being registered.
        app: the app it is registered on.
        options: the ``register_blueprint`` options (and ``name_prefix``, the full name of
            the blueprint it is nested in).
        first_registration: whether the blueprint was not registered on ``app`` before,
            under any name.
    """

    def __init__(
        self,
        blueprint: Blueprint,
        app: TrioQuart,
        options: dict[str, Any],
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        #: The subdomain of the blueprint's rules (``None``: the app's default).
        self.subdomain: str | None = subdomain if subdomain is not None else blueprint.subdomain
        url_prefix = options.get("url_prefix")
        #: The prefix of the blueprint's rules (``None``: none).
        self.url_prefix: str | None = url_prefix if url_prefix is not None else blueprint.url_prefix
        #: The name this registration uses (without the parents' names).
        self.name: str = options.get("name", blueprint.name)
        #: The full name of the blueprint this one is nested in, or ``""``.
        self.name_prefix: str = options.get("name_prefix", "")
        #: Values every rule of the blueprint passes to its view.
        self.url_defaults: dict[str, Any] = {
            **blueprint.url_values_defaults,
            **options.get("url_defaults", {}),
        }

    @property
    def full_name(self) -> str:
        """The dotted name the blueprint is registered under (``"parent.child"``)."""
        return f"{self.name_prefix}.{self.name}".lstrip(".")

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        methods: Iterable[str] | None = None,
        *,
        websocket: bool = False,
        **options: Any,
    ) -> None:
        """Add a rule to the app with this registration's prefix, subdomain, defaults and
        endpoint name (Flask's rule joining: ``""`` under ``/prefix`` is ``/prefix``, and
        ``"/"`` is ``/prefix/``).

        Raises:
            TypeError: no ``view_func``.
            ValueError: as ``app.add_url_rule``.
        """
        if view_func is None:
            raise TypeError("add_url_rule() needs a view_func")
        if self.url_prefix is not None:
            prefix = self.url_prefix
            rule = "/".join((prefix.rstrip("/"), rule.lstrip("/"))) if rule else prefix
        if self.subdomain is not None:
            options.setdefault("subdomain", self.subdomain)
        defaults = {**self.url_defaults, **(options.pop("defaults", None) or {})}
        if defaults:
            options["defaults"] = defaults
        name = f"{self.full_name}.{endpoint or view_func.__name__}"
        self.app.add_url_rule(rule, name, view_func, methods, websocket=websocket, **options)


class Blueprint(Scaffold):
    """A named collection of routes to register on an app.

    Args:
        name: the blueprint's name, the prefix of its endpoint names.
        import_name: the module that defines it (usually ``__name__``).
        static_folder: its own static files, relative to ``root_path``.
        static_url_path: the URL path they are served under (after ``url_prefix``).
        template_folder: its own templates, relative to ``root_path``; the app's folder is
            searched first.
        url_prefix: prefix for every rule; ``register_blueprint`` may override it.
        subdomain: the subdomain of every rule (with ``subdomain_matching``);
            ``register_blueprint`` may override it.
        url_defaults: values every rule passes to its view, as a rule's ``defaults``.
        root_path: the folder the others are relative to (default: the module's folder).
        cli_group: the name of the group the commands of :attr:`cli` get under
            ``trioquart``; default: the name the blueprint is registered under; ``None``:
            no group, the commands are added to ``app.cli`` itself. ``register_blueprint``
            may override it.

    Raises:
        ValueError: ``name`` is empty or contains a dot, or ``cli_group`` is empty.
        TypeError: ``cli_group`` is neither a str nor None.
    """

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | CliGroupDefault | None = CliGroupDefault.REGISTERED_NAME,
    ) -> None:
        check_blueprint_name(name)
        check_cli_group(cli_group)
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        #: Values every rule of the blueprint passes to its view.
        self.url_values_defaults: dict[str, Any] = dict(url_defaults or {})
        #: What each registration replays (routes, and what the ``*_app_*`` decorators add).
        self.deferred_functions: list[DeferredSetupFunction] = []
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []
        self._registered = False
        #: Where registration puts the commands of :attr:`cli` (see ``cli_group`` above).
        self.cli_group = cli_group
        self._cli: AppGroup | None = None

    @property
    def cli(self) -> AppGroup:
        """The click group of the blueprint's commands (``@bp.cli.command()``), an
        ``AppGroup`` named after the blueprint; made on first use.

        Registration adds them to ``app.cli`` as Flask does (see ``cli_group``): the group
        itself is added, renamed after its place there, so declare the commands before
        registering the blueprint.
        """
        if self._cli is None:
            # Imported here: cli.py sits above blueprints in the layers, and click is only
            # needed by blueprints that have commands.
            from .cli import AppGroup

            self._cli = AppGroup(self.name)
        return self._cli

    def _check_setup(self, method: str) -> None:
        if self._registered:
            raise RuntimeError(
                f"The blueprint {self.name!r} is already registered on an app, so this "
                f"{method}() would not reach it: registration copies what the blueprint holds. "
                "Declare routes, hooks and the rest before registering the blueprint."
            )

    def record(self, function: DeferredSetupFunction) -> None:
        """Call ``function(state)`` with a :class:`BlueprintSetupState` at each
        registration of this blueprint.

        Raises:
            RuntimeError: the blueprint is already registered (as for every declaration).
        """
        self._check_setup("record")
        self.deferred_functions.append(function)

    def record_once(self, function: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but only at the first registration on each app.

        Raises:
            RuntimeError: the blueprint is already registered (as for every declaration).
        """
        self._record_once("record_once", function)

    def _record_once(self, method: str, function: DeferredSetupFunction) -> None:
        self._check_setup(method)

        def once(state: BlueprintSetupState) -> None:
            if state.first_registration:
                function(state)

        self.deferred_functions.append(once)

    def make_setup_state(
        self, app: TrioQuart, options: dict[str, Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state given to recorded functions (a subclass may return its own)."""
        return BlueprintSetupState(self, app, options, first_registration)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        methods: Iterable[str] | None = None,
        *,
        websocket: bool = False,
        **options: Any,
    ) -> None:
        """Record a rule, to be added to the app by ``register_blueprint`` (under each name
        the blueprint is registered with).

        Raises:
            TypeError: no ``view_func``.
            ValueError: ``endpoint``, or the view's name when it is the endpoint, contains a
                dot.
        """
        if view_func is None:
            raise TypeError("add_url_rule() needs a view_func")
        if endpoint is not None and "." in endpoint:
            raise ValueError(f"A blueprint endpoint must not contain a dot: {endpoint!r}")
        if endpoint is None and "." in view_func.__name__:
            raise ValueError(
                f"A blueprint view's name is its endpoint and must not contain a dot: "
                f"{view_func.__name__!r}; pass endpoint='...'"
            )
        self._check_setup("add_url_rule")
        endpoint = endpoint or view_func.__name__
        view = ensure_async(view_func)
        self.record(
            lambda state: state.add_url_rule(
                rule, endpoint, view, methods, websocket=websocket, **options
            )
        )

    def register_blueprint(
        self,
        blueprint: Blueprint,
        *,
        name: str | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        cli_group: str | CliGroupDefault | None = CliGroupDefault.REGISTERED_NAME,
    ) -> None:
        """Nest ``blueprint`` in this one: registered with it, as ``"<this>.<name>"``, under
        this one's URL prefix and subdomain joined with its own (or those given here).

        Its commands go in a group of ``app.cli`` of their own, named ``"<this>.<name>"``
        unless ``cli_group`` (or the nested blueprint's own) says otherwise, as in Flask.

        Raises:
            ValueError: ``blueprint`` is this one or has it nested inside (a loop), or
                ``name`` is empty or contains a dot, or ``cli_group`` is empty.
            TypeError: ``cli_group`` is neither a str nor None.
        """
        self._check_setup("register_blueprint")
        if blueprint is self or self in blueprint._nested():
            raise ValueError(
                f"Cannot nest the blueprint {blueprint.name!r} in {self.name!r}: "
                f"{'it is the same blueprint' if blueprint is self else 'it contains it'}, "
                "so registering it would never end."
            )
        options = registration_options(
            name=name,
            url_prefix=url_prefix,
            subdomain=subdomain,
            url_defaults=url_defaults,
            cli_group=cli_group,
        )
        self._blueprints.append((blueprint, options))

    def _nested(self) -> Iterator[Blueprint]:
        for child, _ in self._blueprints:
            yield child
            yield from child._nested()

    def _app_hook(self, method: str, kind: HookKind, hook: F) -> F:
        self._add_to_app(method, kind, ensure_async(hook))
        return hook

    def _add_to_app(self, method: str, kind: HookKind, function: Callable[..., Any]) -> None:
        self._record_once(method, lambda state: state.app.hooks.add(kind, function))

    def before_app_request(self, hook: F) -> F:
        """Like ``app.before_request``: runs for every request of the app."""
        return self._app_hook("before_app_request", HookKind.BEFORE_REQUEST, hook)

    def after_app_request(self, hook: F) -> F:
        """Like ``app.after_request``: runs for every request of the app."""
        return self._app_hook("after_app_request", HookKind.AFTER_REQUEST, hook)

    def teardown_app_request(self, hook: F) -> F:
        """Like ``app.teardown_request``: runs for every request of the app."""
        return self._app_hook("teardown_app_request", HookKind.TEARDOWN_REQUEST, hook)

    def before_app_websocket(self, hook: F) -> F:
        """Like ``app.before_websocket``: runs for every websocket of the app."""
        return self._app_hook("before_app_websocket", HookKind.BEFORE_WEBSOCKET, hook)

    def after_app_websocket(self, hook: F) -> F:
        """Like ``app.after_websocket``: runs for every websocket of the app."""
        return self._app_hook("after_app_websocket", HookKind.AFTER_WEBSOCKET, hook)

    def teardown_app_websocket(self, hook: F) -> F:
        """Like ``app.teardown_websocket``: runs for every websocket of the app."""
        return self._app_hook("teardown_app_websocket", HookKind.TEARDOWN_WEBSOCKET, hook)

    def app_url_value_preprocessor(self, function: F) -> F:
        """Like ``app.url_value_preprocessor``: for every request of the app.

        Raises:
            TypeError: ``function`` is an ``async def`` function.
        """
        self._add_to_app(
            "app_url_value_preprocessor",
            HookKind.URL_VALUE_PREPROCESSOR,
            require_plain("url_value_preprocessor", function),
        )
        return function

    def app_url_defaults(self, function: F) -> F:
        """Like ``app.url_defaults``: for every endpoint of the app.

        Raises:
            TypeError: ``function`` is an ``async def`` function.
        """
        self._add_to_app(
            "app_url_defaults", HookKind.URL_DEFAULTS, require_plain("url_defaults", function)
        )
        return function

    def app_errorhandler(self, code_or_exception: int | type[BaseException]) -> Callable[[F], F]:
        """Like ``app.errorhandler``: for errors of every request of the app.

        Raises:
            ValueError: ``code_or_exception`` is neither an int nor an exception class.
        """
        check_error_key(code_or_exception)

        def decorator(handler: F) -> F:
            wrapped = ensure_async(handler)
            self._record_once(
                "app_errorhandler",
                lambda state: state.app.error_handlers.add(code_or_exception, wrapped),
            )
            return handler

        return decorator

    def before_app_serving(self, hook: F) -> F:
        """Like ``app.before_serving``: added to the app's startup hooks at registration."""

        def register(state: BlueprintSetupState) -> None:
            state.app.before_serving(hook)

        self._record_once("before_app_serving", register)
        return hook

    def after_app_serving(self, hook: F) -> F:
        """Like ``app.after_serving``: added to the app's shutdown hooks at registration."""

        def register(state: BlueprintSetupState) -> None:
            state.app.after_serving(hook)

        self._record_once("after_app_serving", register)
        return hook

    def while_app_serving(self, function: F) -> F:
        """Like ``app.while_serving``: an async generator function, added to the app's at
        registration."""

        def register(state: BlueprintSetupState) -> None:
            state.app.while_serving(function)

        self._record_once("while_app_serving", register)
        return function

    def app_context_processor(self, function: F) -> F:
        """Like ``app.context_processor``: for every template of the app."""

        def register(state: BlueprintSetupState) -> None:
            state.app.context_processor(function)

        self._record_once("app_context_processor", register)
        return function

    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_filter``: a filter for every template of the app."""

        def decorator(function: F) -> F:
            self.add_app_template_filter(function, name)
            return function

        return decorator

    def add_app_template_filter(
        self, function: Callable[..., Any], name: str | None = None
    ) -> None:
        """Like ``app.add_template_filter``, at registration."""
        self._record_once(
            "add_app_template_filter", lambda state: state.app.add_template_filter(function, name)
        )

    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_test``: a test for every template of the app."""

        def decorator(function: F) -> F:
            self.add_app_template_test(function, name)
            return function

        return decorator

    def add_app_template_test(self, function: Callable[..., Any], name: str | None = None) -> None:
        """Like ``app.add_template_test``, at registration."""
        self._record_once(
            "add_app_template_test", lambda state: state.app.add_template_test(function, name)
        )

    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_global``: a global for every template of the app."""

        def decorator(function: F) -> F:
            self.add_app_template_global(function, name)
            return function

        return decorator

    def add_app_template_global(
        self, function: Callable[..., Any], name: str | None = None
    ) -> None:
        """Like ``app.add_template_global``, at registration."""
        self._record_once(
            "add_app_template_global", lambda state: state.app.add_template_global(function, name)
        )

    def register(self, app: TrioQuart, options: dict[str, Any]) -> None:
        """Add this blueprint's routes, hooks and error handlers to ``app``, then those of
        the blueprints nested in it (``app.register_blueprint`` calls this).

        Raises:
            ValueError: the name is already registered on ``app``.
        """
        name_prefix: str = options.get("name_prefix", "")
        name = f"{name_prefix}.{options.get('name', self.name)}".lstrip(".")
        existing = app.blueprints.get(name)
        if existing is self:
            raise ValueError(
                f"The blueprint {self.name!r} is already registered on this app as {name!r}; "
                "to register it again, give it another name: "
                "register_blueprint(blueprint, name='...')"
            )
        if existing is not None:
            raise ValueError(
                f"A different blueprint is already registered as {name!r}; register this one "
                "under another name: register_blueprint(blueprint, name='...')"
            )
        first_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._registered = True
        state = self.make_setup_state(app, options, first_registration)
        if self.static_url_path is not None:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>", "static", self.send_static_file
            )
        for kind, hook in self.hooks.owned_by(None):
            app.hooks.add(kind, hook, owner=name)
        for key, handler in self.error_handlers.owned_by(None):
            app.error_handlers.add(key, handler, owner=name)
        # The app looks up one list per blueprint: a nested one's starts with its parents'.
        inherited = app.blueprint_context_processors.get(name_prefix, [])
        app.blueprint_context_processors[name] = [*inherited, *self.context_processors]
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_commands(app, name, options.get("cli_group", self.cli_group))
        for child, child_options in self._blueprints:
            child.register(app, nested_options(state, child, child_options))

    def _register_commands(
        self, app: TrioQuart, name: str, cli_group: str | CliGroupDefault | None
    ) -> None:
        # self._cli rather than self.cli: a blueprint whose group was never asked for has no
        # commands, and looking would import click and cli.py for nothing.
        if self._cli is None or not self._cli.commands:
            return
        if cli_group is None:
            for command_name, command in self._cli.commands.items():
                app.cli.add_command(command, command_name)
            return
        # Renamed as Flask does, so that click's usage lines and a tool that adds the group
        # elsewhere see the name it has on app.cli (the last one, when registered twice).
        self._cli.name = name if cli_group is CliGroupDefault.REGISTERED_NAME else cli_group
        app.cli.add_command(self._cli)


def nested_options(
    parent: BlueprintSetupState, child: Blueprint, options: dict[str, Any]
) -> dict[str, Any]:
    """The options ``child`` is registered with inside ``parent``'s registration: Flask's
    joining of URL prefixes (``/parent`` + ``/child``) and subdomains (``child.parent``)."""
    options = {**options, "name_prefix": parent.full_name}
    subdomain = options.get("subdomain", child.subdomain)
    if parent.subdomain is not None and subdomain is not None:
        options["subdomain"] = f"{subdomain}.{parent.subdomain}"
    elif subdomain is not None or parent.subdomain is not None:
        options["subdomain"] = subdomain if subdomain is not None else parent.subdomain
    url_prefix = options.get("url_prefix", child.url_prefix)
    if parent.url_prefix is not None and url_prefix is not None:
        options["url_prefix"] = f"{parent.url_prefix.rstrip('/')}/{url_prefix.lstrip('/')}"
    elif url_prefix is not None or parent.url_prefix is not None:
        options["url_prefix"] = url_prefix if url_prefix is not None else parent.url_prefix
    return options
