"""The URL map: Werkzeug's ``Map`` and ``Rule``, matched by scope type.

One map holds HTTP and websocket rules. A match says which rule serves a path for a given method
and connection kind, or raises the Werkzeug exception that is the answer: ``NotFound`` (404),
``MethodNotAllowed`` (405, with ``Allow``), ``RequestRedirect`` (308, strict slashes) or
``WebsocketMismatch`` (400, a websocket upgrade to an HTTP-only path or the reverse).

Which host a rule answers is Flask's choice (``create_url_adapter``): with host matching,
each rule names its ``host`` and the client's ``Host`` picks among them; with subdomain
matching, the part of the client's host in front of ``SERVER_NAME`` is the subdomain rules
are matched against; otherwise the host plays no part and every rule is in the default
subdomain. ``SERVER_NAME``, when set, is the host of the URLs that are built (redirects,
``url_for(..., _external=True)``), except with host matching, where the client's host is.

Werkzeug's matcher decides everything. Its answers for the paths of *static* rules (no
converters, defaults, redirects or aliases, in a map without host or subdomain rules) are
asked once, after the rules last changed, and kept in a table looked up first, for adapters
bound to the default subdomain: a static rule enters it for a method only where Werkzeug
answers the rule's own path with that very rule (it does not for ``//`` in a path, or when an
earlier rule of the same path wins).
``tests/test_routing.py`` checks the table against ``MapAdapter.match`` on generated maps and
requests. Why a table at all: a dict lookup instead of Werkzeug's matcher is 1.5% fewer
instructions per request for a static route under Hypercorn (``nox -s bench``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, Map, MapAdapter, Rule

# Adapters are cached per (host, scheme, root path, server name): binding one builds a new
# object for each request otherwise. The cache is bounded so that arbitrary Host headers
# cannot grow it.
_MAX_CACHED_ADAPTERS = 64

#: The subdomain of a client whose host is not under ``SERVER_NAME`` (Werkzeug's choice): it
#: matches no rule with a fixed subdomain.
INVALID_SUBDOMAIN = "<invalid>"


class TrioQuartRule(Rule):
    """A Werkzeug rule that also remembers whether OPTIONS is answered automatically."""

    def __init__(self, string: str, *, provide_automatic_options: bool = False, **options: Any):
        super().__init__(string, **options)
        self.provide_automatic_options = provide_automatic_options


class Router:
    """The application's URL map and its matcher.

    Args:
        converters: extra converter classes by name, added to Werkzeug's defaults.
        host_matching: rules match on their ``host`` option (the full host name).
        subdomain_matching: rules match on their ``subdomain`` option, the part of the
            client's host in front of ``SERVER_NAME``.
    """

    def __init__(
        self,
        converters: dict[str, type[BaseConverter]] | None = None,
        *,
        host_matching: bool = False,
        subdomain_matching: bool = False,
    ) -> None:
        self.url_map = Map(converters=converters, host_matching=host_matching)
        #: Whether the client's host picks a subdomain (see :meth:`bind`).
        self.subdomain_matching = subdomain_matching
        self._adapters: dict[tuple[str, str, str, str | None], MapAdapter] = {}
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
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> TrioQuartRule:
        """Add a rule. ``OPTIONS`` is added and answered automatically unless listed, or
        as ``provide_automatic_options`` says (``True``: even if listed; ``False``: never).

        Raises:
            ValueError: the rule string is invalid (for example an unknown converter).
        """
        wanted = {method.upper() for method in methods}
        automatic_options = (
            not websocket and "OPTIONS" not in wanted
            if provide_automatic_options is None
            else provide_automatic_options
        )
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

    def bind(
        self, host: str, scheme: str, root_path: str, server_name: str | None = None
    ) -> MapAdapter:
        """Return an adapter for matching and building URLs as seen by a client of ``host``.

        ``server_name`` is ``SERVER_NAME``: without host matching, the adapter's host (for
        the URLs it builds), and with subdomain matching, what the subdomain is the rest of
        ``host`` in front of (``"api"`` for ``api.example.com`` under ``example.com``;
        :data:`INVALID_SUBDOMAIN` for a host not under it). Not a checkpoint.

        Raises:
            werkzeug.routing.BadHost: a host name that IDNA cannot encode (400).
        """
        key = (host, scheme, root_path, server_name)
        adapter = self._adapters.get(key)
        if adapter is None:
            if len(self._adapters) >= _MAX_CACHED_ADAPTERS:
                self._adapters.clear()
            adapter = self._bind(host, scheme, root_path or "/", server_name)
            self._adapters[key] = adapter
        return adapter

    def _bind(
        self, host: str, scheme: str, script_name: str, server_name: str | None
    ) -> MapAdapter:
        url_map = self.url_map
        if url_map.host_matching or server_name is None:
            # With host matching, SERVER_NAME would hide the host the rules match on.
            return url_map.bind(host, script_name=script_name, url_scheme=scheme)
        server_name = _without_default_port(scheme, server_name.lower())
        subdomain = None  # Werkzeug's default: the map's default subdomain
        if self.subdomain_matching:
            subdomain = subdomain_of(_without_default_port(scheme, host.lower()), server_name)
        return url_map.bind(
            server_name, script_name=script_name, subdomain=subdomain, url_scheme=scheme
        )

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
        if adapter.subdomain == self.url_map.default_subdomain:
            static = self._static.get((path, method, websocket))
            if static is not None:
                return static, {}
        rule, view_args = adapter.match(
            path, method, return_rule=True, query_args=query, websocket=websocket
        )
        assert isinstance(rule, TrioQuartRule)
        # Werkzeug builds a new dict for each match but types it as a Mapping; no copy needed.
        return rule, cast("dict[str, Any]", view_args)


def subdomain_of(host: str, server_name: str) -> str:
    """The part of ``host`` in front of ``server_name`` (``""`` for ``server_name`` itself), or
    :data:`INVALID_SUBDOMAIN` when ``host`` is not ``server_name`` or under it.

    Werkzeug's ``bind_to_environ`` does this for WSGI environments, and also warns about
    the mismatch; a client choosing its ``Host`` is no reason to warn (``TRUSTED_HOSTS``
    refuses such hosts outright).
    """
    host_parts = host.split(".")
    server_parts = server_name.split(".")
    offset = len(host_parts) - len(server_parts)
    if offset < 0 or host_parts[offset:] != server_parts:
        return INVALID_SUBDOMAIN
    return ".".join(host_parts[:offset])


def _without_default_port(scheme: str, host: str) -> str:
    if scheme in {"http", "ws"} and host.endswith(":80"):
        return host[:-3]
    if scheme in {"https", "wss"} and host.endswith(":443"):
        return host[:-4]
    return host
