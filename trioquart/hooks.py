"""Hooks: the registry of request and websocket hooks and URL processors, by kind and owner.

An owner is ``None`` for the app itself, or the full name of a blueprint (``"parent.child"``
for one nested in another), whose hooks run only for the requests its views serve, and for
those of the blueprints nested in it. The order in which hooks run is Flask's:
``before_*`` hooks and URL processors run the app's first, then the outermost blueprint's,
inward, each in registration order; ``after_*`` and ``teardown_*`` hooks run the other way
round, the innermost blueprint's first and each owner's in reverse registration order.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterator
from typing import Any

Hook = Callable[..., Any]


class HookKind(enum.Enum):
    """When a hook runs."""

    BEFORE_REQUEST = "before_request"
    AFTER_REQUEST = "after_request"
    TEARDOWN_REQUEST = "teardown_request"
    BEFORE_WEBSOCKET = "before_websocket"
    AFTER_WEBSOCKET = "after_websocket"
    TEARDOWN_WEBSOCKET = "teardown_websocket"
    #: ``f(endpoint, view_args)``, plain functions, before the ``before_*`` hooks.
    URL_VALUE_PREPROCESSOR = "url_value_preprocessor"
    #: ``f(endpoint, values)``, plain functions, in ``url_for`` before the URL is built.
    URL_DEFAULTS = "url_defaults"

    @property
    def runs_app_first(self) -> bool:
        """Whether the app's hooks of this kind run before a blueprint's (``before_*`` and
        the URL processors)."""
        return self in _APP_FIRST


_APP_FIRST = frozenset(
    {
        HookKind.BEFORE_REQUEST,
        HookKind.BEFORE_WEBSOCKET,
        HookKind.URL_VALUE_PREPROCESSOR,
        HookKind.URL_DEFAULTS,
    }
)


@functools.cache
def blueprint_path(name: str) -> tuple[str, ...]:
    """The blueprint ``name`` and those it is nested in, innermost first:
    ``"a.b.c"`` gives ``("a.b.c", "a.b", "a")``. Flask's ``request.blueprints`` order.

    Cached: the names are those of registered blueprints, a few.
    """
    parts = name.split(".")
    return tuple(".".join(parts[:end]) for end in range(len(parts), 0, -1))


@functools.cache
def _owners_app_first(blueprint: str) -> tuple[str | None, ...]:
    return (None, *reversed(blueprint_path(blueprint)))


class Hooks:
    """Hooks by kind and owner (``None`` for the app, else a blueprint's full name)."""

    def __init__(self) -> None:
        self._hooks: dict[HookKind, dict[str | None, list[Hook]]] = {kind: {} for kind in HookKind}

    def add(self, kind: HookKind, hook: Hook, owner: str | None = None) -> None:
        """Register ``hook`` to run at ``kind`` for ``owner``'s requests (all, for ``None``)."""
        self._hooks[kind].setdefault(owner, []).append(hook)

    def owned_by(self, owner: str | None) -> Iterator[tuple[HookKind, Hook]]:
        """Every hook ``owner`` registered, with its kind, in registration order."""
        for kind, by_owner in self._hooks.items():
            for hook in by_owner.get(owner, []):
                yield kind, hook

    def to_run(self, kind: HookKind, blueprint: str | None) -> list[Hook]:
        """The hooks of ``kind`` for a request served by ``blueprint`` (its full dotted name,
        or ``None``), in the order they run: the app's and those of ``blueprint`` and of
        every blueprint it is nested in."""
        by_owner = self._hooks[kind]
        if not by_owner:
            return []
        if blueprint is None:  # most requests: the app's hooks alone
            own = by_owner.get(None, [])
            return own[:] if kind.runs_app_first else own[::-1]
        owners = _owners_app_first(blueprint)
        if kind.runs_app_first:
            return [hook for owner in owners for hook in by_owner.get(owner, ())]
        return [hook for owner in reversed(owners) for hook in reversed(by_owner.get(owner, ()))]
