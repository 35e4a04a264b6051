"""Hooks: the registry of request and websocket hooks, by kind and by owner.

An owner is ``None`` for the app itself, or the name of a blueprint, whose hooks run only for
the requests its views serve. The order in which hooks run is Flask's: ``before_*`` hooks run
the app's first, in registration order; ``after_*`` and ``teardown_*`` hooks run in reverse
registration order, the blueprint's first.
"""

from __future__ import annotations

import enum
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

    @property
    def runs_app_first(self) -> bool:
        """Whether the app's hooks of this kind run before a blueprint's (the ``before_*``)."""
        return self.value.startswith("before_")


class Hooks:
    """Hooks by kind and owner (``None`` for the app, else a blueprint's name)."""

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
        """The hooks of ``kind`` for a request served by ``blueprint``, in the order they run."""
        by_owner = self._hooks[kind]
        if not by_owner:
            return []
        own = by_owner.get(None, [])
        scoped = by_owner.get(blueprint, []) if blueprint is not None else []
        if kind.runs_app_first:
            return [*own, *scoped]
        return [*reversed(scoped), *reversed(own)]
