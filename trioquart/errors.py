"""Errors: ``abort``, the choice of error handler, and trioquart's own exception types.

Exception tree (what can reach your code, and from where)::

    werkzeug.exceptions.HTTPException      an HTTP answer: abort(404), routing (404/405/308/400),
      ├─ BadRequest (400)                  invalid JSON or form bodies
      └─ RequestEntityTooLarge (413)       a body above MAX_CONTENT_LENGTH
    trioquart.testing.WebsocketResponseError   test client: the app rejected a websocket (.response)
    trioquart.testing.WebsocketDisconnectError test client: the app closed it (.code, .reason)
    TypeError                              a view returned something that is not a response
    RuntimeError                           misuse, e.g. a context global outside its context

A handler error that no error handler takes becomes a 500 response and is logged with its
traceback. A lone exception wrapped in an ``ExceptionGroup`` (from a nursery in the handler) is
matched against error handlers as itself; a group of several is matched as the group.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import abort as _werkzeug_abort

from .typing import ErrorHandler


def abort(status: int | Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the ``HTTPException`` for ``status`` (for example ``abort(404)``).

    ``status`` may also be a ``Response``, which is then sent as it is.
    """
    from .wrappers.response import Response

    if isinstance(status, Response):
        raise ResponseAbort(status)
    _werkzeug_abort(status, *args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover - werkzeug's abort always raises


class ResponseAbort(HTTPException):
    """``abort(response)``: stop handling and send ``response`` as it is."""

    def __init__(self, response: Any) -> None:
        super().__init__()
        self.response_to_send = response
        self.code = response.status_code


def single_error(error: BaseException) -> BaseException:
    """The lone leaf of nested single-exception groups, or ``error`` itself."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


class ErrorHandlers:
    """The registered error handlers, by owner (``None`` for the app, else a blueprint's name)
    and by status code or exception class."""

    def __init__(self) -> None:
        self._handlers: dict[str | None, dict[int | type[BaseException], ErrorHandler]] = {}

    def add(
        self, key: int | type[BaseException], handler: ErrorHandler, owner: str | None = None
    ) -> None:
        """Register ``handler`` for the status code or exception class ``key``."""
        self._handlers.setdefault(owner, {})[key] = handler

    def owned_by(
        self, owner: str | None
    ) -> Iterator[tuple[int | type[BaseException], ErrorHandler]]:
        """Every handler ``owner`` registered, with its key."""
        yield from self._handlers.get(owner, {}).items()

    def find(self, error: BaseException, blueprint: str | None) -> ErrorHandler | None:
        """The handler for ``error`` in a request served by ``blueprint``, in Flask's order.

        A status-code handler (HTTP errors) comes first, the blueprint's before the app's. Then
        each registry in turn, the blueprint's first, is searched along the exception's class
        hierarchy: a blueprint's handler for ``Exception`` wins over the app's for ``KeyError``.
        """
        owners = (None,) if blueprint is None else (blueprint, None)
        registries = [self._handlers[owner] for owner in owners if owner in self._handlers]
        if isinstance(error, HTTPException) and error.code is not None:
            for registry in registries:
                handler = registry.get(error.code)
                if handler is not None:
                    return handler
        for registry in registries:
            for cls in type(error).__mro__:
                handler = registry.get(cls)
                if handler is not None:
                    return handler
        return None
