"""Blueprints: URL prefixes, endpoint names, scoped hooks and error handlers."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

import pytest

from trioquart import (
    Blueprint,
    Response,
    TrioQuart,
    abort,
    render_template_string,
    request,
    url_for,
    websocket,
)
from trioquart.blueprints import BlueprintSetupState
from trioquart.scaffold import Scaffold
from trioquart.testing import TestClient


async def test_blueprints_prefix_and_endpoints(app: TrioQuart, client: TestClient) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api")

    @bp.get("/items/<int:item_id>")
    async def item(item_id: int) -> Any:
        return {"id": item_id, "endpoint": request.endpoint, "blueprint": request.blueprint}

    @bp.post("/items")
    async def create() -> Any:
        return {"created": True}, 201

    app.register_blueprint(bp)
    response = await client.get("/api/items/7")
    assert await response.get_json() == {"id": 7, "endpoint": "api.item", "blueprint": "api"}
    assert (await client.post("/api/items")).status_code == 201
    assert (await client.get("/items/7")).status_code == 404


async def test_blueprints_register_overrides_prefix(app: TrioQuart, client: TestClient) -> None:
    bp = Blueprint("v2", __name__, url_prefix="/old")

    @bp.get("/")
    async def index() -> str:
        return url_for("v2.index")

    app.register_blueprint(bp, url_prefix="/v2/")
    assert await (await client.get("/v2/")).get_data(as_text=True) == "/v2/"
    assert (await client.get("/old/")).status_code == 404


async def test_blueprints_scoped_hooks(app: TrioQuart, client: TestClient) -> None:
    record: list[str] = []
    bp = Blueprint("admin", __name__)

    @bp.before_request
    async def bp_before() -> None:
        record.append("bp before")

    @bp.after_request
    async def bp_after(response: Response) -> Response:
        record.append("bp after")
        return response

    @bp.teardown_request
    async def bp_teardown(error: BaseException | None) -> None:
        record.append("bp teardown")

    @bp.before_app_request
    async def every_before() -> None:
        record.append("app-wide before")

    @bp.after_app_request
    async def every_after(response: Response) -> Response:
        record.append("app-wide after")
        return response

    @bp.get("/panel")
    async def panel() -> str:
        record.append("panel")
        return "panel"

    @app.before_request
    async def app_before() -> None:
        record.append("app before")

    @app.get("/")
    async def index() -> str:
        record.append("index")
        return "index"

    app.register_blueprint(bp, url_prefix="/admin")

    await client.get("/admin/panel")
    assert record == [
        "app before",
        "app-wide before",
        "bp before",
        "panel",
        "bp after",
        "app-wide after",
        "bp teardown",
    ]
    record.clear()
    await client.get("/")
    assert record == ["app before", "app-wide before", "index", "app-wide after"]


async def test_blueprints_before_request_short_circuits_only_its_routes(
    app: TrioQuart, client: TestClient
) -> None:
    bp = Blueprint("private", __name__, url_prefix="/private")

    @bp.before_request
    async def deny() -> Any:
        return "no entry", 401

    @bp.get("/")
    async def secret() -> str:
        return "secret"  # pragma: no cover - denied

    @app.get("/")
    async def public() -> str:
        return "public"

    app.register_blueprint(bp)
    assert (await client.get("/private/")).status_code == 401
    assert await (await client.get("/")).get_data(as_text=True) == "public"


async def test_blueprints_scoped_error_handlers(app: TrioQuart, client: TestClient) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.errorhandler(LookupError)
    async def bp_lookup(error: LookupError) -> Any:
        return "shop lookup", 404

    @bp.get("/item")
    async def item() -> str:
        raise KeyError("item")

    @app.errorhandler(LookupError)
    async def app_lookup(error: LookupError) -> Any:
        return "app lookup", 410

    @app.get("/")
    async def index() -> str:
        raise IndexError("index")

    app.register_blueprint(bp)
    response = await client.get("/shop/item")
    assert (response.status_code, await response.get_data(as_text=True)) == (404, "shop lookup")
    response = await client.get("/")
    assert (response.status_code, await response.get_data(as_text=True)) == (410, "app lookup")


async def test_blueprints_app_error_handler_applies_to_blueprint_routes(
    app: TrioQuart, client: TestClient
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.get("/x")
    async def x() -> str:
        raise ValueError("x")

    @app.errorhandler(ValueError)
    async def value_error(error: ValueError) -> Any:
        return "app handled", 422

    app.register_blueprint(bp)
    assert (await client.get("/x")).status_code == 422


async def test_blueprints_error_handler_wins_over_more_specific_app_handler(
    app: TrioQuart, client: TestClient
) -> None:
    """Flask's order: the blueprint's handlers are searched (along the MRO) before the app's."""
    bp = Blueprint("bp", __name__)

    @bp.errorhandler(Exception)
    async def bp_any(error: Exception) -> Any:
        return "blueprint", 500

    @bp.get("/x")
    async def x() -> str:
        raise KeyError("x")

    @app.errorhandler(KeyError)
    async def app_key(error: KeyError) -> Any:
        return "app", 400

    @app.get("/y")
    async def y() -> str:
        raise KeyError("y")

    app.register_blueprint(bp)
    assert await (await client.get("/x")).get_data(as_text=True) == "blueprint"
    assert await (await client.get("/y")).get_data(as_text=True) == "app"


