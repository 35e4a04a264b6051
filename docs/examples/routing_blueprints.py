"""A blueprint: routes, a hook and an error handler registered as a group."""

from __future__ import annotations

from trioquart import Blueprint, TrioQuart, abort, g, url_for, websocket

api = Blueprint("api", __name__)

ITEMS = {1: "spoon", 2: "fork"}


@api.before_request
async def load_client() -> None:
    g.client_name = "api client"  # runs only for the blueprint's routes


@api.errorhandler(404)
async def api_not_found(error: Exception) -> tuple[dict[str, str], int]:
    return {"error": "no such item"}, 404  # JSON errors for the API only


@api.get("/items/<int:item_id>")
async def item(item_id: int) -> dict[str, object]:
    if item_id not in ITEMS:
        abort(404)
    return {"name": ITEMS[item_id], "next": url_for(".item", item_id=item_id + 1)}


@api.websocket("/live")
async def live() -> None:
    await websocket.send(url_for("api.item", item_id=1))


app = TrioQuart(__name__)
app.register_blueprint(api, url_prefix="/api/v1")
