"""Routing through the test client: rules, methods, converters, url_for, redirects."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, MapAdapter, RequestRedirect

from trioquart import Blueprint, TrioQuart, request, url_for
from trioquart import websocket as websocket_global
from trioquart.routing import INVALID_SUBDOMAIN, Router, TrioQuartRule, subdomain_of
from trioquart.testing import TestClient


async def test_routing_route_and_method_shortcuts(app: TrioQuart, client: TestClient) -> None:
    @app.route("/both", methods=["GET", "POST"])
    async def both() -> str:
        return request.method

    @app.get("/g")
    async def get_view() -> str:
        return "get"

    @app.post("/p")
    async def post_view() -> str:
        return "post"

    @app.put("/u")
    async def put_view() -> str:
        return "put"

    @app.patch("/a")
    async def patch_view() -> str:
        return "patch"

    @app.delete("/d")
    async def delete_view() -> str:
        return "delete"

    assert await (await client.get("/both")).get_data(as_text=True) == "GET"
    assert await (await client.post("/both")).get_data(as_text=True) == "POST"
    assert await (await client.get("/g")).get_data(as_text=True) == "get"
    assert await (await client.post("/p")).get_data(as_text=True) == "post"
    assert await (await client.put("/u")).get_data(as_text=True) == "put"
    assert await (await client.patch("/a")).get_data(as_text=True) == "patch"
    assert await (await client.delete("/d")).get_data(as_text=True) == "delete"


async def test_routing_route_defaults_to_get(app: TrioQuart, client: TestClient) -> None:
    @app.route("/")
    async def index() -> str:
        return "index"

    assert (await client.get("/")).status_code == 200
    assert (await client.post("/")).status_code == 405


async def test_routing_405_lists_allowed_methods(app: TrioQuart, client: TestClient) -> None:
    @app.route("/thing", methods=["GET", "PUT"])
    async def thing() -> str:
        return "thing"

    response = await client.delete("/thing")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}


async def test_routing_automatic_head(app: TrioQuart, client: TestClient) -> None:
    @app.get("/page")
    async def page() -> str:
        return "some content"

    response = await client.head("/page")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len("some content"))
    assert await response.get_data() == b""


async def test_routing_automatic_options(app: TrioQuart, client: TestClient) -> None:
    called = []

    @app.route("/page", methods=["GET", "POST"])
    async def page() -> str:
        called.append(True)
        return "page"

    response = await client.options("/page")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert called == []


async def test_routing_explicit_options_is_handled_by_the_view(
    app: TrioQuart, client: TestClient
) -> None:
    @app.route("/page", methods=["GET", "OPTIONS"])
    async def page() -> str:
        return f"own {request.method}"

    response = await client.options("/page")
    assert await response.get_data(as_text=True) == "own OPTIONS"


async def test_routing_unknown_path_is_404(app: TrioQuart, client: TestClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert "Not Found" in await response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("rule", "path", "expected"),
    [
        ("/items/<int:item_id>", "/items/42", {"item_id": 42}),
        ("/x/<float:x>", "/x/1.5", {"x": 1.5}),
        ("/files/<path:p>", "/files/a/b/c.txt", {"p": "a/b/c.txt"}),
        ("/s/<name>", "/s/hello", {"name": "hello"}),
        (
            "/u/<uuid:u>",
            "/u/12345678-1234-5678-1234-567812345678",
            {"u": uuid.UUID("12345678-1234-5678-1234-567812345678")},
        ),
    ],
)
async def test_routing_converters(
    app: TrioQuart, client: TestClient, rule: str, path: str, expected: dict[str, Any]
) -> None:
    seen: list[dict[str, Any]] = []

    @app.get(rule)
    async def view(**kwargs: Any) -> str:
        seen.append(kwargs)
        return "ok"

    response = await client.get(path)
    assert response.status_code == 200
    assert seen == [expected]
    assert [type(value) for value in seen[0].values()] == [
        type(value) for value in expected.values()
    ]


@pytest.mark.parametrize("path", ["/items/abc", "/items/1.5", "/items/"])
async def test_routing_converter_mismatch_is_404(
    app: TrioQuart, client: TestClient, path: str
) -> None:
    @app.get("/items/<int:item_id>")
    async def item(item_id: int) -> str:
        return str(item_id)

    assert (await client.get(path)).status_code == 404


async def test_routing_custom_converter(app: TrioQuart, client: TestClient) -> None:
    class ListConverter(BaseConverter):
        def to_python(self, value: str) -> list[str]:
            return value.split(",")

        def to_url(self, value: Any) -> str:
            return ",".join(value)

    app.add_converter("list", ListConverter)

    @app.get("/tags/<list:tags>")
    async def tags(tags: list[str]) -> Any:
        return {"tags": tags, "url": url_for("tags", tags=["x", "y"])}

    response = await client.get("/tags/a,b,c")
    assert await response.get_json() == {"tags": ["a", "b", "c"], "url": "/tags/x,y"}


def test_routing_unknown_converter_name_is_value_error(app: TrioQuart) -> None:
    async def view() -> str:
        return ""  # pragma: no cover - never routed

    with pytest.raises(ValueError, match=r"^Invalid rule '/<nope:x>': "):
        app.add_url_rule("/<nope:x>", view_func=view)


async def test_routing_strict_slashes_redirect_308(app: TrioQuart, client: TestClient) -> None:
    @app.get("/folder/")
    async def folder() -> str:
        return "folder"

    response = await client.get("/folder", query_string={"a": "1"})
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/folder/?a=1"
    assert (await client.get("/folder/")).status_code == 200


async def test_routing_endpoint_names(app: TrioQuart, client: TestClient) -> None:
    @app.get("/a")
    async def view_a() -> str:
        return request.endpoint or ""

    @app.get("/b", endpoint="custom")
    async def view_b() -> str:
        return request.endpoint or ""

    assert await (await client.get("/a")).get_data(as_text=True) == "view_a"
    assert await (await client.get("/b")).get_data(as_text=True) == "custom"
    assert app.view_functions["custom"] is view_b


def test_routing_duplicate_endpoint_is_value_error(app: TrioQuart) -> None:
    @app.get("/one")
    async def view() -> str:
        return "one"  # pragma: no cover - never routed

    async def other() -> str:
        return "two"  # pragma: no cover - never routed

    message = (
        "The endpoint 'view' is already used by "
        "test_routing_duplicate_endpoint_is_value_error.<locals>.view; pass endpoint='...' to "
        "register test_routing_duplicate_endpoint_is_value_error.<locals>.other under another "
        "name."
    )
    with pytest.raises(ValueError, match=f"^{message.replace('.', '[.]')}$"):
        app.add_url_rule("/two", "view", other)


async def test_routing_same_function_on_two_rules(app: TrioQuart, client: TestClient) -> None:
    async def shared() -> str:
        return request.path

    app.add_url_rule("/one", view_func=shared)
    app.add_url_rule("/two", view_func=shared)
    assert await (await client.get("/one")).get_data(as_text=True) == "/one"
    assert await (await client.get("/two")).get_data(as_text=True) == "/two"


async def test_routing_url_for(app: TrioQuart, client: TestClient) -> None:
    @app.get("/items/<int:item_id>")
    async def item(item_id: int) -> str:
        return "item"

    @app.get("/")
    async def index() -> Any:
        return {
            "plain": url_for("item", item_id=3),
            "query": url_for("item", item_id=3, page=2, q="a b"),
            "external": url_for("item", item_id=3, _external=True),
            "scheme": url_for("item", item_id=3, _scheme="https"),
            "anchor": url_for("item", item_id=3, _anchor="top"),
        }

    assert await (await client.get("/")).get_json() == {
        "plain": "/items/3",
        "query": "/items/3?page=2&q=a+b",
        "external": "http://localhost/items/3",
        "scheme": "https://localhost/items/3",
        "anchor": "/items/3#top",
    }


async def test_routing_url_for_blueprint_relative(app: TrioQuart, client: TestClient) -> None:
    bp = Blueprint("shop", __name__)

    @bp.get("/cart")
    async def cart() -> str:
        return "cart"

    @bp.get("/")
    async def home() -> Any:
        return {"relative": url_for(".cart"), "absolute": url_for("shop.cart")}

    @app.get("/")
    async def index() -> str:
        return url_for(".index")

    app.register_blueprint(bp, url_prefix="/shop")
    assert await (await client.get("/shop/")).get_json() == {
        "relative": "/shop/cart",
        "absolute": "/shop/cart",
    }
    assert await (await client.get("/")).get_data(as_text=True) == "/"


async def test_routing_url_for_in_app_context_needs_server_name(app: TrioQuart) -> None:
    @app.get("/items/<int:item_id>")
    async def item(item_id: int) -> str:
        return "item"  # pragma: no cover - never routed

    async with app.app_context():
        with pytest.raises(RuntimeError, match=r"SERVER_NAME"):
            url_for("item", item_id=1)
    app.config["SERVER_NAME"] = "example.com"
    async with app.app_context():
        assert url_for("item", item_id=1) == "http://example.com/items/1"


def test_routing_url_for_outside_context_is_runtime_error() -> None:
    with pytest.raises(RuntimeError, match=r"^url_for\(\) needs an application context"):
        url_for("anything")


# Router.match against Werkzeug's MapAdapter.match
#
# Router.match answers some requests from its table of static rules before Werkzeug's matcher
# sees them. That must never change an answer: for every map and request, Router.match gives
# what MapAdapter.match gives on the same map and adapter, the same rule object with the same
# arguments, or the same exception (with the same redirect target or allowed methods).
# Hypothesis builds maps from a few segments, so that rules collide, and requests from the
# same segments and from the rules themselves.
#
# The examples are derandomized, the same ones on every run, so that the suite is
# deterministic and takes the same time; no example database is kept, so nothing is written
# to .hypothesis/ in the working tree. TRIOQUART_ROUTING_EXAMPLES=20000 searches longer.

_EXAMPLES = int(os.environ.get("TRIOQUART_ROUTING_EXAMPLES", "250"))
_SETTINGS = settings(max_examples=_EXAMPLES, deadline=None, derandomize=True, database=None)
_UUID = "12345678-1234-5678-1234-567812345678"
_SEGMENTS = ("a", "b", "items", "new", "x-y")
# Each converter with a value that it accepts.
_CONVERTERS = {
    "<name>": "x-y",
    "<int:id>": "42",
    "<path:rest>": "a/b",
    "<uuid:u>": _UUID,
    "<float:f>": "1.5",
    "<any(a,b):choice>": "b",
}
_RULE_METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS")
_REQUEST_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")
_PATH_SEGMENTS = (*_SEGMENTS, "c", "1", "42", "-3", "1.5", _UUID, "")
# Rule options: strict slashes either way, slashes not merged, defaults (empty, or for an
# argument that another rule has), a redirect, an alias, a rule only for building.
_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("strict_slashes", False),
    ("strict_slashes", True),
    ("merge_slashes", False),
    ("defaults", {}),
    ("defaults", {"id": 1}),
    ("defaults", {"name": "a"}),
    ("defaults", {"page": 2}),
    ("redirect_to", "/a"),
    ("alias", True),
    ("build_only", True),
)


@dataclass(frozen=True)
class _RuleSpec:
    string: str
    endpoint: str
    methods: tuple[str, ...]
    websocket: bool
    options: dict[str, Any]


@dataclass(frozen=True)
class _Scenario:
    rules: list[_RuleSpec]
    root_path: str
    requests: list[tuple[str, str, bool]]


@st.composite
def _rule_strings(draw: st.DrawFn) -> str:
    # An empty segment now and then makes a double slash, or a trailing one; an unknown
    # converter makes a rule that Router.add refuses.
    pieces = (*_SEGMENTS, *_SEGMENTS, *_CONVERTERS, "", "<nope:x>")
    parts = draw(st.lists(st.sampled_from(pieces), max_size=3))
    # A variable named twice is not a rule, but Werkzeug says so with a SyntaxError (from the
    # URL builder it compiles) instead of a ValueError: not generated.
    parts = [
        part
        for index, part in enumerate(parts)
        if part not in _CONVERTERS or part not in parts[:index]
    ]
    string = "/" + "/".join(parts)
    trailing_slash = draw(st.booleans())
    if parts and trailing_slash:
        string += "/"
    return string


@st.composite
def _rule_specs(draw: st.DrawFn, index: int) -> _RuleSpec:
    string = draw(_rule_strings())
    # Mostly an endpoint of its own; sometimes one shared with other rules (one view on
    # several rules), for which Werkzeug may redirect to the rule that has the defaults.
    endpoint = draw(st.sampled_from((f"rule{index}", f"rule{index}", "shared")))
    websocket = draw(st.integers(0, 3)) == 0
    if websocket:
        # POST makes a websocket rule that Router.add refuses.
        methods: tuple[str, ...] = draw(
            st.sampled_from((("GET",), ("GET",), ("GET", "OPTIONS"), ("POST",)))
        )
    else:
        methods = tuple(
            draw(st.lists(st.sampled_from(_RULE_METHODS), min_size=1, max_size=3, unique=True))
        )
    options: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        options = dict(draw(st.lists(st.sampled_from(_OPTIONS), min_size=1, max_size=2)))
    return _RuleSpec(string, endpoint, methods, websocket, options)


def _filled(rule_string: str) -> str:
    """The rule's path with an accepted value in place of each converter."""
    for converter, value in _CONVERTERS.items():
        rule_string = rule_string.replace(converter, value)
    return rule_string


