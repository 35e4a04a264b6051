"""Scaffold: the decorator registries an app and a blueprint share.

Routes, hooks and error handlers are recorded here, hooks (and URL processors) in a ``Hooks``
registry and error handlers in an ``ErrorHandlers`` registry. Both keep them per owner:
``None`` is the object itself; the application also keeps the entries of each registered
blueprint, which apply only to requests that blueprint's views serve.

A plain ``def`` view, hook or error handler is wrapped once, when it is registered, to run in
a worker thread (``sync.ensure_async``); the decorators return the function as given.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, TypeVar

import trio
from jinja2 import FileSystemLoader

from .errors import ErrorHandlers
from .files import send_from_directory
from .hooks import HookKind, Hooks
from .sync import ensure_async, is_async_callable
from .wrappers.response import Response

F = TypeVar("F", bound=Callable[..., Any])


class Scaffold:
    """Route, hook and error-handler registration shared by ``TrioQuart`` and ``Blueprint``.

    Args:
        import_name: the name of the module that defines the app or blueprint.
        static_folder: the folder of static files, relative to ``root_path``.
        static_url_path: the URL path they are served under (default: ``/`` + the folder's
            name).
        template_folder: the folder of templates, relative to ``root_path``.
        root_path: the folder the others are relative to (default: the folder of the module
            ``import_name``).
    """

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        #: The folder that ``static_folder`` and ``template_folder`` are relative to.
        self.root_path = root_path if root_path is not None else find_root_path(import_name)
        self.template_folder = template_folder
        self._static_folder = os.fspath(static_folder) if static_folder is not None else None
        self._static_url_path = static_url_path
        #: The request and websocket hooks registered here.
        self.hooks = Hooks()
        #: The error handlers registered here.
        self.error_handlers = ErrorHandlers()
        #: Functions whose returned dicts are added to every template's context (own views'
        #: only, for a blueprint).
        self.context_processors: list[Callable[[], Any]] = []

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or ``None``."""
        if self._static_folder is None:
            return None
        return os.path.join(self.root_path, self._static_folder)

    @property
    def static_url_path(self) -> str | None:
        """The URL path static files are served under, or ``None`` without a static folder."""
        if self._static_url_path is not None:
            return self._static_url_path.rstrip("/")
        if self._static_folder is None:
            return None
        return "/" + os.path.basename(self._static_folder.rstrip("/\\"))

    async def send_static_file(self, filename: str) -> Response:
        """The view of the ``static`` endpoint: ``filename`` from the static folder, or 404.

        Raises:
            RuntimeError: there is no static folder.
        """
        folder = self.static_folder
        if folder is None:
            raise RuntimeError(f"{self.import_name!r} has no static folder")
        return await send_from_directory(folder, filename)

    @cached_property
    def jinja_loader(self) -> FileSystemLoader | None:
        """The loader of this app's or blueprint's own templates, if it has a folder."""
        if self.template_folder is None:
            return None
        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    async def open_resource(
        self, path: str | os.PathLike[str], mode: str = "rb"
    ) -> Any:  # trio.open_file's AsyncIOWrapper, whose type trio does not export
        """Open ``path`` under :attr:`root_path` for reading, as a trio async file:
        ``async with await app.open_resource("schema.sql") as file: await file.read()``.

        Raises:
            ValueError: ``mode`` is not a reading mode.
        """
        if mode not in {"r", "rb", "rt"}:
            raise ValueError(
                f"open_resource() only reads files; use mode 'r' or 'rb', not {mode!r}"
            )
        return await trio.open_file(os.path.join(self.root_path, path), mode)

    def context_processor(self, function: F) -> F:
        """Add the dict ``function()`` returns (``async def`` or plain) to templates' context."""
        self._check_setup("context_processor")
        self.context_processors.append(function)
        return function

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
        """Register ``view_func`` for ``rule``. Subclasses decide where rules go."""
        raise NotImplementedError  # pragma: no cover - both subclasses override it

    def route(
        self,
        rule: str,
        methods: Iterable[str] | None = None,
        *,
        endpoint: str | None = None,
        **options: Any,
    ) -> Callable[[F], F]:
        """Decorate a view for ``rule`` (``GET`` unless ``methods`` says otherwise).

        The view is an ``async def`` function, or a plain ``def`` one, which runs in a worker
        thread. Options are ``provide_automatic_options`` and Werkzeug ``Rule`` options:
        ``defaults``, ``strict_slashes``, ``host``, ``subdomain`` ...
        """

        def decorator(view: F) -> F:
            self.add_url_rule(rule, endpoint, view, methods, **options)
            return view

        return decorator

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["GET"])``."""
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["POST"])``."""
        return self.route(rule, methods=["POST"], **options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["PUT"])``."""
        return self.route(rule, methods=["PUT"], **options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["PATCH"])``."""
        return self.route(rule, methods=["PATCH"], **options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["DELETE"])``."""
        return self.route(rule, methods=["DELETE"], **options)

    def websocket(
        self, rule: str, *, endpoint: str | None = None, **options: Any
    ) -> Callable[[F], F]:
        """Decorate an ``async def`` websocket handler for ``rule``."""

        def decorator(view: F) -> F:
            self.add_websocket(rule, endpoint, view, **options)
            return view

        return decorator

    def add_websocket(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Register the websocket handler ``view_func`` for ``rule`` (Quart's method; see
        :meth:`websocket`)."""
        self.add_url_rule(rule, endpoint, view_func, ["GET"], websocket=True, **options)

    def _check_setup(self, method: str) -> None:
        """Refuse a declaration that would no longer take effect (a blueprint's, once it is
        registered); the app takes them at any time."""

    def _add_hook(self, kind: HookKind, hook: F) -> F:
        self._check_setup(kind.value)
        self.hooks.add(kind, ensure_async(hook))
        return hook

    def before_request(self, hook: F) -> F:
        """Run ``await hook()`` before each request; a returned value becomes the response."""
        return self._add_hook(HookKind.BEFORE_REQUEST, hook)

    def after_request(self, hook: F) -> F:
        """Run ``response = await hook(response)`` after each request that got a response."""
        return self._add_hook(HookKind.AFTER_REQUEST, hook)

    def teardown_request(self, hook: F) -> F:
        """Run ``await hook(error_or_None)`` when each request ends, whatever happened."""
        return self._add_hook(HookKind.TEARDOWN_REQUEST, hook)

    def before_websocket(self, hook: F) -> F:
        """Run ``await hook()`` before each websocket handler; a value rejects the connection."""
        return self._add_hook(HookKind.BEFORE_WEBSOCKET, hook)

    def after_websocket(self, hook: F) -> F:
        """Run ``response = await hook(response_or_None)`` after a handler that did not fail."""
        return self._add_hook(HookKind.AFTER_WEBSOCKET, hook)

    def teardown_websocket(self, hook: F) -> F:
        """Run ``await hook(error_or_None)`` when each websocket connection ends."""
        return self._add_hook(HookKind.TEARDOWN_WEBSOCKET, hook)

    def url_value_preprocessor(self, function: F) -> F:
        """Call ``function(endpoint, view_args)`` for each request and websocket, before the
        ``before_*`` hooks; it may change ``view_args`` (the view's keyword arguments).

        A blueprint's runs for its own views' requests. Called as it is, never awaited, as
        in Flask (``endpoint`` and ``view_args`` are ``None`` when routing failed).

        Raises:
            TypeError: ``function`` is an ``async def`` function.
        """
        self._check_setup("url_value_preprocessor")
        self.hooks.add(
            HookKind.URL_VALUE_PREPROCESSOR, require_plain("url_value_preprocessor", function)
        )
        return function

    def url_defaults(self, function: F) -> F:
        """Call ``function(endpoint, values)`` in ``url_for`` before the URL is built; it may
        add to ``values`` (the values the rule is built from).

        A blueprint's runs for its own endpoints. Called as it is, never awaited, as in Flask.

        Raises:
            TypeError: ``function`` is an ``async def`` function.
        """
        self._check_setup("url_defaults")
        self.hooks.add(HookKind.URL_DEFAULTS, require_plain("url_defaults", function))
        return function

    def errorhandler(self, code_or_exception: int | type[BaseException]) -> Callable[[F], F]:
        """Decorate ``handler(error)`` for a status code or an exception class (``async def``,
        or a plain ``def`` that runs in a worker thread).

        Raises:
            ValueError: ``code_or_exception`` is neither an int nor an exception class.
        """
        check_error_key(code_or_exception)
        self._check_setup("errorhandler")

        def decorator(handler: F) -> F:
            self.error_handlers.add(code_or_exception, ensure_async(handler))
            return handler

        return decorator

    def register_error_handler(
        self, code_or_exception: int | type[BaseException], handler: Callable[..., Any]
    ) -> None:
        """Like :meth:`errorhandler`, without a decorator.

        Raises:
            ValueError: ``code_or_exception`` is neither an int nor an exception class.
        """
        self.errorhandler(code_or_exception)(handler)


