"""Scaffold: the decorator registries an app and a blueprint share.

Routes, hooks and error handlers are recorded here, hooks in a ``Hooks`` registry and error
handlers in an ``ErrorHandlers`` registry. Both keep them per owner: ``None`` is the object
itself; the application also keeps the entries of each registered blueprint, which apply only
to requests that blueprint's views serve.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .errors import ErrorHandlers
from .hooks import HookKind, Hooks

F = TypeVar("F", bound=Callable[..., Any])


class Scaffold:
    """Route, hook and error-handler registration shared by ``TrioQuart`` and ``Blueprint``.

    Args:
        import_name: the name of the module that defines the app or blueprint.
    """

    def __init__(self, import_name: str) -> None:
        self.import_name = import_name
        #: The request and websocket hooks registered here.
        self.hooks = Hooks()
        #: The error handlers registered here.
        self.error_handlers = ErrorHandlers()

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
