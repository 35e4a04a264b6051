"""An HTTP route and a websocket route on the same path."""

from __future__ import annotations

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)


@app.get("/updates")
async def updates_page() -> str:
    return "<p>Open a websocket to this URL for live updates.</p>"


@app.websocket("/updates")
async def updates_socket() -> None:
    await websocket.send_json({"status": "live"})


@app.websocket("/only-ws")
async def only_ws() -> None:
    await websocket.send("hello")