@st.composite
def _requests(draw: st.DrawFn, rules: list[_RuleSpec]) -> tuple[str, str, bool]:
    """A path, method and connection kind: made of segments, or one of the rules' own (as
    written, with its converters filled, with its trailing slash toggled or a slash doubled),
    often with a method and kind that the rule serves."""
    kind = draw(st.integers(0, 3))
    method = draw(st.sampled_from(_REQUEST_METHODS))
    websocket = draw(st.booleans())
    if kind == 0:
        segments = draw(st.lists(st.sampled_from(_PATH_SEGMENTS), max_size=4))
        return "/" + "/".join(segments), method, websocket
    spec = draw(st.sampled_from(rules))
    path = spec.string
    if kind == 2:
        path = _filled(path)
    elif kind == 3:
        path = draw(st.sampled_from((path.rstrip("/") or "/", path + "/", "/" + path, "")))
    if draw(st.booleans()):
        method = draw(st.sampled_from(spec.methods))
        websocket = spec.websocket
    return path, method, websocket


@st.composite
def _scenarios(draw: st.DrawFn) -> _Scenario:
    rules = [draw(_rule_specs(index)) for index in range(draw(st.integers(1, 6)))]
    root_path = draw(st.sampled_from(("", "/app")))
    requests = draw(st.lists(_requests(rules), min_size=1, max_size=8))
    return _Scenario(rules, root_path, requests)


