"""Blueprints: URL prefixes, endpoint names, scoped hooks and error handlers."""

from __future__ import annotations

from typing import Any

import pytest

from trioquart import Blueprint, Response, TrioQuart, abort, request, url_for
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
    with pytest.raises(ValueError, match=r"^A different blueprint is already registered as 'dup'$"):
        app.register_blueprint(Blueprint("dup", __name__))


async def test_blueprints_same_blueprint_twice_is_value_error(
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
        match=r"^The blueprint 'once' is already registered on this app; register it once "
        r"\(one URL prefix per blueprint\)\.$",
    ):
        app.register_blueprint(bp, url_prefix="/again")
    assert (await client.get("/")).status_code == 200
    assert calls == ["before"]
    # Another app may use the same blueprint.
    other = TrioQuart(__name__)
    other.register_blueprint(bp)
    assert (await other.test_client().get("/")).status_code == 200
