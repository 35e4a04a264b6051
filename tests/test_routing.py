"""Routing through the test client: rules, methods, converters, url_for, redirects."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from werkzeug.routing import BaseConverter

from trioquart import Blueprint, TrioQuart, request, url_for
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