def _build(router: Router, rules: list[_RuleSpec]) -> Router:
    """``router`` with ``rules`` added, in order, except those that are not rules."""
    for spec in rules:
        # Not a rule (an unknown converter, a websocket rule for POST): the map is unchanged.
        with contextlib.suppress(ValueError):
            router.add(
                spec.string, spec.endpoint, spec.methods, websocket=spec.websocket, **spec.options
            )
    return router


def _outcome(
    router: Router | None, adapter: MapAdapter, path: str, method: str, websocket: bool
) -> tuple[Any, ...]:
    """What ``router.match`` gave (Werkzeug's ``adapter.match`` when ``router`` is None),
    comparable with ``==``: the rule (by identity) and its arguments (with their types), or
    the exception (with its redirect target or allowed methods)."""
    try:
        if router is None:
            rule, view_args = adapter.match(
                path, method, return_rule=True, query_args="", websocket=websocket
            )
        else:
            rule, view_args = router.match(adapter, path, method, "", websocket=websocket)
    except HTTPException as error:
        return (
            type(error).__name__,
            getattr(error, "new_url", None),
            sorted(getattr(error, "valid_methods", None) or ()),
        )
    except Exception as error:  # whatever Werkzeug raises, Router.match must raise it too
        return (type(error).__name__, str(error))
    arguments = {name: (type(value), value) for name, value in view_args.items()}
    return ("rule", id(rule), repr(rule), arguments)