async def test_blueprints_status_code_handler_comes_before_class_handlers(
    app: TrioQuart, client: TestClient
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.errorhandler(Exception)
    async def bp_any(error: Exception) -> Any:
        return "blueprint class handler", 500  # pragma: no cover - the code handler wins

    @bp.get("/gone")
    async def gone() -> str:
        abort(410)

    @app.errorhandler(410)
    async def app_gone(error: Exception) -> Any:
        return "app 410 handler", 410

    app.register_blueprint(bp)
    assert await (await client.get("/gone")).get_data(as_text=True) == "app 410 handler"


def test_blueprints_name_rules() -> None:
    with pytest.raises(ValueError, match=r"^A blueprint name must be non-empty and contain no dot"):
        Blueprint("a.b", __name__)
    bp = Blueprint("ok", __name__)

    async def view() -> str:
        return ""  # pragma: no cover - never routed

    with pytest.raises(ValueError, match=r"^A blueprint endpoint must not contain a dot: 'a\.b'$"):
        bp.add_url_rule("/", "a.b", view)


def test_blueprints_same_name_twice_is_value_error(app: TrioQuart) -> None:
    app.register_blueprint(Blueprint("dup", __name__))
    with pytest.raises(
        ValueError,
        match=r"^A different blueprint is already registered as 'dup'; register this one under "
        r"another name: register_blueprint\(blueprint, name='\.\.\.'\)$",
    ):
        app.register_blueprint(Blueprint("dup", __name__))


async def test_blueprints_same_blueprint_twice_under_one_name_is_value_error(
    app: TrioQuart, client: TestClient
) -> None:
    calls: list[str] = []
    bp = Blueprint("once", __name__)

    @bp.before_request
    async def before() -> None:
        calls.append("before")

    @bp.get("/")
    async def index() -> str:
        return "index"

    app.register_blueprint(bp)
    with pytest.raises(
        ValueError,
        match=r"^The blueprint 'once' is already registered on this app as 'once'; to register "
        r"it again, give it another name: register_blueprint\(blueprint, name='\.\.\.'\)$",
    ):
        app.register_blueprint(bp, url_prefix="/again")
    assert (await client.get("/")).status_code == 200
    assert (await client.get("/again/")).status_code == 404
    assert calls == ["before"]
    # Another app may use the same blueprint.
    other = TrioQuart(__name__)
    other.register_blueprint(bp)
    assert (await other.test_client().get("/")).status_code == 200


# Nested blueprints


def nested_pair() -> tuple[Blueprint, Blueprint]:
    """``parent`` (``/parent``) with ``child`` (``/child``) nested in it."""
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")

    @child.get("/view")
    async def view() -> Any:
        return {
            "endpoint": request.endpoint,
            "blueprint": request.blueprint,
            "blueprints": request.blueprints,
            "relative": url_for(".view"),
            "sibling": url_for(".other"),
            "parent": url_for("parent.top"),
        }

    @child.get("/other")
    async def other() -> str:
        return "other"

    @parent.get("/top")
    async def top() -> Any:
        return {"blueprints": request.blueprints, "relative": url_for(".top")}

    parent.register_blueprint(child)
    return parent, child


async def test_blueprints_nested_endpoints_prefixes_and_names(
    app: TrioQuart, client: TestClient
) -> None:
    parent, _ = nested_pair()

    @app.get("/")
    async def index() -> Any:
        return {"blueprint": request.blueprint, "blueprints": request.blueprints}

    app.register_blueprint(parent)
    assert await (await client.get("/parent/child/view")).get_json() == {
        "endpoint": "parent.child.view",
        "blueprint": "parent.child",
        "blueprints": ["parent.child", "parent"],
        "relative": "/parent/child/view",
        "sibling": "/parent/child/other",
        "parent": "/parent/top",
    }
    assert await (await client.get("/parent/top")).get_json() == {
        "blueprints": ["parent"],
        "relative": "/parent/top",
    }
    assert await (await client.get("/")).get_json() == {"blueprint": None, "blueprints": []}
    assert {"parent", "parent.child"} <= set(app.blueprints)
    assert (await client.get("/child/view")).status_code == 404


async def test_blueprints_nested_prefix_and_name_given_at_nesting(
    app: TrioQuart, client: TestClient
) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__, url_prefix="/ignored")

    @child.get("/x")
    async def x() -> str:
        return url_for(".x")

    parent.register_blueprint(child, url_prefix="/kid/", name="kid")
    app.register_blueprint(parent, url_prefix="/mum/")
    response = await client.get("/mum/kid/x")
    assert await response.get_data(as_text=True) == "/mum/kid/x"
    assert "parent.kid.x" in app.view_functions


