"""Scaffold: the decorator registries an app and a blueprint share.

Routes, hooks and error handlers are recorded here, hooks in a ``Hooks`` registry and error
handlers in an ``ErrorHandlers`` registry. Both keep them per owner: ``None`` is the object
itself; the application also keeps the entries of each registered blueprint, which apply only
to requests that blueprint's views serve.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, TypeVar

from jinja2 import FileSystemLoader

from .errors import ErrorHandlers
from .files import send_from_directory
from .hooks import HookKind, Hooks
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

    def context_processor(self, function: F) -> F:
        """Add the dict ``function()`` returns (``async def`` or plain) to templates' context."""
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
        """Decorate an ``async def`` view for ``rule`` (``GET`` unless ``methods`` says otherwise).

        Options are Werkzeug ``Rule`` options: ``defaults``, ``strict_slashes``, ``host`` ...
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
            self.add_url_rule(rule, endpoint, view, ["GET"], websocket=True, **options)
            return view

        return decorator

    def _add_hook(self, kind: HookKind, hook: F) -> F:
        self.hooks.add(kind, hook)
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

    def errorhandler(self, code_or_exception: int | type[BaseException]) -> Callable[[F], F]:
        """Decorate ``async def handler(error)`` for a status code or an exception class.

        Raises:
            ValueError: ``code_or_exception`` is neither an int nor an exception class.
        """
        key: object = code_or_exception  # checked as given: callers may be untyped
        if not (isinstance(key, int) or (isinstance(key, type) and issubclass(key, BaseException))):
            raise ValueError(
                f"errorhandler() takes a status code or an exception class, "
                f"not {code_or_exception!r}"
            )

        def decorator(handler: F) -> F:
            self.error_handlers.add(code_or_exception, handler)
            return handler

        return decorator


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