def _mismatches(router: Router, scenario: _Scenario) -> list[str]:
    """The requests for which ``router.match`` and Werkzeug disagree."""
    adapter = router.bind("localhost", "http", scenario.root_path)
    found = []
    for path, method, websocket in scenario.requests:
        expected = _outcome(None, adapter, path, method, websocket)
        actual = _outcome(router, adapter, path, method, websocket)
        if actual != expected:
            found.append(f"{method} {path!r} websocket={websocket}: {actual} != {expected}")
    return found


@_SETTINGS
@given(_scenarios())
def test_routing_match_is_werkzeugs_match(scenario: _Scenario) -> None:
    assert _mismatches(_build(Router(), scenario.rules), scenario) == []


class _WrongTable(Router):
    """A wrong table on purpose, kept apart from the real one (subclasses say which rules it
    takes): a path, method and connection kind answered by the first rule taken for them."""

    def __init__(self) -> None:
        super().__init__()
        self.wrong: dict[tuple[str, str, bool], TrioQuartRule] = {}

    def takes(self, rule: TrioQuartRule) -> bool:
        raise NotImplementedError

    def add(
        self,
        rule: str,
        endpoint: str,
        methods: Iterable[str],
        *,
        websocket: bool = False,
        **options: Any,
    ) -> TrioQuartRule:
        new_rule = super().add(rule, endpoint, methods, websocket=websocket, **options)
        if self.takes(new_rule):
            for method in new_rule.methods or ():
                self.wrong.setdefault((rule, method, websocket), new_rule)
        return new_rule

    def match(
        self, adapter: MapAdapter, path: str, method: str, query: str, *, websocket: bool
    ) -> tuple[TrioQuartRule, dict[str, Any]]:
        rule = self.wrong.get((path, method, websocket))
        if rule is not None:
            return rule, {}
        return super().match(adapter, path, method, query, websocket=websocket)


