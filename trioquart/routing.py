"""The URL map: Werkzeug's ``Map`` and ``Rule``, matched by scope type.

One map holds HTTP and websocket rules. A match says which rule serves a path for a given method
and connection kind, or raises the Werkzeug exception that is the answer: ``NotFound`` (404),
``MethodNotAllowed`` (405, with ``Allow``), ``RequestRedirect`` (308, strict slashes) or
``WebsocketMismatch`` (400, a websocket upgrade to an HTTP-only path or the reverse).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from werkzeug.routing import BaseConverter, Map, MapAdapter, Rule

# Adapters are cached per (host, scheme, root path): binding one builds a new object for each
# request otherwise. The cache is bounded so that arbitrary Host headers cannot grow it.
_MAX_CACHED_ADAPTERS = 64


class TrioQuartRule(Rule):
    """A Werkzeug rule that also remembers whether OPTIONS is answered automatically."""

    def __init__(self, string: str, *, provide_automatic_options: bool = False, **options: Any):
        super().__init__(string, **options)
        self.provide_automatic_options = provide_automatic_options


class Router:
    """The application's URL map and its matcher.

    Args:
        converters: extra converter classes by name, added to Werkzeug's defaults.
    """

    def __init__(self, converters: dict[str, type[BaseConverter]] | None = None) -> None:
        self.url_map = Map(converters=converters)
        self._adapters: dict[tuple[str, str, str], MapAdapter] = {}

    def add(
        self,
        rule: str,
        endpoint: str,
        methods: Iterable[str],
        *,
        websocket: bool = False,
        **options: Any,
    ) -> TrioQuartRule:
        """Add a rule. ``OPTIONS`` is added and answered automatically unless listed.

        Raises:
            ValueError: the rule string is invalid (for example an unknown converter).
        """
        wanted = {method.upper() for method in methods}
        automatic_options = not websocket and "OPTIONS" not in wanted
        if automatic_options:
            wanted.add("OPTIONS")
        new_rule = TrioQuartRule(
            rule,
            endpoint=endpoint,
            methods=sorted(wanted),
            websocket=websocket,
            provide_automatic_options=automatic_options,
            **options,
        )
        try:
            self.url_map.add(new_rule)
        except LookupError as error:
            raise ValueError(f"Invalid rule {rule!r}: {error}") from error
        self._adapters.clear()
        return new_rule

    def bind(self, host: str, scheme: str, root_path: str) -> MapAdapter:
        """Return an adapter for matching and building URLs as seen by one client."""
        key = (host, scheme, root_path)
        adapter = self._adapters.get(key)
        if adapter is None:
            if len(self._adapters) >= _MAX_CACHED_ADAPTERS:
                self._adapters.clear()
            adapter = self.url_map.bind(host, script_name=root_path or "/", url_scheme=scheme)
            self._adapters[key] = adapter
        return adapter

    @staticmethod
    def match(
        adapter: MapAdapter, path: str, method: str, query: str, *, websocket: bool
    ) -> tuple[TrioQuartRule, dict[str, Any]]:
        """Match ``path`` for ``method`` and the connection kind.

        Raises:
            werkzeug.exceptions.HTTPException: the routing answer (404, 405, 308 or 400).
        """
        rule, view_args = adapter.match(
            path, method, return_rule=True, query_args=query, websocket=websocket
        )
        assert isinstance(rule, TrioQuartRule)
        # Werkzeug builds a new dict for each match but types it as a Mapping; no copy needed.
        return rule, cast("dict[str, Any]", view_args)
