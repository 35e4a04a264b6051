"""The benchmark app written with trioquart (the framework under test)."""

from __future__ import annotations

from typing import Any

from bench.apps import HELLO
from trioquart import TrioQuart, request, websocket


def _add_rule(app: TrioQuart, index: int) -> None:
    """Register one generated rule ``/r<index>/<int:id>`` under a unique endpoint name."""

    async def view(id: int) -> str:
        return "ok"

    view.__name__ = view.__qualname__ = f"r{index}"
    app.get(f"/r{index}/<int:id>")(view)


def make_app(extra_rules: int = 0) -> Any:
    """Build the app, with ``extra_rules`` more routes ``/r<i>/<int:id>``."""
    app = TrioQuart(__name__)
    for index in range(extra_rules):
        _add_rule(app, index)

    @app.get("/")
    async def hello() -> str:
        return HELLO

    @app.get("/items/<int:id>")
    async def item(id: int) -> dict[str, object]:
        return {"id": id, "name": f"item {id}"}

    @app.post("/echo")
    async def echo() -> bytes:
        return await request.get_data()

    @app.websocket("/ws")
    async def ws_echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    return app


app = make_app()