class _TableWithConverters(_WrongTable):
    """Takes every rule, converters included."""

    def takes(self, rule: TrioQuartRule) -> bool:
        return True


class _TableOfRulesWithoutArguments(_WrongTable):
    """Takes the rules without converters, defaults, redirect or build-only: the table as
    first written, blind to a rule that Werkzeug finds first for the same path."""

    def takes(self, rule: TrioQuartRule) -> bool:
        return not (rule.arguments or rule.defaults or rule.redirect_to or rule.build_only)


@pytest.mark.parametrize("wrong_table", [_TableWithConverters, _TableOfRulesWithoutArguments])
def test_routing_differential_test_catches_a_wrong_table(wrong_table: type[_WrongTable]) -> None:
    # The negative control: the same generated maps and requests, and the same comparison,
    # find where a wrong table differs from Werkzeug (the first example found, not shrunk).
    scenario = find(
        _scenarios(),
        lambda scenario: bool(_mismatches(_build(wrong_table(), scenario.rules), scenario)),
        settings=settings(_SETTINGS, phases=[Phase.generate]),
    )
    assert _mismatches(_build(wrong_table(), scenario.rules), scenario)
    assert _mismatches(_build(Router(), scenario.rules), scenario) == []


def _answer(
    router: Router,
    path: str,
    method: str = "GET",
    *,
    websocket: bool = False,
    adapter: MapAdapter | None = None,
) -> str:
    """Router.match's answer, once checked to be Werkzeug's: the endpoint and the arguments,
    or the exception's name (with its redirect target or allowed methods)."""
    adapter = adapter or router.bind("localhost", "http", "")
    assert _outcome(router, adapter, path, method, websocket) == _outcome(
        None, adapter, path, method, websocket
    )
    try:
        rule, view_args = router.match(adapter, path, method, "", websocket=websocket)
    except RequestRedirect as error:
        return f"RequestRedirect {error.new_url}"
    except MethodNotAllowed as error:
        return f"MethodNotAllowed {','.join(sorted(error.valid_methods or ()))}"
    except HTTPException as error:
        return type(error).__name__
    return f"{rule.endpoint} {view_args}"


