"""The benchmark app written with quart-trio (Quart on trio)."""

from __future__ import annotations

from quart import request, websocket
from quart_trio import QuartTrio

from bench.apps import HELLO

app = QuartTrio(__name__)


@app.get("/")
async def hello() -> str:
    """``GET /``: plain text."""
    return HELLO


@app.get("/items/<int:id>")
async def item(id: int) -> dict[str, object]:
    """``GET /items/<id>``: JSON."""
    return {"id": id, "name": f"item {id}"}


@app.post("/echo")
async def echo() -> bytes:
    """``POST /echo``: the request body back."""
    return await request.get_data(cache=True, as_text=False, parse_form_data=False)


@app.websocket("/ws")
async def ws_echo() -> None:
    """``/ws``: echo every message until the client leaves."""
    while True:
        await websocket.send(await websocket.receive())
