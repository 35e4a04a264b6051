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

import trio
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.exceptions import abort as _werkzeug_abort

from .hooks import blueprint_path
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


def collapse_cancelled(error: BaseException) -> BaseException:
    """What a group from trio's nurseries stands for, as one exception where that is clear.

    Besides a lone leaf (see :func:`single_error`): a group whose leaves are all
    ``trio.Cancelled`` (every task of the nurseries was cancelled from outside) is the first
    of them, and a group of one other exception and cancellations is that exception (the
    cancellations came from outside while it propagated). Anything else is the group itself.
    """
    error = single_error(error)
    if not isinstance(error, BaseExceptionGroup):
        return error
    cancelled, others = error.split(trio.Cancelled)
    if others is None:
        return _leaves(error)[0]
    if cancelled is not None:
        lone = single_error(others)
        if not isinstance(lone, BaseExceptionGroup):
            return lone
    return error


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exception in group.exceptions:
        if isinstance(exception, BaseExceptionGroup):
            leaves += _leaves(exception)
        else:
            leaves.append(exception)
    return leaves


class ErrorHandlers:
    """The registered error handlers, by owner (``None`` for the app, else a blueprint's name),
    by status code, then by exception class: Flask's arrangement.

    ``errorhandler(404)`` and ``errorhandler(NotFound)`` register the same thing (the class of
    the code, under the code); a handler for any other class is kept under no code.
    """

    def __init__(self) -> None:
        self._handlers: dict[
            str | None, dict[int | None, dict[type[BaseException], ErrorHandler]]
        ] = {}

    def add(
        self, key: int | type[BaseException], handler: ErrorHandler, owner: str | None = None
    ) -> None:
        """Register ``handler`` for the status code or exception class ``key``."""
        if isinstance(key, int):
            code: int | None = key
            exception_class: type[BaseException] = default_exceptions.get(key, HTTPException)
        else:
            exception_class = key
            code = key.code if issubclass(key, HTTPException) else None
        self._handlers.setdefault(owner, {}).setdefault(code, {})[exception_class] = handler

    def owned_by(self, owner: str | None) -> Iterator[tuple[type[BaseException], ErrorHandler]]:
        """Every handler ``owner`` registered, with the exception class it handles."""
        for by_class in self._handlers.get(owner, {}).values():
            yield from by_class.items()

    def find(self, error: BaseException, blueprint: str | None) -> ErrorHandler | None:
        """The handler for ``error`` in a request served by ``blueprint`` (its full dotted
        name, or ``None``), in Flask's order.

        Handlers for the error's status code come first: the blueprint's, then those of the
        blueprints it is nested in (innermost first), then the app's; then handlers for any
        code, in the same order of owners. Within each, the exception's classes are tried
        from the most specific: a blueprint's handler for ``Exception`` wins over the app's
        for ``KeyError``.
        """
        owners = (None,) if blueprint is None else (*blueprint_path(blueprint), None)
        code = error.code if isinstance(error, HTTPException) else None
        for wanted_code in (code, None) if code is not None else (None,):
            for owner in owners:
                by_class = self._handlers.get(owner, {}).get(wanted_code)
                if not by_class:
                    continue
                for cls in type(error).__mro__:
                    handler = by_class.get(cls)
                    if handler is not None:
                        return handler
        return None