def test_routing_static_rule_falls_through_for_a_method_it_lacks() -> None:
    router = Router()
    router.add("/items/new", "create", ["POST"])
    router.add("/items/<name>", "show", ["GET"])
    assert _answer(router, "/items/new", "POST") == "create {}"
    assert _answer(router, "/items/new", "GET") == "show {'name': 'new'}"
    assert _answer(router, "/items/new", "HEAD") == "show {'name': 'new'}"
    assert _answer(router, "/items/new", "PUT") == "MethodNotAllowed GET,HEAD,OPTIONS,POST"


def test_routing_static_rule_shadows_a_converter_added_first() -> None:
    router = Router()
    router.add("/<name>", "by_name", ["GET"])
    router.add("/new", "new", ["GET"])
    assert _answer(router, "/new") == "new {}"
    assert _answer(router, "/old") == "by_name {'name': 'old'}"


def test_routing_websocket_and_http_rules_on_one_path() -> None:
    router = Router()
    router.add("/live", "socket", ["GET"], websocket=True)
    router.add("/live", "page", ["GET"])
    router.add("/socket-only", "socket_only", ["GET"], websocket=True)
    router.add("/page-only", "page_only", ["GET"])
    assert _answer(router, "/live", websocket=True) == "socket {}"
    assert _answer(router, "/live") == "page {}"
    assert _answer(router, "/socket-only") == "WebsocketMismatch"
    assert _answer(router, "/page-only", websocket=True) == "WebsocketMismatch"


def test_routing_strict_slashes() -> None:
    router = Router()
    router.add("/a/", "strict", ["GET"])
    router.add("/b/", "lenient", ["GET"], strict_slashes=False)
    assert _answer(router, "/a/") == "strict {}"
    assert _answer(router, "/a") == "RequestRedirect http://localhost/a/"
    mounted = router.bind("localhost", "http", "/app")
    assert _answer(router, "/a", adapter=mounted) == "RequestRedirect http://localhost/app/a/"
    assert _answer(router, "/b") == "lenient {}"
    assert _answer(router, "/b/") == "lenient {}"


def test_routing_subdomain_rule_disables_the_table() -> None:
    router = Router()
    router.add("/a", "plain", ["GET"])
    router.add("/a", "api", ["GET"], subdomain="api")
    # From a map with a subdomain rule, an adapter may be bound to a subdomain, where the path
    # is another rule's (a table from before the subdomain rule would answer "plain").
    api = router.url_map.bind("example.com", subdomain="api")
    assert _answer(router, "/a", adapter=api) == "api {}"
    assert _answer(router, "/a") == "plain {}"


def test_routing_host_matching_disables_the_table() -> None:
    router = Router()
    router.url_map.host_matching = True
    router.add("/a", "api", ["GET"], host="api.example.com")
    assert _answer(router, "/a", adapter=router.bind("example.com", "http", "")) == "NotFound"
    api = router.bind("api.example.com", "http", "")
    assert _answer(router, "/a", adapter=api) == "api {}"


