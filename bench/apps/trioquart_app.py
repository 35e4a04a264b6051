"""The benchmark app written with trioquart (the framework under test)."""

from __future__ import annotations

from bench.apps import HELLO
from trioquart import TrioQuart, request, websocket

app = TrioQuart(__name__)


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
    data: bytes = await request.get_data(as_text=False)
    return data


@app.websocket("/ws")
async def ws_echo() -> None:
    """``/ws``: echo every message until the client leaves."""
    while True:
        await websocket.send(await websocket.receive())
