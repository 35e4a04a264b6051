"""TrioQuart: the application object.

Registration lives in ``scaffold.py`` and the request pipeline in ``pipeline.py``; this module
keeps the app's registries and serving state, and ``__call__`` picks a driver by
``scope["type"]``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

import trio
from werkzeug.routing import BaseConverter

from .asgi.disconnect_watch import DisconnectWatch, open_disconnect_watch
from .asgi.http import handle_http
from .asgi.lifespan import run_lifespan
from .asgi.websocket import ConnectedWebsockets, handle_websocket
from .background import BackgroundNursery
from .blueprints import Blueprint, CliGroupDefault, registration_options
from .config import Config
from .ctx import AppContext
from .globals import g
from .json.provider import DefaultJSONProvider, JSONProvider
from .pipeline import Pipeline
from .routing import Router
from .scaffold import F, Scaffold, unwrap_sync
from .sessions import SecureCookieSessionInterface, SessionInterface
from .sync import ensure_async
from .templating import Environment
from .typing import ASGIApp, ServingHook, WhileServingHook
from .wrappers.request import Request
from .wrappers.websocket import Websocket

if TYPE_CHECKING:
    from collections.abc import Mapping

    from werkzeug.datastructures import Headers

    from .cli import AppGroup
    from .testing import TestApp, TestClient, TestRequestContext, TestWebsocketContext
    from .testing.cli import TrioQuartCliRunner
    from .testing.scopes import AuthArgument, HeadersArgument, QueryArgument
    from .typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope, WebsocketScope


class TrioQuart(Scaffold, Pipeline):
    """A trioquart application, an ASGI 3 callable.

    Args:
        import_name: the name of the application's module, usually ``__name__``.
    """

    #: The class of ``request`` objects (a subclass may add to it).
    request_class = Request
    #: The class of ``websocket`` objects (a subclass may add to it).
    websocket_class = Websocket
    #: The class ``test_client()`` makes (``None``: ``trioquart.testing.TestClient``).
    test_client_class: type[TestClient] | None = None
    #: The class of ``app.json``, made for each app (Flask's and Quart's attribute).
    json_provider_class: type[JSONProvider] = DefaultJSONProvider

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        *,
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        root_path: str | None = None,
        instance_path: str | None = None,
        instance_relative_config: bool = False,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = find_instance_path(import_name)
        elif not os.path.isabs(instance_path):
            raise ValueError(f"instance_path must be absolute, not {instance_path!r}")
        #: The folder of files that belong to this deployment, not to the code (Flask's
        #: "instance folder": a local config, an sqlite database). Not created for you.
        self.instance_path = instance_path
        self.config = Config(instance_path if instance_relative_config else self.root_path)
        #: Encodes and decodes every JSON of the app (see ``trioquart.json.provider``).
        self.json: JSONProvider = self.json_provider_class(self)
        self.router = Router(host_matching=host_matching, subdomain_matching=subdomain_matching)
        self.view_functions: dict[str, Callable[..., Any]] = {}
        if self.static_url_path is not None:
            if bool(static_host) != host_matching:
                raise ValueError(
                    "static_host goes with host_matching=True, and host_matching=True with a "
                    "static folder needs static_host (the host the static files are served "
                    f"from); got static_host={static_host!r}, host_matching={host_matching}"
                )
            # url_for("static", filename="app.js"); the view answers 404 if the folder is
            # missing, as in Flask.
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                "static",
                self.send_static_file,
                host=static_host,
            )
        #: Options for the Jinja environment, read when ``jinja_env`` is first used.
        self.jinja_options: dict[str, Any] = {}
        #: Context processors of each registered blueprint, for its own views' templates.
        self.blueprint_context_processors: dict[str, list[Callable[[], Any]]] = {}
        self.blueprints: dict[str, Blueprint] = {}
        #: ``before_serving`` hooks, in the order they run.
        self.before_serving_funcs: list[ServingHook] = []
        #: ``while_serving`` generator functions, entered in this order, resumed in reverse.
        self.while_serving_gens: list[WhileServingHook] = []
        #: ``after_serving`` hooks, in the order they run.
        self.after_serving_funcs: list[ServingHook] = []
        #: ``teardown_appcontext`` functions, in the order they were registered.
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        #: The app-wide nursery behind ``app.nursery``; set by the lifespan while served.
        self.background_tasks: BackgroundNursery | None = None
        #: The disconnect watch service for every connection; set by the lifespan while
        #: served (without it, each connection runs one of its own).
        self.disconnect_watch: DisconnectWatch | None = None
        #: The open websocket connections (closed with 1001 at shutdown).
        self.connected_websockets = ConnectedWebsockets()
        #: Set when the server starts shutting down (a new Event each time the app is served).
        self.shutdown_event = trio.Event()
        #: Opens and saves sessions (signed cookies unless replaced).
        self.session_interface: SessionInterface = SecureCookieSessionInterface()
        #: Where extensions keep their state, by the extension's name (Flask's convention).
        self.extensions: dict[str, Any] = {}
        #: Functions whose returned dicts fill the namespace of ``trioquart shell``.
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        #: The ASGI callable that ``app(...)`` calls; wrap it to add ASGI middleware while the
        #: app itself stays the thing served: ``app.asgi_app = Middleware(app.asgi_app)``.
        self.asgi_app: ASGIApp = self.handle_asgi

    @property
    def url_map(self) -> Any:
        """The Werkzeug ``Map`` holding every rule."""
        return self.router.url_map

    @property
    def name(self) -> str:
        """The application's name (from ``import_name``)."""
        return self.import_name.rpartition(".")[2]

    @cached_property
    def logger(self) -> logging.Logger:
        """The app's ``logging.Logger``, named after its module as in Flask and Quart.

        Unhandled errors are logged here. At ``DEBUG`` its level is ``DEBUG`` (unless set),
        and it writes to stderr when nothing else handles its level.
        """
        return create_logger(self)

    @property
    def debug(self) -> bool:
        """``config["DEBUG"]``."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @property
    def testing(self) -> bool:
        """``config["TESTING"]``: errors propagate, as they do with ``PROPAGATE_EXCEPTIONS``."""
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> str | bytes | None:
        """``config["SECRET_KEY"]``, which signs the session cookie."""
        key: str | bytes | None = self.config["SECRET_KEY"]
        return key

    @secret_key.setter
    def secret_key(self, value: str | bytes | None) -> None:
        self.config["SECRET_KEY"] = value

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """The ASGI 3 entry point: calls :attr:`asgi_app`."""
        await self.asgi_app(scope, receive, send)

    async def handle_asgi(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """The app's own ASGI callable, under any middleware in :attr:`asgi_app`."""
        if scope["type"] == "lifespan":
            await run_lifespan(self, scope, receive, send)
        elif scope["type"] == "http" or scope["type"] == "websocket":
            if self.disconnect_watch is not None:
                await self._serve_connection(scope, receive, send, self.disconnect_watch)
                return
            # Not served with a lifespan (the plain test client, or a server without one): the
            # same service runs for this connection alone.
            async with open_disconnect_watch(self.config["DISCONNECT_WATCH_DELAY"]) as watch:
                await self._serve_connection(scope, receive, send, watch)
        else:
            raise ValueError(f"Unknown ASGI scope type {scope['type']!r}")

    async def _serve_connection(
        self,
        scope: HTTPScope | WebsocketScope,
        receive: ASGIReceiveCallable,
        send: ASGISendCallable,
        watch: DisconnectWatch,
    ) -> None:
        if scope["type"] == "http":
            await handle_http(self, scope, receive, send, watch)
        else:
            await handle_websocket(self, scope, receive, send, watch)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        methods: Iterable[str] | None = None,
        *,
        websocket: bool = False,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register ``view_func`` for ``rule`` under ``endpoint`` (default: the function's name).

        A plain ``def`` view is wrapped here, once, to run in a worker thread. As in Flask,
        the view's own ``methods``, ``required_methods`` and ``provide_automatic_options``
        attributes (``View.as_view`` sets them) are used when not given. Without a
        ``view_func``, only the rule is added; :meth:`endpoint` gives it its view.

        Raises:
            TypeError: neither ``view_func`` nor ``endpoint``, or ``methods`` is a string.
            ValueError: ``endpoint`` is already taken by a different function, or the rule is
                invalid.
        """
        if view_func is None:
            if endpoint is None:
                raise TypeError("add_url_rule() needs a view_func or an endpoint")
            self._add_rule(rule, endpoint, methods or ["GET"], websocket, None, options)
            return
        endpoint = endpoint or view_func.__name__
        view = ensure_async(view_func)
        existing = self.view_functions.get(endpoint)
        if existing is not None:
            if unwrap_sync(existing) is not unwrap_sync(view):
                raise ValueError(
                    f"The endpoint {endpoint!r} is already used by {existing.__qualname__}; "
                    f"pass endpoint='...' to register {view_func.__qualname__} under another "
                    "name."
                )
            view = existing  # one wrapper per function, however many rules it serves
        if methods is None:
            methods = getattr(view_func, "methods", None) or ["GET"]
        if isinstance(methods, str):
            raise TypeError(f"methods must be a list of strings, not the string {methods!r}")
        methods = [*methods, *getattr(view_func, "required_methods", ())]
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        self._add_rule(rule, endpoint, methods, websocket, provide_automatic_options, options)
        self.view_functions[endpoint] = view

    def _add_rule(
        self,
        rule: str,
        endpoint: str,
        methods: Iterable[str],
        websocket: bool,
        provide_automatic_options: bool | None,
        options: dict[str, Any],
    ) -> None:
        if isinstance(methods, str):
            raise TypeError(f"methods must be a list of strings, not the string {methods!r}")
        self.router.add(
            rule,
            endpoint,
            methods,
            websocket=websocket,
            provide_automatic_options=provide_automatic_options,
            **options,
        )

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Decorate the view of ``endpoint``, for rules added without one
        (``app.add_url_rule("/", endpoint="index")``), as in Flask."""

        def decorator(view: F) -> F:
            self.view_functions[endpoint] = ensure_async(view)
            return view

        return decorator

    async def open_instance_resource(
        self, path: str | os.PathLike[str], mode: str = "rb"
    ) -> Any:  # trio.open_file's AsyncIOWrapper, whose type trio does not export
        """Open ``path`` under :attr:`instance_path` (any mode), as a trio async file:
        ``async with await app.open_instance_resource("notes.txt", "w") as file: ...``."""
        return await trio.open_file(os.path.join(self.instance_path, path), mode)

    def ensure_async(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` if it is async, else an async wrapper that runs it in a worker
        thread (Quart's method; see ``trioquart.sync``)."""
        return ensure_async(function)

    def add_converter(self, name: str, converter: type[BaseConverter]) -> None:
        """Make ``<name:arg>`` use ``converter`` (a Werkzeug ``BaseConverter`` subclass)."""
        self.url_map.converters[name] = converter

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
        """Add ``blueprint``'s routes, hooks and error handlers, and those of the blueprints
        nested in it, under ``name`` (default: the blueprint's own).

        ``url_prefix``, ``subdomain``, ``url_defaults`` and ``cli_group`` (the group of
        ``app.cli`` its commands get; ``None``: none) override the blueprint's own. The
        same blueprint may be registered again under another ``name``: its endpoints are
        then ``"<name>.<view>"`` for each, and its hooks run for each name's requests.

        Raises:
            ValueError: the name is already registered (by this blueprint or another), or
                ``name`` is empty or contains a dot, or ``cli_group`` is empty.
            TypeError: ``cli_group`` is neither a str nor None.
        """
        options = registration_options(
            name=name,
            url_prefix=url_prefix,
            subdomain=subdomain,
            url_defaults=url_defaults,
            cli_group=cli_group,
        )
        blueprint.register(self, options)

    def before_serving(self, hook: F) -> F:
        """Run ``await hook()`` at startup, before the server accepts connections (a plain
        function runs in a worker thread)."""
        self.before_serving_funcs.append(ensure_async(hook))
        return hook

    def after_serving(self, hook: F) -> F:
        """Run ``await hook()`` at shutdown, after background tasks have ended (a plain
        function runs in a worker thread)."""
        self.after_serving_funcs.append(ensure_async(hook))
        return hook

    def teardown_appcontext(self, function: F) -> F:
        """Run ``await function(error_or_None)`` when each application context ends: after
        each request and websocket connection, and when ``async with app.app_context()``
        (or a CLI command) ends. A plain function runs in a worker thread."""
        self.teardown_appcontext_funcs.append(ensure_async(function))
        return function

    def while_serving(self, function: F) -> F:
        """Decorate an async generator: the part before ``yield`` runs at startup, the rest at
        shutdown (in reverse order of registration)."""
        self.while_serving_gens.append(function)
        return function

    @property
    def nursery(self) -> BackgroundNursery:
        """The app-wide nursery for background tasks, open while the app is served.

        Tasks started here outlive requests, are cancelled at shutdown, and a task that raises
        is logged without stopping the others.

        Raises:
            RuntimeError: the app is not being served (no lifespan is running).
        """
        if self.background_tasks is None:
            raise RuntimeError(
                "app.nursery exists only while the app is served: the ASGI lifespan opens it. "
                "In tests, use 'async with app.test_app() as test_app:'; when serving, make "
                "sure the server runs the lifespan (Hypercorn does by default)."
            )
        return self.background_tasks

    def add_background_task(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``function(*args, **kwargs)`` in :attr:`nursery`, as Quart's method does.

        It runs in an application context of its own (``current_app`` and ``g`` work, not
        ``request``); a plain function runs in a worker thread. Shutdown waits for it up to
        ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT`` seconds, then cancels it; an error is logged.

        Raises:
            RuntimeError: the app is not being served (see :attr:`nursery`).
        """
        task = partial(ensure_async(function), *args, **kwargs)
        self.nursery.start_soon(self._run_in_app_context, task, name=function)

    async def _run_in_app_context(self, task: Callable[[], Awaitable[Any]]) -> None:
        async with self.app_context():
            await task()

    @property
    def templates_auto_reload(self) -> bool:
        """Whether changed templates are read again: ``TEMPLATES_AUTO_RELOAD``, which
        follows ``DEBUG`` when it is ``None``."""
        value = self.config["TEMPLATES_AUTO_RELOAD"]
        return bool(self.config["DEBUG"] if value is None else value)

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja environment of the app's templates, made on first use."""
        return Environment(self, **self.jinja_options)

    def template_context_processors(self, blueprint: str | None) -> list[Callable[[], Any]]:
        """The context processors for a template rendered by ``blueprint``'s views (or the
        app's, for ``None``): the app's, then the blueprint's."""
        own = self.blueprint_context_processors.get(blueprint, []) if blueprint else []
        return [*self.context_processors, *own]

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Decorate a function to use as the template filter ``name`` (default: its name)."""

        def decorator(function: F) -> F:
            self.add_template_filter(function, name)
            return function

        return decorator

    def add_template_filter(self, function: Callable[..., Any], name: str | None = None) -> None:
        """Make ``function`` the template filter ``name`` (default: its name)."""
        self.jinja_env.filters[name or function.__name__] = function

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Decorate a function to use as the template test ``name`` (``{% if x is name %}``)."""

        def decorator(function: F) -> F:
            self.add_template_test(function, name)
            return function

        return decorator

    def add_template_test(self, function: Callable[..., Any], name: str | None = None) -> None:
        """Make ``function`` the template test ``name`` (default: its name)."""
        self.jinja_env.tests[name or function.__name__] = function

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Decorate a function to make it available in every template as ``name``."""

        def decorator(function: F) -> F:
            self.add_template_global(function, name)
            return function

        return decorator

    def add_template_global(self, function: Callable[..., Any], name: str | None = None) -> None:
        """Make ``function`` available in every template as ``name`` (default: its name)."""
        self.jinja_env.globals[name or function.__name__] = function

    def app_context(self) -> AppContext:
        """An application context, for code that needs ``current_app`` outside a request."""
        return AppContext(self)

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> TestClient:
        """An in-process test client (no lifespan; see ``test_app`` for one with it), of
        :attr:`test_client_class` when set. ``kwargs`` go to the client's constructor."""
        from .testing import TestClient

        client_class = self.test_client_class or TestClient
        return client_class(self, use_cookies, **kwargs)

    def test_app(self) -> TestApp:
        """An async context manager that runs the lifespan around ``test_app.test_client()``."""
        from .testing import TestApp

        return TestApp(self)

    #: The default of ``test_request_context``'s ``json``: no JSON body (``None`` is ``null``).
    _no_json: Any = object()

    def test_request_context(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: HeadersArgument = None,
        query_string: QueryArgument = None,
        scheme: str = "http",
        send_push_promise: Callable[[str, Headers], Awaitable[None]] | None = None,
        data: bytes | str | None = None,
        form: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        json: Any = _no_json,
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: Mapping[str, Any] | None = None,
        auth: AuthArgument = None,
        subdomain: str | None = None,
    ) -> TestRequestContext:
        """A request context for a request to ``path`` that no client sent, as in Quart::

            async with app.test_request_context("/items", method="POST", json={"a": 1}):
                assert await request.get_json() == {"a": 1}

        The request is built as the test client builds it (same headers, body arguments and
        defaults) and routed (``request.endpoint``, ``view_args``); its session is opened.
        No hook or view runs; leaving the block runs the ``teardown_request`` hooks.
        ``path`` is under ``root_path`` (it is ``request.path``), as in Quart.
        ``send_push_promise`` is accepted for Quart's signature; trioquart makes no pushes.

        Raises:
            ValueError: more than one of ``json``, ``form``/``files`` and ``data``, or the
                query string both in ``path`` and as ``query_string``.
            TypeError: ``auth``, ``send_push_promise`` or a ``files`` value has the wrong type.
        """
        from .testing.bodies import NO_JSON
        from .testing.contexts import make_test_request_context, no_op_push

        return make_test_request_context(
            self,
            path,
            method=method,
            headers=headers,
            query_string=query_string,
            scheme=scheme,
            send_push_promise=send_push_promise or no_op_push,
            data=data,
            form=form,
            files=files,
            json=NO_JSON if json is self._no_json else json,
            root_path=root_path,
            http_version=http_version,
            scope_base=scope_base,
            auth=auth,
            subdomain=subdomain,
        )

    def test_websocket_context(
        self,
        path: str,
        *,
        headers: HeadersArgument = None,
        query_string: QueryArgument = None,
        scheme: str = "ws",
        subprotocols: Iterable[str] | None = None,
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: Mapping[str, Any] | None = None,
        auth: AuthArgument = None,
        subdomain: str | None = None,
    ) -> TestWebsocketContext:
        """A websocket context for a handshake to ``path`` that no client sent::

            async with app.test_websocket_context("/ws/room"):
                assert websocket.view_args == {"name": "room"}

        Built and routed like ``client.websocket()``'s handshake, with its session opened;
        leaving runs the ``teardown_websocket`` hooks. There is no client: ``accept``,
        ``send`` and ``receive`` raise ``RuntimeError``. ``path`` is under ``root_path``.

        Raises:
            ValueError: the query string is both in ``path`` and ``query_string``.
            TypeError: ``auth`` has the wrong type.
        """
        from .testing.contexts import make_test_websocket_context

        return make_test_websocket_context(
            self,
            path,
            headers=headers,
            query_string=query_string,
            scheme=scheme,
            subprotocols=subprotocols,
            root_path=root_path,
            http_version=http_version,
            scope_base=scope_base,
            auth=auth,
            subdomain=subdomain,
        )

    @cached_property
    def cli(self) -> AppGroup:
        """The click group of the app's own commands (``@app.cli.command()``), run by
        ``trioquart --app ... NAME`` inside an app context; made on first use."""
        from .cli import AppGroup

        return AppGroup(self.name)

    def shell_context_processor(self, function: F) -> F:
        """Decorate a function returning a dict of names to add to ``trioquart shell``."""
        self.shell_context_processors.append(function)
        return function

    def make_shell_context(self) -> dict[str, Any]:
        """The namespace of ``trioquart shell``: ``app``, ``g``, then what each shell context
        processor returns, in order."""
        namespace: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            namespace.update(processor())
        return namespace

    def test_cli_runner(self, **kwargs: Any) -> TrioQuartCliRunner:
        """A click test runner whose ``invoke()`` runs ``app.cli`` commands (or any command
        given) with this app loaded. Keyword arguments go to click's ``CliRunner``."""
        from .testing.cli import TrioQuartCliRunner

        return TrioQuartCliRunner(self, **kwargs)

    def run(
        self,
        host: str = "127.0.0.1",
        port: int = 5000,
        debug: bool = False,
        use_reloader: bool = False,
        server: str = "hypercorn",
        **config: Any,
    ) -> None:
        """Serve the app until interrupted (blocks): on Hypercorn's trio worker, or on the
        built-in server with ``server="builtin"``; ``config`` holds that server's settings."""
        from .serving import run_app

        run_app(
            self,
            host=host,
            port=port,
            debug=debug,
            use_reloader=use_reloader,
            server=server,
            **config,
        )


def find_instance_path(import_name: str) -> str:
    """Flask's default instance folder: ``instance`` beside the app's top-level package (or
    module); for an installed package, ``<prefix>/var/<package>-instance``."""
    top_level = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top_level)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.has_location or spec.origin is None:
        return os.path.join(os.getcwd(), "instance")
    folder = os.path.dirname(os.path.abspath(spec.origin))
    if spec.submodule_search_locations is not None:
        folder = os.path.dirname(folder)  # a package: the folder that holds it
    if os.path.basename(folder) in ("site-packages", "dist-packages"):
        return os.path.join(sys.prefix, "var", f"{top_level}-instance")
    return os.path.join(folder, "instance")


def create_logger(app: TrioQuart) -> logging.Logger:
    """The logger ``app.logger`` is: named after the app's module (its file's name when run
    as ``__main__``), at ``DEBUG`` level in debug mode unless a level is set, and writing to
    stderr unless a handler (its own or an ancestor's) already takes its level."""
    name = app.import_name
    if name == "__main__":
        filename = getattr(sys.modules.get("__main__"), "__file__", None)
        if filename:
            name = os.path.splitext(os.path.basename(filename))[0]
    logger = logging.getLogger(name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not _has_handler_for_level(logger):
        logger.addHandler(default_handler)
    return logger


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (test runners replace it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # the base class sets it once; the property always follows sys.stderr


#: The handler ``app.logger`` gets when no other handler would show its records.
default_handler = _StderrHandler()
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def _has_handler_for_level(logger: logging.Logger) -> bool:
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False