@pytest.mark.parametrize(
    ("rules", "path", "expected"),
    [
        # The first rule added for a path answers it, whatever the table takes: one with
        # defaults, or a redirect, or one whose "//" Werkzeug merges into that path.
        pytest.param(
            [("/", "index", {"defaults": {"page": 1}}), ("/", "other", {})],
            "/",
            "index {'page': 1}",
            id="earlier rule with defaults",
        ),
        pytest.param(
            [("/old", "moved", {"redirect_to": "/new"}), ("/old", "old", {})],
            "/old",
            "RequestRedirect http://localhost/new",
            id="earlier redirect",
        ),
        pytest.param(
            [("//a", "doubled", {}), ("/a", "single", {})],
            "/a",
            "doubled {}",
            id="earlier rule with a merged double slash",
        ),
        # An alias redirects to the endpoint's main rule.
        pytest.param(
            [("/a", "page", {"alias": True}), ("/b", "page", {})],
            "/a",
            "RequestRedirect http://localhost/b",
            id="alias",
        ),
        # Werkzeug merges a rule's double slash, and redirects the path written with it.
        pytest.param(
            [("/a//b", "doubled", {})],
            "/a//b",
            "RequestRedirect http://localhost/a/b",
            id="double slash merged",
        ),
        # Werkzeug strips the slashes that a path starts with: "//a" is "/a".
        pytest.param(
            [("//a", "doubled", {"merge_slashes": False})],
            "//a",
            "NotFound",
            id="leading double slash not merged",
        ),
    ],
)
def test_routing_table_does_not_answer_for_werkzeug(
    rules: list[tuple[str, str, dict[str, Any]]], path: str, expected: str
) -> None:
    # Each of these was a table entry that gave another answer than Werkzeug.
    router = Router()
    for rule, endpoint, options in rules:
        router.add(rule, endpoint, ["GET"], **options)
    assert _answer(router, path) == expected


def test_routing_adapter_cache_is_bounded_and_rebinds() -> None:
    """Arbitrary Host headers cannot grow the adapter cache; an evicted host binds again."""
    router = Router()
    router.add("/", "index", ["GET"])
    first = router.bind("host-0", "http", "")
    assert router.bind("host-0", "http", "") is first
    for number in range(1, 70):
        router.bind(f"host-{number}", "http", "")
    again = router.bind("host-0", "http", "")
    assert again is not first
    assert again.server_name == "host-0"


# Binding: host and subdomain matching, SERVER_NAME


@pytest.mark.parametrize(
    ("host", "server_name", "subdomain"),
    [
        ("example.com", "example.com", ""),
        ("api.example.com", "example.com", "api"),
        ("a.b.example.com", "example.com", "a.b"),
        ("example.org", "example.com", INVALID_SUBDOMAIN),
        ("com", "example.com", INVALID_SUBDOMAIN),
        ("api.example.com:8000", "example.com:8000", "api"),
    ],
)
def test_routing_subdomain_of(host: str, server_name: str, subdomain: str) -> None:
    assert subdomain_of(host, server_name) == subdomain


@pytest.mark.parametrize(
    ("scheme", "server_name", "expected"),
    [
        ("http", "Example.com:80", "example.com"),
        ("ws", "example.com:80", "example.com"),
        ("https", "example.com:443", "example.com"),
        ("wss", "example.com:443", "example.com"),
        ("https", "example.com:80", "example.com:80"),
        ("http", "example.com:8080", "example.com:8080"),
    ],
)
def test_routing_bind_server_name_drops_the_default_port(
    scheme: str, server_name: str, expected: str
) -> None:
    router = Router(subdomain_matching=True)
    adapter = router.bind(f"api.{expected}", scheme, "", server_name)
    assert (adapter.server_name, adapter.subdomain) == (expected, "api")


def test_routing_bind_by_mode() -> None:
    plain = Router()
    adapter = plain.bind("client.example.org", "http", "/root", "example.com")
    assert (adapter.server_name, adapter.subdomain, adapter.script_name) == (
        "example.com",
        "",
        "/root/",
    )
    assert plain.bind("client.example.org", "http", "/root", "example.com") is adapter  # cached
    assert plain.bind("client.example.org", "http", "").server_name == "client.example.org"
    hosts = Router(host_matching=True)
    adapter = hosts.bind("client.example.org", "http", "", "example.com")
    assert (adapter.server_name, adapter.subdomain) == ("client.example.org", None)


