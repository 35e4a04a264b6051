"""Contexts: what makes ``current_app``, ``g``, ``request`` and ``websocket`` resolve.

A context is pushed by setting its ContextVar and popped by resetting the token; neither waits.
This module does not own dispatch, teardown hooks (``pipeline.py``) or I/O.
"""

from __future__ import annotations

from contextvars import Token
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .globals import app_context_var, find_app_context, request_context_var, websocket_context_var

if TYPE_CHECKING:
    from .app import TrioQuart
    from .wrappers.request import Request
    from .wrappers.websocket import Websocket


class _AppGlobals(SimpleNamespace):
    """The ``g`` namespace: free-form storage for the length of one application context."""

    def get(self, name: str, default: Any = None) -> Any:
        """Return the attribute ``name``, or ``default`` if it is not set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, *default: Any) -> Any:
        """Remove and return the attribute ``name`` (or ``default``, if given)."""
        return self.__dict__.pop(name, *default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Return the attribute ``name``, setting it to ``default`` first if missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__


class AppContext:
    """Makes ``current_app`` and ``g`` available. Usable as ``async with app.app_context():``."""

    __slots__ = ("_g", "_token", "app")

    def __init__(self, app: TrioQuart) -> None:
        self.app = app
        self._g: _AppGlobals | None = None
        self._token: Token[AppContext] | None = None

    @property
    def g(self) -> _AppGlobals:
        """This context's ``g`` namespace (made on first use: most requests never touch it)."""
        g = self._g
        if g is None:
            g = self._g = _AppGlobals()
        return g

    def push(self) -> None:
        """Make this context current in this task (and in tasks it starts afterwards)."""
        self._token = app_context_var.set(self)

    def pop(self) -> None:
        """Restore the context that was current before :meth:`push`."""
        if self._token is not None:
            app_context_var.reset(self._token)
            self._token = None

    async def __aenter__(self) -> AppContext:
        self.push()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.pop()


class _ConnectionContext:
    """What request and websocket contexts share: the application context they run in."""

    __slots__ = ("_pushed_app_context", "_token", "app", "app_context")

    def __init__(self, app: TrioQuart) -> None:
        self.app = app
        #: The application context of this connection (``current_app`` and ``g``), once pushed.
        self.app_context: AppContext | None = None
        self._pushed_app_context = False
        self._token: Token[Any] | None = None

    def _push_app_context(self) -> None:
        # As in Flask: share the context already active for this app (and its ``g``), else
        # push one of the connection's own.
        current = find_app_context()
        if current is not None and current.app is self.app:
            self.app_context = current
        else:
            self.app_context = AppContext(self.app)
            self.app_context.push()
            self._pushed_app_context = True

    def _pop_app_context(self) -> None:
        if self._pushed_app_context and self.app_context is not None:
            self.app_context.pop()
            self._pushed_app_context = False


class RequestContext(_ConnectionContext):
    """Makes ``request`` (and ``current_app``, ``g``) available while one request is handled."""

    __slots__ = ("request",)

    def __init__(self, app: TrioQuart, request: Request) -> None:
        super().__init__(app)
        self.request = request

    def push(self) -> None:
        """Make the request (and an app context, if none is active) current in this task."""
        self._push_app_context()
        self._token = request_context_var.set(self)

    def pop(self) -> None:
        """Restore the contexts that were current before :meth:`push`."""
        if self._token is not None:
            request_context_var.reset(self._token)
            self._token = None
        self._pop_app_context()


class WebsocketContext(_ConnectionContext):
    """Makes ``websocket`` (and ``current_app``, ``g``) available while one connection is served."""

    __slots__ = ("websocket",)

    def __init__(self, app: TrioQuart, websocket: Websocket) -> None:
        super().__init__(app)
        self.websocket = websocket

    def push(self) -> None:
        """Make the websocket (and an app context, if none is active) current in this task."""
        self._push_app_context()
        self._token = websocket_context_var.set(self)

    def pop(self) -> None:
        """Restore the contexts that were current before :meth:`push`."""
        if self._token is not None:
            websocket_context_var.reset(self._token)
            self._token = None
        self._pop_app_context()
