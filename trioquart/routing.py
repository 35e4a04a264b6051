"""The URL map: Werkzeug's ``Map`` and ``Rule``, matched by scope type.

One map holds HTTP and websocket rules. A match says which rule serves a path for a given method
and connection kind, or raises the Werkzeug exception that is the answer: ``NotFound`` (404),
``MethodNotAllowed`` (405, with ``Allow``), ``RequestRedirect`` (308, strict slashes) or
``WebsocketMismatch`` (400, a websocket upgrade to an HTTP-only path or the reverse).

Werkzeug's matcher decides everything. Its answers for the paths of *static* rules (no
converters, defaults, redirects or aliases, in a map without host or subdomain matching) are
asked once, after the rules last changed, and kept in a table looked up first: a static rule
enters it for a method only where Werkzeug answers the rule's own path with that very rule
(it does not for ``//`` in a path, or when an earlier rule of the same path wins).
``tests/test_routing.py`` checks the table against ``MapAdapter.match`` on generated maps and
requests. Why a table at all: a dict lookup instead of Werkzeug's matcher is 1.5% fewer
instructions per request for a static route under Hypercorn (``nox -s bench``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from werkzeug.exceptions import HTTPException
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
        # (path, method, websocket) -> the static rule Werkzeug answers it with; None until
        # built (again) after rules were added.
        self._static: dict[tuple[str, str, bool], TrioQuartRule] | None = None

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
        except (LookupError, SyntaxError) as error:
            raise ValueError(f"Invalid rule {rule!r}: {error}") from error
        self._adapters.clear()
        self._static = None
        return new_rule

    def _build_static_table(self) -> dict[tuple[str, str, bool], TrioQuartRule]:
        table: dict[tuple[str, str, bool], TrioQuartRule] = {}
        rules = list(self.url_map.iter_rules())
        if self.url_map.host_matching or any(rule.subdomain for rule in rules):
            return table  # answers that depend on the host: Werkzeug's alone
        adapter = self.url_map.bind("localhost")
        for rule in rules:
            if rule.arguments or rule.defaults or rule.build_only or rule.redirect_to or rule.alias:
                continue
            assert isinstance(rule, TrioQuartRule)
            for method in rule.methods or ():
                try:
                    answer, view_args = adapter.match(
                        rule.rule, method, return_rule=True, websocket=rule.websocket
                    )
                except HTTPException:
                    continue
                if answer is rule and not view_args:
                    table[rule.rule, method, rule.websocket] = rule
        return table

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
        if self._static is None:
            self._static = self._build_static_table()
        static = self._static.get((path, method, websocket))
        if static is not None:
            return static, {}
        rule, view_args = adapter.match(
            path, method, return_rule=True, query_args=query, websocket=websocket
        )
        assert isinstance(rule, TrioQuartRule)
        # Werkzeug builds a new dict for each match but types it as a Mapping; no copy needed.
        return rule, cast("dict[str, Any]", view_args)