def test_routing_static_table_only_for_the_default_subdomain() -> None:
    """The table is built for the default subdomain; an adapter bound to another one must
    get Werkzeug's answer (a rule without a subdomain does not answer ``api.``)."""
    router = Router(subdomain_matching=True)
    rule = router.add("/a", "a", ["GET"])
    main = router.bind("example.com", "http", "", "example.com")
    assert router.match(main, "/a", "GET", "", websocket=False) == (rule, {})
    api = router.bind("api.example.com", "http", "", "example.com")
    with pytest.raises(NotFound):
        router.match(api, "/a", "GET", "", websocket=False)
    with pytest.raises(NotFound):
        api.match("/a", "GET")


@pytest.mark.parametrize(
    ("methods", "provide", "expected_methods", "automatic"),
    [
        (["GET"], None, {"GET", "HEAD", "OPTIONS"}, True),
        (["GET", "OPTIONS"], None, {"GET", "HEAD", "OPTIONS"}, False),
        (["GET"], False, {"GET", "HEAD"}, False),
        (["GET", "OPTIONS"], True, {"GET", "HEAD", "OPTIONS"}, True),
        (["GET"], True, {"GET", "HEAD", "OPTIONS"}, True),
    ],
)
def test_routing_provide_automatic_options(
    methods: list[str], provide: bool | None, expected_methods: set[str], automatic: bool
) -> None:
    rule = Router().add("/", "index", methods, provide_automatic_options=provide)
    assert (rule.methods, rule.provide_automatic_options) == (expected_methods, automatic)


async def test_routing_view_attributes_methods_and_options(
    app: TrioQuart, client: TestClient
) -> None:
    async def view() -> str:
        return request.method

    view.required_methods = ["POST"]  # type: ignore[attr-defined]
    view.provide_automatic_options = False  # type: ignore[attr-defined]
    app.add_url_rule("/v", view_func=view)
    assert await (await client.post("/v")).get_data() == b"POST"
    assert (await client.options("/v")).status_code == 405

    async def explicit() -> str:
        return "explicit"

    explicit.provide_automatic_options = False  # type: ignore[attr-defined]
    app.add_url_rule("/e", view_func=explicit, provide_automatic_options=True)
    assert (await client.options("/e")).status_code == 200


async def test_routing_add_websocket_and_register_error_handler(
    app: TrioQuart, client: TestClient
) -> None:
    async def ws() -> None:
        await websocket_global.send("added")

    def teapot(error: Exception) -> Any:
        return "teapot", 418

    app.add_websocket("/ws", view_func=ws)
    app.register_error_handler(LookupError, teapot)

    @app.get("/look")
    async def look() -> str:
        raise KeyError("k")

    async with client.websocket("/ws") as connection:
        assert await connection.receive() == "added"
    assert (await client.get("/look")).status_code == 418


async def test_routing_url_for_scheme_anchor_and_external(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/item")
    async def item() -> Any:
        with pytest.raises(
            ValueError,
            match=r"^url_for\('item', _scheme='https', _external=False\): a URL with its own "
            r"scheme must be external; leave _external out or pass _external=True\.$",
        ):
            url_for("item", _scheme="https", _external=False)
        return {
            "scheme": url_for("item", _scheme="https", _external=True),
            "anchor": url_for("item", _anchor="a b/c?d#e"),
        }

    assert await (await client.get("/item")).get_json() == {
        "scheme": "https://localhost/item",
        "anchor": "/item#a%20b/c?d#e",
    }


async def test_routing_url_for_in_a_request_refused_before_routing(
    app: TrioQuart, client: TestClient
) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com"]
    seen: list[str] = []

    @app.errorhandler(400)
    async def bad_host(error: Exception) -> Any:
        with pytest.raises(RuntimeError) as caught:
            url_for("index")
        seen.append(str(caught.value))
        return "bad host", 400

    @app.get("/")
    async def index() -> str:
        return "index"  # pragma: no cover - the host is refused

    assert (await client.get("/", headers={"Host": "evil.example"})).status_code == 400
    assert seen == [
        "url_for() cannot build URLs for this request: it was refused before routing (its "
        "Host is not in TRUSTED_HOSTS), so no host is known to build them for."
    ]
