"""The benchmark app written with quart-trio (Quart on trio)."""

from __future__ import annotations

from quart import request, websocket
from quart_trio import QuartTrio

from bench.apps import HELLO


def _add_rule(app: QuartTrio, index: int) -> None:
    """Register one generated rule ``/r<index>/<int:id>`` with a unique endpoint."""

    async def view(id: int) -> str:
        return "ok"

    app.add_url_rule(f"/r{index}/<int:id>", f"r{index}", view)


def make_app(extra_rules: int = 0) -> QuartTrio:
    """Build the app, with ``extra_rules`` more routes ``/r<i>/<int:id>``."""
    app = QuartTrio(__name__)
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
