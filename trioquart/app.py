"""TrioQuart: the application object.

Registration lives in ``scaffold.py`` and the request pipeline in ``pipeline.py``; this module
keeps the app's registries and serving state, and ``__call__`` picks a driver by
``scope["type"]``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import trio
from werkzeug.routing import BaseConverter

from .asgi.disconnect_watch import DisconnectWatch, open_disconnect_watch
from .asgi.http import handle_http
from .asgi.lifespan import run_lifespan
from .asgi.websocket import ConnectedWebsockets, handle_websocket
from .background import BackgroundNursery
from .blueprints import Blueprint
from .config import Config
from .ctx import AppContext
from .pipeline import Pipeline
from .routing import Router
from .scaffold import F, Scaffold
from .sessions import SecureCookieSessionInterface, SessionInterface
from .templating import Environment
from .typing import ASGIApp, ServingHook, WhileServingHook
from .wrappers.request import Request
from .wrappers.websocket import Websocket

if TYPE_CHECKING:
    from .testing import TestApp, TestClient
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

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        *,
        template_folder: str | os.PathLike[str] | None = "templates",
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        self.config = Config()
        self.router = Router()
        self.view_functions: dict[str, Callable[..., Any]] = {}
        if self.static_url_path is not None:
            # url_for("static", filename="app.js"); the view answers 404 if the folder is
            # missing, as in Flask.
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>", "static", self.send_static_file
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
        **options: Any,
    ) -> None:
        """Register ``view_func`` for ``rule`` under ``endpoint`` (default: the function's name).

        Raises:
            ValueError: ``endpoint`` is already taken by a different function, or the rule is
                invalid.
        """
        if view_func is None:
            raise TypeError("add_url_rule() needs a view_func")
        endpoint = endpoint or view_func.__name__
        existing = self.view_functions.get(endpoint)
        if existing is not None and existing is not view_func:
            raise ValueError(
                f"The endpoint {endpoint!r} is already used by {existing.__qualname__}; "
                f"pass endpoint='...' to register {view_func.__qualname__} under another name."
            )
        if methods is None:
            methods = getattr(view_func, "methods", None) or ["GET"]
        if isinstance(methods, str):
            raise TypeError(f"methods must be a list of strings, not the string {methods!r}")
        self.router.add(rule, endpoint, methods, websocket=websocket, **options)
        self.view_functions[endpoint] = view_func

    def add_converter(self, name: str, converter: type[BaseConverter]) -> None:
        """Make ``<name:arg>`` use ``converter`` (a Werkzeug ``BaseConverter`` subclass)."""
        self.url_map.converters[name] = converter

    def register_blueprint(self, blueprint: Blueprint, *, url_prefix: str | None = None) -> None:
        """Add ``blueprint``'s routes (under ``url_prefix``), hooks and error handlers.

        Raises:
            ValueError: another blueprint with the same name is registered.
        """
        if self.blueprints.get(blueprint.name, blueprint) is not blueprint:
            raise ValueError(f"A different blueprint is already registered as {blueprint.name!r}")
        self.blueprints[blueprint.name] = blueprint
        blueprint.register(self, url_prefix)

    def before_serving(self, hook: F) -> F:
        """Run ``await hook()`` at startup, before the server accepts connections."""
        self.before_serving_funcs.append(hook)
        return hook

    def after_serving(self, hook: F) -> F:
        """Run ``await hook()`` at shutdown, after background tasks have ended."""
        self.after_serving_funcs.append(hook)
        return hook

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

    def test_client(self) -> TestClient:
        """An in-process test client (no lifespan; see ``test_app`` for one with it)."""
        from .testing import TestClient

        return TestClient(self)

    def test_app(self) -> TestApp:
        """An async context manager that runs the lifespan around ``test_app.test_client()``."""
        from .testing import TestApp

        return TestApp(self)

    def run(
        self,
        host: str = "127.0.0.1",
        port: int = 5000,
        debug: bool = False,
        use_reloader: bool = False,
        **config: Any,
    ) -> None:
        """Serve the app on Hypercorn's trio worker until interrupted (blocks)."""
        from .serving import run_app

        run_app(self, host=host, port=port, debug=debug, use_reloader=use_reloader, **config)
