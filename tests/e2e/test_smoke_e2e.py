"""The server fixture itself: a request and a websocket round trip over real sockets."""

from __future__ import annotations

import httpx

from trioquart import TrioQuart, websocket

from .conftest import RunningServer, open_websocket


async def test_http_and_websocket_round_trip(app: TrioQuart, server: RunningServer) -> None:
    @app.get("/")
    async def index() -> str:
        return "hello"

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/")
    assert response.status_code == 200
    assert response.text == "hello"
    async with open_websocket(server, "/ws") as connection:
        await connection.send_message("ping")
        assert await connection.get_message() == "ping"
