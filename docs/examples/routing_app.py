"""Routes: converters, methods, strict slashes and building URLs."""

from __future__ import annotations

import uuid

from trioquart import Response, TrioQuart, redirect, request, url_for

app = TrioQuart(__name__)


@app.get("/users/<int:user_id>")
async def user(user_id: int) -> dict[str, object]:
    return {"id": user_id, "self": url_for("user", user_id=user_id)}


@app.get("/prices/<float:amount>")
async def price(amount: float) -> str:
    return f"{amount:.2f}"


@app.get("/files/<path:name>")
async def file(name: str) -> str:
    return name  # "a/b/c.txt": a path may contain slashes


@app.get("/orders/<uuid:order_id>")
async def order(order_id: uuid.UUID) -> str:
    return order_id.hex


@app.route("/notes", methods=["GET", "POST"])
async def notes() -> tuple[str, int]:
    if request.method == "POST":
        return "created", 201
    return "all notes", 200


@app.get("/docs/")
async def docs_index() -> str:
    return "documentation"  # /docs redirects here with 308


@app.get("/old-profile/<int:user_id>")
async def old_profile(user_id: int) -> Response:
    # Values no converter takes become the query string.
    return redirect(url_for("user", user_id=user_id, tab="profile"))
