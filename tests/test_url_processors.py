"""URL processors: ``url_value_preprocessor`` and ``url_defaults`` (Flask's semantics).

Preprocessors are plain functions called ``f(endpoint, view_args)`` before the ``before_*``
hooks; they may take values out of ``view_args``. ``url_defaults`` functions are called
``f(endpoint, values)`` by ``url_for`` and may fill values in. Both are scoped like hooks: a
blueprint's apply to its own endpoints, and those of the blueprints nested in it.
"""

from __future__ import annotations

from typing import Any

import pytest

from trioquart import Blueprint, TrioQuart, g, request, url_for, websocket
from trioquart.testing import TestClient


def add_language_processors(scaffold: TrioQuart | Blueprint) -> None:
    """Flask's example: ``<lang>`` leaves the view's arguments for ``g``, and ``url_for``
    puts it back."""

    @scaffold.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = values.pop("lang", None) if values else None

    @scaffold.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        lang = g.get("lang")
        if lang is not None and "lang" not in values:
            values["lang"] = lang


async def test_url_processors_language_prefix(app: TrioQuart, client: TestClient) -> None:
    add_language_processors(app)

    @app.get("/<lang>/about")
    async def about() -> Any:
        return {"lang": g.lang, "self": url_for("about"), "other": url_for("about", lang="de")}

    response = await client.get("/fr/about")
    assert await response.get_json() == {"lang": "fr", "self": "/fr/about", "other": "/de/about"}


async def test_url_processors_run_before_the_hooks_with_the_view_args(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[Any] = []

    @app.url_value_preprocessor
    def first(endpoint: str | None, values: dict[str, Any] | None) -> None:
        record.append(("preprocessor", endpoint, dict(values) if values is not None else None))
        if values is not None:
            values["number"] *= 10

    @app.before_request
    async def before() -> None:
        record.append(("before", request.view_args))

    @app.get("/n/<int:number>")
    async def view(number: int) -> str:
        return str(number)

    assert await (await client.get("/n/4")).get_data() == b"40"
    assert record == [("preprocessor", "view", {"number": 4}), ("before", {"number": 40})]
    record.clear()
    # Routing failed: no endpoint and no arguments, as in Flask.
    assert (await client.get("/nowhere")).status_code == 404
    assert record == [("preprocessor", None, None), ("before", None)]


async def test_url_processors_for_websockets(app: TrioQuart, client: TestClient) -> None:
    add_language_processors(app)

    @app.get("/<lang>/page")
    async def page() -> str:
        return ""  # pragma: no cover - never requested

    @app.websocket("/<lang>/ws")
    async def ws() -> None:
        await websocket.send(f"{g.lang} {websocket.view_args} {url_for('page', _external=False)}")

    async with client.websocket("/nl/ws") as connection:
        assert await connection.receive() == "nl {} /nl/page"


async def test_url_processors_of_a_blueprint_apply_to_its_endpoints(
    app: TrioQuart, client: TestClient
) -> None:
    seen: list[str | None] = []
    bp = Blueprint("shop", __name__, url_prefix="/<lang>/shop")
    add_language_processors(bp)

    @bp.url_value_preprocessor
    def record(endpoint: str | None, values: dict[str, Any] | None) -> None:
        seen.append(endpoint)

    @bp.get("/cart")
    async def cart() -> Any:
        return {"lang": g.lang, "self": url_for(".cart"), "home": url_for("home")}

    @app.get("/")
    async def home() -> Any:
        # The app's request has no g.lang, so the blueprint's url_defaults add nothing,
        # and the app's own requests do not run the blueprint's preprocessors.
        g.lang = "it"
        return {"cart": url_for("shop.cart")}

    app.register_blueprint(bp)
    assert await (await client.get("/en/shop/cart")).get_json() == {
        "lang": "en",
        "self": "/en/shop/cart",
        "home": "/",
    }
    # url_defaults follow the endpoint being built, not the request's blueprint.
    assert await (await client.get("/")).get_json() == {"cart": "/it/shop/cart"}
    assert seen == ["shop.cart"]


async def test_url_processors_nested_run_app_then_outer_to_inner(
    app: TrioQuart, client: TestClient
) -> None:
    order: list[str] = []
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")
    for name, scaffold in (("child", child), ("app", app), ("parent", parent)):

        def add(name: str, scaffold: TrioQuart | Blueprint) -> None:
            @scaffold.url_value_preprocessor
            def preprocess(endpoint: str | None, values: dict[str, Any] | None) -> None:
                order.append(f"{name} preprocessor")

            @scaffold.url_defaults
            def defaults(endpoint: str, values: dict[str, Any]) -> None:
                order.append(f"{name} defaults")

        add(name, scaffold)

    @child.get("/x")
    async def x() -> str:
        return url_for(".x")

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert await (await client.get("/p/c/x")).get_data() == b"/p/c/x"
    assert order == [
        "app preprocessor",
        "parent preprocessor",
        "child preprocessor",
        "app defaults",
        "parent defaults",
        "child defaults",
    ]


async def test_url_processors_app_wide_from_a_blueprint(app: TrioQuart, client: TestClient) -> None:
    bp = Blueprint("i18n", __name__)

    @bp.app_url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = values.pop("lang") if values and "lang" in values else "en"

    @bp.app_url_defaults
    def put(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang", g.lang)

    @app.get("/<lang>/")
    async def index() -> str:
        return f"{g.lang} {url_for('index')}"

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again")  # added to the app once
    assert await (await client.get("/sv/")).get_data() == b"sv /sv/"


async def test_url_defaults_outside_a_request(app: TrioQuart) -> None:
    @app.url_defaults
    def version(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("v", 2)

    @app.get("/api/v<int:v>/items")
    async def items(v: int) -> str:
        return ""  # pragma: no cover - never routed

    app.config["SERVER_NAME"] = "example.com"
    async with app.app_context():
        assert url_for("items") == "http://example.com/api/v2/items"
        assert url_for("items", v=1, _external=False) == "/api/v1/items"


def test_url_processors_must_be_plain_functions(app: TrioQuart) -> None:
    async def coroutine(endpoint: str | None, values: dict[str, Any] | None) -> None:
        pass  # pragma: no cover - refused

    message = (
        r"^{}\(\) functions are called without being awaited \(inside url_for, among "
        r"others\), so '.*coroutine' must be a plain def function, not an async one\.$"
    )
    bp = Blueprint("bp", __name__)
    for register in (app.url_value_preprocessor, bp.app_url_value_preprocessor):
        with pytest.raises(TypeError, match=message.format("url_value_preprocessor")):
            register(coroutine)
    for register in (app.url_defaults, bp.url_defaults, bp.app_url_defaults):
        with pytest.raises(TypeError, match=message.format("url_defaults")):
            register(coroutine)
