"""Blueprint: a group of routes, hooks and error handlers registered on an app as a unit.

A blueprint records what is declared on it; ``app.register_blueprint`` replays the routes under
the blueprint's URL prefix, with endpoints named ``"<blueprint>.<view>"``, and files the hooks
and error handlers so that they apply to that blueprint's requests only.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .hooks import HookKind
from .scaffold import F, Scaffold

if TYPE_CHECKING:
    from .app import TrioQuart


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
        root_path: the folder the others are relative to (default: the module's folder).

    Raises:
        ValueError: ``name`` is empty or contains a dot.
    """

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        root_path: str | None = None,
    ) -> None:
        if not name or "." in name:
            raise ValueError(f"A blueprint name must be non-empty and contain no dot: {name!r}")
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        self.name = name
        self.url_prefix = url_prefix
        self._rules: list[
            tuple[str, str | None, Callable[..., Any], Any, bool, dict[str, Any]]
        ] = []
        self._app_hooks: list[tuple[HookKind, Callable[..., Any]]] = []
        # What the app_template_* and app_context_processor decorators record, applied to
        # the app at registration.
        self._app_setup: list[Callable[[TrioQuart], None]] = []
        self._registered_on: weakref.WeakSet[TrioQuart] = weakref.WeakSet()

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
        """Record a rule, to be added to the app by ``register_blueprint``."""
        if view_func is None:
            raise TypeError("add_url_rule() needs a view_func")
        if endpoint is not None and "." in endpoint:
            raise ValueError(f"A blueprint endpoint must not contain a dot: {endpoint!r}")
        self._rules.append((rule, endpoint, view_func, methods, websocket, options))

    def before_app_request(self, hook: F) -> F:
        """Like ``app.before_request``: runs for every request of the app."""
        self._app_hooks.append((HookKind.BEFORE_REQUEST, hook))
        return hook

    def after_app_request(self, hook: F) -> F:
        """Like ``app.after_request``: runs for every request of the app."""
        self._app_hooks.append((HookKind.AFTER_REQUEST, hook))
        return hook

    def app_context_processor(self, function: F) -> F:
        """Like ``app.context_processor``: for every template of the app."""
        self._app_setup.append(lambda app: app.context_processors.append(function))
        return function

    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_filter``: a filter for every template of the app."""

        def decorator(function: F) -> F:
            self._app_setup.append(lambda app: app.add_template_filter(function, name))
            return function

        return decorator

    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_test``: a test for every template of the app."""

        def decorator(function: F) -> F:
            self._app_setup.append(lambda app: app.add_template_test(function, name))
            return function

        return decorator

    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_global``: a global for every template of the app."""

        def decorator(function: F) -> F:
            self._app_setup.append(lambda app: app.add_template_global(function, name))
            return function

        return decorator

    def register(self, app: TrioQuart, url_prefix: str | None) -> None:
        """Add this blueprint's routes, hooks and error handlers to ``app``.

        Raises:
            ValueError: the blueprint is already registered on ``app``.
        """
        if app in self._registered_on:
            # Registering again would add every hook a second time, so each would run twice.
            raise ValueError(
                f"The blueprint {self.name!r} is already registered on this app; register it "
                "once (one URL prefix per blueprint)."
            )
        self._registered_on.add(app)
        prefix = (url_prefix if url_prefix is not None else self.url_prefix or "").rstrip("/")
        for rule, endpoint, view_func, methods, websocket, options in self._rules:
            full_rule = f"{prefix}/{rule.lstrip('/')}" if prefix else rule
            name = f"{self.name}.{endpoint or view_func.__name__}"
            app.add_url_rule(full_rule, name, view_func, methods, websocket=websocket, **options)
        if self.static_url_path is not None:
            rule = f"{prefix}{self.static_url_path}/<path:filename>"
            app.add_url_rule(rule, f"{self.name}.static", self.send_static_file)
        for kind, hook in self.hooks.owned_by(None):
            app.hooks.add(kind, hook, owner=self.name)
        for kind, hook in self._app_hooks:
            app.hooks.add(kind, hook)
        for key, handler in self.error_handlers.owned_by(None):
            app.error_handlers.add(key, handler, owner=self.name)
        app.blueprint_context_processors[self.name] = list(self.context_processors)
        for setup in self._app_setup:
            setup(app)