def check_error_key(code_or_exception: object) -> None:
    """Refuse what ``errorhandler`` cannot take.

    Raises:
        ValueError: ``code_or_exception`` is neither an int nor an exception class.
    """
    key = code_or_exception  # checked as given: callers may be untyped
    if not (isinstance(key, int) or (isinstance(key, type) and issubclass(key, BaseException))):
        raise ValueError(f"errorhandler() takes a status code or an exception class, not {key!r}")


def unwrap_sync(function: Callable[..., Any]) -> Callable[..., Any]:
    """The plain function that ``function`` runs in a worker thread (``sync.run_sync``'s
    wrapper records it), or ``function`` itself."""
    original: Callable[..., Any] = getattr(function, "__trioquart_sync__", function)
    return original


def require_plain(decorator: str, function: F) -> F:
    """``function``, checked to be a plain function (URL processors are never awaited).

    Raises:
        TypeError: ``function`` is an ``async def`` function.
    """
    if is_async_callable(function):
        raise TypeError(
            f"{decorator}() functions are called without being awaited (inside url_for, "
            f"among others), so {getattr(function, '__qualname__', function)!r} must be a "
            "plain def function, not an async one."
        )
    return function


def find_root_path(import_name: str) -> str:
    """The folder of the module ``import_name`` (the working directory for ``__main__`` run
    interactively, or a module that cannot be found)."""
    module = sys.modules.get(import_name)
    filename: str | None = getattr(module, "__file__", None) if module is not None else None
    if filename is None and import_name != "__main__":
        try:
            spec = importlib.util.find_spec(import_name)
        except (ImportError, ValueError):
            spec = None
        filename = spec.origin if spec is not None and spec.has_location else None
    if filename is None:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(filename))
