"""The URL map: Werkzeug's ``Map`` and ``Rule``, matched by scope type.

One map holds HTTP and websocket rules. A match says which rule serves a path for a given method
and connection kind, or raises the Werkzeug exception that is the answer: ``NotFound`` (404),
``MethodNotAllowed`` (405, with ``Allow``), ``RequestRedirect`` (308, strict slashes) or
``WebsocketMismatch`` (400, a websocket upgrade to an HTTP-only path or the reverse).

Werkzeug's matcher decides every case but one: a *static* rule (no converters, defaults,
redirects, hosts or subdomains) that serves exactly the requested path, method and kind is
looked up in a table first. Werkzeug's own matcher tries static parts before converters, so
the table gives its answer; ``tests/test_routing.py`` checks that against ``MapAdapter.match``
on generated maps and requests. Why a table at all: it answers a static route in a dict
lookup, where Werkzeug's matcher costs as much as the rest of a small request.
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
        # (path, method, websocket) -> the static rule that serves it; None when the map
        # matches on hosts or subdomains, which the table does not know.
        self._static: dict[tuple[str, str, bool], TrioQuartRule] | None = {}

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
        self._add_to_static_table(new_rule)
        return new_rule

    def _add_to_static_table(self, rule: TrioQuartRule) -> None:
        if self._static is None:
            return
        if self.url_map.host_matching or rule.subdomain:
            self._static = None
        elif not (rule.arguments or rule.defaults or rule.redirect_to or rule.build_only):
            for method in rule.methods or ():
                # The first rule added wins, as in Werkzeug.
                self._static.setdefault((rule.rule, method, rule.websocket), rule)

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

    def match(
        self, adapter: MapAdapter, path: str, method: str, query: str, *, websocket: bool
    ) -> tuple[TrioQuartRule, dict[str, Any]]:
        """Match ``path`` for ``method`` and the connection kind, with ``adapter`` (from
        :meth:`bind`).

        Raises:
            werkzeug.exceptions.HTTPException: the routing answer (404, 405, 308 or 400).
        """
        if self._static is not None:
            static = self._static.get((path, method, websocket))
            if static is not None:
                return static, {}
        rule, view_args = adapter.match(
            path, method, return_rule=True, query_args=query, websocket=websocket
        )
        assert isinstance(rule, TrioQuartRule)
        # Werkzeug builds a new dict for each match but types it as a Mapping; no copy needed.
        return rule, cast("dict[str, Any]", view_args)