async def test_blueprints_nested_hooks_run_outer_to_inner_then_back(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []
    parent, child = nested_pair()

    for name, scaffold in (("app", app), ("parent", parent), ("child", child)):

        def add(name: str, scaffold: Scaffold) -> None:
            @scaffold.before_request
            async def before() -> None:
                record.append(f"{name} before")

            @scaffold.after_request
            async def after(response: Response) -> Response:
                record.append(f"{name} after")
                return response

            @scaffold.teardown_request
            async def teardown(error: BaseException | None) -> None:
                record.append(f"{name} teardown")

        add(name, scaffold)
    app.register_blueprint(parent)
    assert (await client.get("/parent/child/view")).status_code == 200
    assert record == [
        "app before",
        "parent before",
        "child before",
        "child after",
        "parent after",
        "app after",
        "child teardown",
        "parent teardown",
        "app teardown",
    ]
    record.clear()
    assert (await client.get("/parent/top")).status_code == 200
    assert record == [
        "app before",
        "parent before",
        "parent after",
        "app after",
        "parent teardown",
        "app teardown",
    ]


async def test_blueprints_nested_websocket_hooks_apply_to_the_child(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    @parent.before_websocket
    async def parent_before() -> None:
        record.append("parent before")

    @child.before_websocket
    async def child_before() -> None:
        record.append("child before")

    @parent.teardown_websocket
    async def parent_teardown(error: BaseException | None) -> None:
        record.append("parent teardown")

    @child.websocket("/ws")
    async def ws() -> None:
        await websocket.send(f"{websocket.blueprint} {websocket.blueprints}")

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    async with client.websocket("/p/c/ws") as connection:
        assert await connection.receive() == "parent.child ['parent.child', 'parent']"
    assert record == ["parent before", "child before", "parent teardown"]


async def test_blueprints_nested_error_handlers_innermost_first(
    app: TrioQuart, client: TestClient
) -> None:
    parent, child = nested_pair()

    @child.get("/key")
    async def key() -> str:
        raise KeyError("k")

    @child.get("/value")
    async def value() -> str:
        raise ValueError("v")

    @child.get("/type")
    async def type_error() -> str:
        raise TypeError("t")

    @child.get("/gone")
    async def gone() -> str:
        abort(410)

    @child.errorhandler(KeyError)
    async def child_key(error: Exception) -> Any:
        return "child", 400

    @parent.errorhandler(LookupError)
    async def parent_lookup(error: Exception) -> Any:
        return "parent lookup", 400  # pragma: no cover - the child's own wins

    @parent.errorhandler(ValueError)
    async def parent_value(error: Exception) -> Any:
        return "parent", 400

    @parent.errorhandler(Exception)
    async def parent_any(error: Exception) -> Any:
        return "parent any", 400

    @app.errorhandler(410)
    async def app_gone(error: Exception) -> Any:
        return "app 410", 410

    @app.errorhandler(TypeError)
    async def app_type(error: Exception) -> Any:
        return "app type", 400  # pragma: no cover - the parent's Exception handler wins

    app.register_blueprint(parent)
    body = {}
    for path in ("key", "value", "type", "gone"):
        body[path] = await (await client.get(f"/parent/child/{path}")).get_data(as_text=True)
    # The child's handlers, then the parent's (most specific class first), then the app's;
    # a status code handler anywhere comes before class handlers.
    assert body == {"key": "child", "value": "parent", "type": "parent any", "gone": "app 410"}


async def test_blueprints_nested_context_processors(app: TrioQuart, client: TestClient) -> None:
    parent, child = nested_pair()

    @app.context_processor
    async def app_values() -> dict[str, str]:
        return {"a": "app", "b": "app", "c": "app"}

    @parent.context_processor
    async def parent_values() -> dict[str, str]:
        return {"b": "parent", "c": "parent"}

    @child.context_processor
    async def child_values() -> dict[str, str]:
        return {"c": "child"}

    @child.get("/render")
    async def render() -> str:
        return await render_template_string("{{ a }} {{ b }} {{ c }}")

    @parent.get("/render")
    async def render_parent() -> str:
        return await render_template_string("{{ a }} {{ b }} {{ c }}")

    app.register_blueprint(parent)
    assert await (await client.get("/parent/child/render")).get_data() == b"app parent child"
    assert await (await client.get("/parent/render")).get_data() == b"app parent parent"


def test_blueprints_cannot_nest_in_themselves() -> None:
    a = Blueprint("a", __name__)
    b = Blueprint("b", __name__)
    c = Blueprint("c", __name__)
    with pytest.raises(
        ValueError,
        match=r"^Cannot nest the blueprint 'a' in 'a': it is the same blueprint, so "
        r"registering it would never end\.$",
    ):
        a.register_blueprint(a)
    a.register_blueprint(b)
    b.register_blueprint(c)
    with pytest.raises(
        ValueError,
        match=r"^Cannot nest the blueprint 'a' in 'c': it contains it, so registering it "
        r"would never end\.$",
    ):
        c.register_blueprint(a)


def test_blueprints_registration_names_are_checked(app: TrioQuart) -> None:
    bp = Blueprint("bp", __name__)
    message = r"^A blueprint name must be non-empty and contain no dot: 'a\.b'"
    with pytest.raises(ValueError, match=message):
        app.register_blueprint(bp, name="a.b")
    with pytest.raises(ValueError, match=message):
        Blueprint("parent", __name__).register_blueprint(bp, name="a.b")
    with pytest.raises(ValueError, match=r"^A blueprint name must be non-empty .*: ''"):
        app.register_blueprint(bp, name="")
    assert app.blueprints == {}


def test_blueprints_view_name_with_a_dot_needs_an_endpoint() -> None:
    bp = Blueprint("bp", __name__)

    async def view() -> str:
        return ""  # pragma: no cover - never routed

    view.__name__ = "a.b"
    with pytest.raises(
        ValueError,
        match=r"^A blueprint view's name is its endpoint and must not contain a dot: 'a\.b'; "
        r"pass endpoint='\.\.\.'$",
    ):
        bp.add_url_rule("/", view_func=view)
    bp.add_url_rule("/", "fine", view)


async def test_blueprints_nested_duplicate_name_is_value_error(app: TrioQuart) -> None:
    parent = Blueprint("parent", __name__)
    parent.register_blueprint(Blueprint("child", __name__))
    parent.register_blueprint(Blueprint("child", __name__), url_prefix="/second")
    with pytest.raises(
        ValueError, match=r"^A different blueprint is already registered as 'parent\.child'"
    ):
        app.register_blueprint(parent)


# One blueprint, two names


async def test_blueprints_same_blueprint_under_two_names(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []
    bp = Blueprint("pages", __name__)

    @bp.before_request
    async def before() -> None:
        record.append(f"before {request.blueprint}")

    @bp.before_app_request
    async def every() -> None:
        record.append("app-wide")

    @bp.errorhandler(404)
    async def missing(error: Exception) -> Any:
        return f"no page in {request.blueprint}", 404

    @bp.get("/<int:number>")
    async def page(number: int) -> Any:
        if number == 0:
            abort(404)
        return {"endpoint": request.endpoint, "self": url_for(".page", number=number)}

    app.register_blueprint(bp, url_prefix="/en")
    app.register_blueprint(bp, name="pages_fr", url_prefix="/fr")
    assert await (await client.get("/en/1")).get_json() == {
        "endpoint": "pages.page",
        "self": "/en/1",
    }
    assert await (await client.get("/fr/2")).get_json() == {
        "endpoint": "pages_fr.page",
        "self": "/fr/2",
    }
    # Each name has its own hooks and handlers; the app-wide hook was added once.
    assert record == ["app-wide", "before pages", "app-wide", "before pages_fr"]
    response = await client.get("/fr/0")
    assert (response.status_code, await response.get_data()) == (404, b"no page in pages_fr")
    async with app.app_context():
        app.config["SERVER_NAME"] = "example.com"
        assert url_for("pages_fr.page", number=3) == "http://example.com/fr/3"
        assert url_for("pages.page", number=3) == "http://example.com/en/3"


async def test_blueprints_nested_blueprint_registered_twice_through_two_parents(
    app: TrioQuart, client: TestClient
) -> None:
    shared = Blueprint("shared", __name__, url_prefix="/shared")

    @shared.get("/")
    async def index() -> str:
        return f"{request.blueprint} {url_for('.index')}"

    first = Blueprint("first", __name__, url_prefix="/1")
    second = Blueprint("second", __name__, url_prefix="/2")
    first.register_blueprint(shared)
    second.register_blueprint(shared)
    app.register_blueprint(first)
    app.register_blueprint(second)
    assert await (await client.get("/1/shared/")).get_data() == b"first.shared /1/shared/"
    assert await (await client.get("/2/shared/")).get_data() == b"second.shared /2/shared/"


# Rules, prefixes, subdomains and defaults


@pytest.mark.parametrize(
    ("prefix", "rule", "path"),
    [
        ("/prefix", "", "/prefix"),
        ("/prefix", "/", "/prefix/"),
        ("/prefix/", "/", "/prefix/"),
        ("/prefix/", "", "/prefix/"),
        ("/prefix", "/x", "/prefix/x"),
        ("/prefix/", "x", "/prefix/x"),
        ("", "/x", "/x"),
        (None, "/x", "/x"),
    ],
)
async def test_blueprints_rule_joining_is_flasks(
    app: TrioQuart, client: TestClient, prefix: str | None, rule: str, path: str
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.route(rule)
    async def view() -> str:
        return url_for("bp.view")

    app.register_blueprint(bp, url_prefix=prefix)
    assert [r.rule for r in app.url_map.iter_rules() if r.endpoint == "bp.view"] == [path]
    assert await (await client.get(path)).get_data(as_text=True) == path


async def test_blueprints_slash_rule_redirects_the_bare_prefix(
    app: TrioQuart, client: TestClient
) -> None:
    """Flask: ``"/"`` under ``/prefix`` is ``/prefix/``, and ``/prefix`` redirects there."""
    bp = Blueprint("bp", __name__, url_prefix="/prefix")

    @bp.get("/")
    async def index() -> str:
        return "index"

    app.register_blueprint(bp)
    response = await client.get("/prefix")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/prefix/")


async def test_blueprints_url_defaults_reach_the_views(app: TrioQuart, client: TestClient) -> None:
    bp = Blueprint("bp", __name__, url_defaults={"lang": "en"})

    @bp.get("/list", defaults={"page": 1})
    @bp.get("/list/<int:page>")
    async def listing(lang: str, page: int) -> str:
        return f"{lang} {page}"

    @bp.get("/german", defaults={"lang": "de"})
    async def german(lang: str) -> str:
        return lang

    app.register_blueprint(bp, url_prefix="/a")
    app.register_blueprint(bp, name="b", url_prefix="/b", url_defaults={"lang": "fr"})
    assert await (await client.get("/a/list")).get_data() == b"en 1"
    assert await (await client.get("/a/list/3")).get_data() == b"en 3"
    assert await (await client.get("/b/list/3")).get_data() == b"fr 3"
    # A rule's own defaults win over the blueprint's.
    assert await (await client.get("/b/german")).get_data() == b"de"


def test_blueprints_nested_options_join_prefixes_and_subdomains(app: TrioQuart) -> None:
    """Flask's joining, for each combination of the parent's and the child's own."""
    cases = [
        # (parent prefix, child prefix, expected rule)
        ("/p", "/c", "/p/c/x"),
        ("/p", None, "/p/x"),
        (None, "/c", "/c/x"),
        (None, None, "/x"),
    ]
    for index, (parent_prefix, child_prefix, expected) in enumerate(cases):
        parent = Blueprint(f"parent{index}", __name__, url_prefix=parent_prefix)
        child = Blueprint("child", __name__, url_prefix=child_prefix)

        @child.get("/x")
        async def x() -> str:
            return ""  # pragma: no cover - never routed

        parent.register_blueprint(child)
        app.register_blueprint(parent)
        rules = [r for r in app.url_map.iter_rules() if r.endpoint == f"parent{index}.child.x"]
        assert [r.rule for r in rules] == [expected]
    subdomains = [
        # (parent subdomain, child subdomain, expected)
        ("api", "v1", "v1.api"),
        ("api", None, "api"),
        (None, "v1", "v1"),
        (None, None, ""),
    ]
    for index, (parent_sub, child_sub, expected) in enumerate(subdomains):
        parent = Blueprint(f"sub{index}", __name__, subdomain=parent_sub)
        child = Blueprint("child", __name__, subdomain=child_sub)

        @child.get("/y")
        async def y() -> str:
            return ""  # pragma: no cover - never routed

        parent.register_blueprint(child)
        app.register_blueprint(parent)
        rules = [r for r in app.url_map.iter_rules() if r.endpoint == f"sub{index}.child.y"]
        assert [r.subdomain for r in rules] == [expected]


# The app-wide decorators


async def test_blueprints_app_wide_request_and_websocket_hooks(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.teardown_app_request
    async def teardown(error: BaseException | None) -> None:
        record.append("teardown request")

    @bp.before_app_websocket
    async def before_ws() -> None:
        record.append("before websocket")

    @bp.after_app_websocket
    async def after_ws(response: Response | None) -> Response | None:
        record.append("after websocket")
        return response

    @bp.teardown_app_websocket
    async def teardown_ws(error: BaseException | None) -> None:
        record.append("teardown websocket")

    @app.get("/")
    async def index() -> str:
        return "index"

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("hello")

    app.register_blueprint(bp)
    assert (await client.get("/")).status_code == 200
    async with client.websocket("/ws") as connection:
        assert await connection.receive() == "hello"
    assert record == [
        "teardown request",
        "before websocket",
        "after websocket",
        "teardown websocket",
    ]


async def test_blueprints_app_errorhandler_handles_app_routes(
    app: TrioQuart, client: TestClient
) -> None:
    bp = Blueprint("errors", __name__)

    @bp.app_errorhandler(404)
    async def not_found(error: Exception) -> Any:
        return "nothing here", 404

    @bp.app_errorhandler(KeyError)
    def key_error(error: KeyError) -> Any:
        return f"missing {error.args[0]}", 400

    @app.get("/k")
    async def k() -> str:
        raise KeyError("k")

    app.register_blueprint(bp)
    response = await client.get("/nowhere")
    assert (response.status_code, await response.get_data()) == (404, b"nothing here")
    response = await client.get("/k")
    assert (response.status_code, await response.get_data()) == (400, b"missing k")
    with pytest.raises(ValueError, match=r"^errorhandler\(\) takes a status code"):
        bp.app_errorhandler("404")  # type: ignore[arg-type]


async def test_blueprints_app_wide_serving_hooks(app: TrioQuart) -> None:
    record: list[str] = []
    bp = Blueprint("service", __name__)

    @bp.before_app_serving
    async def start() -> None:
        record.append("before serving")

    @bp.after_app_serving
    def stop() -> None:
        record.append("after serving (in a thread)")

    @bp.while_app_serving
    async def lifetime() -> AsyncGenerator[None, None]:
        record.append("while serving: start")
        yield
        record.append("while serving: stop")

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again")  # added once, not per name
    async with app.test_app():
        assert record == ["before serving", "while serving: start"]
    assert record == [
        "before serving",
        "while serving: start",
        "while serving: stop",
        "after serving (in a thread)",
    ]


async def test_blueprints_app_template_helpers(app: TrioQuart, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter()
    def shout(value: str) -> str:
        return value.upper()

    @bp.app_template_test("short")
    def is_short(value: str) -> bool:
        return len(value) < 4

    @bp.app_template_global("site")
    def site() -> str:
        return "trio"

    def whisper(value: str) -> str:
        return value.lower()

    bp.add_app_template_filter(whisper)
    bp.add_app_template_test(lambda value: value == "", "empty")
    bp.add_app_template_global(lambda: 42, "answer")

    @bp.app_context_processor
    def extra() -> dict[str, str]:
        return {"extra": "yes"}

    @app.get("/")
    async def index() -> str:
        return await render_template_string(
            "{{ 'hi' | shout }} {{ 'HO' | whisper }} {{ 'abc' is short }} {{ '' is empty }} "
            "{{ site() }} {{ answer() }} {{ extra }}"
        )

    app.register_blueprint(bp)
    response = await client.get("/")
    assert await response.get_data() == b"HI ho True True trio 42 yes"


async def test_blueprints_record_and_record_once(app: TrioQuart) -> None:
    seen: list[tuple[str, bool, str | None, dict[str, Any]]] = []
    bp = Blueprint("bp", __name__, url_prefix="/bp", url_defaults={"x": 1})

    @bp.record
    def every(state: BlueprintSetupState) -> None:
        seen.append(
            (state.full_name, state.first_registration, state.url_prefix, state.url_defaults)
        )

    @bp.record_once
    def once(state: BlueprintSetupState) -> None:
        seen.append(("once", state.first_registration, state.subdomain, state.options))

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="two", url_prefix="/two", url_defaults={"y": 2})
    assert seen == [
        ("bp", True, "/bp", {"x": 1}),
        ("once", True, None, {}),
        ("two", False, "/two", {"x": 1, "y": 2}),
    ]
    state = bp.make_setup_state(app, {"name": "three"})
    assert (state.app, state.blueprint, state.name, state.name_prefix) == (app, bp, "three", "")
    with pytest.raises(TypeError, match=r"^add_url_rule\(\) needs a view_func$"):
        state.add_url_rule("/x")


def test_blueprints_declarations_after_registration_are_refused(app: TrioQuart) -> None:
    """Registration copies what a blueprint holds, so a later declaration would be lost:
    Flask refuses it too."""
    bp = Blueprint("late", __name__)
    child = Blueprint("child", __name__)
    bp.register_blueprint(child)
    app.register_blueprint(bp)

    async def view() -> str:
        return ""  # pragma: no cover - refused

    def message(method: str) -> str:
        return (
            rf"^The blueprint '(late|child)' is already registered on an app, so this "
            rf"{method}\(\) would not reach it: registration copies what the blueprint holds\. "
            r"Declare routes, hooks and the rest before registering the blueprint\.$"
        )

    declarations: list[tuple[str, Callable[[], object]]] = [
        ("add_url_rule", lambda: bp.add_url_rule("/x", view_func=view)),
        ("add_url_rule", lambda: child.route("/x")(view)),
        ("before_request", lambda: bp.before_request(view)),
        ("errorhandler", lambda: bp.errorhandler(404)),
        ("context_processor", lambda: bp.context_processor(view)),
        ("url_value_preprocessor", lambda: bp.url_value_preprocessor(lambda e, v: None)),
        ("url_defaults", lambda: bp.url_defaults(lambda e, v: None)),
        ("register_blueprint", lambda: bp.register_blueprint(Blueprint("new", __name__))),
        ("record", lambda: bp.record(lambda state: None)),
        ("record_once", lambda: bp.record_once(lambda state: None)),
        ("before_app_request", lambda: bp.before_app_request(view)),
        ("app_url_defaults", lambda: bp.app_url_defaults(lambda e, v: None)),
        ("app_errorhandler", lambda: bp.app_errorhandler(404)(view)),
        ("before_app_serving", lambda: bp.before_app_serving(view)),
        ("app_context_processor", lambda: bp.app_context_processor(view)),
        ("add_app_template_filter", lambda: bp.app_template_filter()(view)),
    ]
    for method, declare in declarations:
        with pytest.raises(RuntimeError, match=message(method)):
            declare()
    # The app itself takes declarations at any time.
    app.add_url_rule("/x", view_func=view)
