"""Contexts: what makes ``current_app``, ``g``, ``request`` and ``websocket`` resolve.

A context is pushed by setting its ContextVar and popped by resetting the token; neither waits.
Leaving ``async with app.app_context()`` awaits the ``teardown_appcontext`` functions first.
This module does not own dispatch, teardown hooks (``pipeline.py``) or I/O.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .globals import app_context_var, find_app_context, request_context_var, websocket_context_var
from .signals import appcontext_tearing_down

if TYPE_CHECKING:
    from .app import TrioQuart
    from .sessions import Session
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

    async def __aexit__(
        self, exc_type: object, exc: BaseException | None, traceback: object
    ) -> None:
        try:
            await self.app.do_teardown_appcontext(exc)
        finally:
            self.pop()


def app_context_teardown_wanted(app: TrioQuart) -> bool:
    """Whether the end of an application context of ``app`` has anything to run: its
    ``teardown_appcontext`` functions or receivers of ``appcontext_tearing_down``. Not a
    checkpoint; lets a request skip the awaiting when there is nothing."""
    return bool(app.teardown_appcontext_funcs) or bool(appcontext_tearing_down.receivers)


class _ConnectionContext:
    """What request and websocket contexts share: pushing themselves, with the application
    context they run in."""

    __slots__ = ("_pushed_app_context", "_token", "app", "app_context", "flashes", "session")

    #: The context variable that makes this kind of connection current.
    _variable: ContextVar[Any]

    def __init__(self, app: TrioQuart) -> None:
        self.app = app
        #: The application context of this connection (``current_app`` and ``g``), once pushed.
        self.app_context: AppContext | None = None
        #: The session, once opened (before the first hook runs).
        self.session: Session | None = None
        #: The flashed messages taken from the session, once ``get_flashed_messages`` ran.
        self.flashes: list[tuple[str, Any]] | None = None
        self._pushed_app_context = False
        self._token: Token[Any] | None = None

    @property
    def owns_app_context(self) -> bool:
        """Whether this connection pushed its application context (none was active), so
        that its end is also the end of that context (``teardown_appcontext``)."""
        return self._pushed_app_context

    def push(self) -> None:
        """Make this connection (and an app context, if none is active) current in this task.

        As in Flask, an app context already active for this app (and its ``g``) is shared;
        otherwise the connection pushes one of its own.
        """
        current = find_app_context()
        if current is not None and current.app is self.app:
            self.app_context = current
        else:
            self.app_context = AppContext(self.app)
            self.app_context.push()
            self._pushed_app_context = True
        self._token = self._variable.set(self)

    def pop(self) -> None:
        """Restore the contexts that were current before :meth:`push`."""
        if self._token is not None:
            self._variable.reset(self._token)
            self._token = None
        if self._pushed_app_context and self.app_context is not None:
            self.app_context.pop()
            self._pushed_app_context = False


class RequestContext(_ConnectionContext):
    """Makes ``request`` (and ``current_app``, ``g``) available while one request is handled."""

    __slots__ = ("request",)
    _variable = request_context_var

    def __init__(self, app: TrioQuart, request: Request) -> None:
        super().__init__(app)
        self.request = request


class WebsocketContext(_ConnectionContext):
    """Makes ``websocket`` (and ``current_app``, ``g``) available while one connection is served."""

    __slots__ = ("websocket",)
    _variable = websocket_context_var

    def __init__(self, app: TrioQuart, websocket: Websocket) -> None:
        super().__init__(app)
        self.websocket = websocket
