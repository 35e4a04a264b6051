"""Shortcuts past Werkzeug's matcher for the HTTP rules whose answer is certain.

Why by hand: binding a Werkzeug adapter and running its matcher costs about 5 us per request,
more than the rest of a small request. ``Shortcuts`` answers most requests from a table
built once per version of the URL map, and returns ``None`` for everything it cannot answer
exactly as Werkzeug would; the caller then asks Werkzeug, which stays the authority for
404, 405, 308, websocket mismatches, converters that match slashes, hosts and defaults.

Theory of operation:

- A *static* rule (no converters, no defaults) matches its own path and nothing else, and
  Werkzeug's matcher tries static transitions before converters, so ``(path, method)`` found
  in the static table is Werkzeug's answer.
- A *simple* rule has segments that are each literal or exactly one ``part_isolating``
  converter (``<int:id>``, ``<name>``, ``<uuid:u>`` ...). When every rule of the map is
  simple, a path has no ``//``, and exactly one rule of the map (of any method or kind)
  matches its segments, Werkzeug has no choice to make: it returns that rule if it allows
  the method, which the shortcut checks too. Two candidates, a disallowed method or a
  converter that refuses the value (``ValidationError``) fall back to Werkzeug.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from werkzeug.routing import BaseConverter, Map, Rule, ValidationError, parse_converter_args

if TYPE_CHECKING:
    from .routing import TrioQuartRule

# One path segment that is a whole converter: ``<name>``, ``<int:id>``, ``<int(min=1):id>``.
_CONVERTER_SEGMENT = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<arguments>.*?)\))?:)?"
    r"(?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)>"
)


class _Simple:
    """A simple rule as one pattern for the whole path, and the converters of its groups."""

    __slots__ = ("converters", "first", "length", "pattern", "rule")

    def __init__(self, rule: TrioQuartRule, segments: list[str | tuple[str, BaseConverter]]):
        self.rule = rule
        self.length = len(segments)
        self.first = segments[0] if isinstance(segments[0], str) else None
        self.converters: list[tuple[str, str, BaseConverter]] = []
        regex = ""
        for segment in segments:
            if isinstance(segment, str):
                regex += "/" + re.escape(segment)
            else:
                group = f"__trioquart_{len(self.converters)}"
                self.converters.append((group, *segment))
                regex += f"/(?P<{group}>{segment[1].regex})"
        self.pattern = re.compile(regex)

    @classmethod
    def compile(
        cls, rule: TrioQuartRule, segments: list[str | tuple[str, BaseConverter]]
    ) -> _Simple | None:
        """The rule's pattern, or ``None`` if a converter's regex cannot be embedded in it."""
        try:
            return cls(rule, segments)
        except re.error:
            return None

    def arguments(self, path: str) -> dict[str, str] | None:
        """The raw value of each converter if ``path`` matches this rule segment by segment."""
        match = self.pattern.fullmatch(path)
        if match is None:
            return None
        values = {}
        for group, name, _converter in self.converters:
            value = match[group]
            # Werkzeug matches each converter against one whole, non-empty segment.
            if not value or "/" in value:
                return None
            values[name] = value
        return values


class Shortcuts:
    """The static table and the simple-rule index of one version of a URL map."""

    def __init__(self, url_map: Map) -> None:
        from .routing import TrioQuartRule  # routing imports this module

        self.static: dict[tuple[str, str], TrioQuartRule] = {}
        # Simple rules by their number of segments and their first segment if it is literal
        # (``None`` if it is a converter); ``None`` when some rule of the map is not simple.
        self.index: dict[tuple[int, str | None], list[_Simple]] = {}
        # Whether a rule ends in "/": then a path without it may be Werkzeug's 308 redirect.
        self.slash_rules = False
        if url_map.host_matching:
            self.simple = False
            return
        self.simple = True
        claimed: set[tuple[str, str]] = set()
        any_method: set[str] = set()
        for rule in url_map.iter_rules():
            static: TrioQuartRule | None = None
            segments = None
            if rule.rule.endswith("/") and rule.rule != "/":
                self.slash_rules = True
            if isinstance(rule, TrioQuartRule):
                segments = _simple_segments(rule)
                simple = _Simple.compile(rule, segments) if segments is not None else None
                if simple is not None:
                    self.index.setdefault((simple.length, simple.first), []).append(simple)
                else:
                    segments = None
                if segments is not None and not rule.arguments:
                    static = rule
            if segments is None:
                self.simple = False
            if rule.methods is None:
                any_method.add(rule.rule)
                continue
            for method in rule.methods:
                key = (rule.rule, method)
                if key in claimed or static is None or static.websocket:
                    self.static.pop(key, None)  # claimed twice: Werkzeug's ordering decides
                else:
                    self.static[key] = static
                claimed.add(key)
        for key in [key for key in self.static if key[0] in any_method]:
            del self.static[key]

    def match(self, path: str, method: str) -> tuple[TrioQuartRule, dict[str, Any]] | None:
        """The rule and arguments Werkzeug would match for an HTTP request, or ``None``."""
        rule = self.static.get((path, method))
        if rule is not None:
            return rule, {}
        if not self.simple or "//" in path:
            return None
        length = path.count("/")
        found = None
        for key in ((length, path[1:].split("/", 1)[0]), (length, None)):
            for simple in self.index.get(key, ()):
                values = simple.arguments(path)
                if values is not None:
                    if found is not None:
                        return None  # Werkzeug's ordering decides between two candidates.
                    found = (simple, values)
        if found is None or (self.slash_rules and self._redirects(path, length)):
            return None
        simple, values = found
        rule = simple.rule
        if rule.websocket or rule.methods is None or method not in rule.methods:
            return None
        try:
            return rule, {
                name: converter.to_python(values[name])
                for _group, name, converter in simple.converters
            }
        except ValidationError:
            return None

    def _redirects(self, path: str, length: int) -> bool:
        """Whether some rule matches ``path`` plus a slash: Werkzeug then decides (its
        strict-slashes redirect may win over a rule that matches ``path`` itself)."""
        slashed = path + "/"
        first = path[1:].split("/", 1)[0]
        return any(
            simple.arguments(slashed) is not None
            for key in ((length + 1, first), (length + 1, None))
            for simple in self.index.get(key, ())
        )


def _simple_segments(rule: Rule) -> list[str | tuple[str, BaseConverter]] | None:
    """The literal texts and ``(variable, converter)`` pairs of a simple rule's segments."""
    if (
        rule.defaults
        or rule.redirect_to is not None
        or rule.build_only
        or rule.subdomain
        or not rule.rule.startswith("/")
        or "//" in rule.rule
    ):
        return None
    segments: list[str | tuple[str, BaseConverter]] = []
    for text in rule.rule[1:].split("/"):
        if "<" not in text and ">" not in text:
            segments.append(text)
            continue
        match = _CONVERTER_SEGMENT.fullmatch(text)
        if match is None:
            return None
        args, kwargs = parse_converter_args(match["arguments"] or "")
        converter = rule.get_converter(
            match["variable"], match["converter"] or "default", args, kwargs
        )
        if not converter.part_isolating:
            return None
        segments.append((match["variable"], converter))
    return segments
