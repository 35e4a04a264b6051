"""JSON, ``request.values`` and ``request.data`` through a real Hypercorn trio server.

The bodies are compared byte for byte: what a client of a Quart app receives is what a client
of the same app on trioquart receives.
"""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import trio

from trioquart import Response, TrioQuart, jsonify, request, websocket
from trioquart.json import DefaultJSONProvider

from .conftest import RunningServer, open_websocket, served


class UnsortedProvider(DefaultJSONProvider):
    """Keys in the order they were set, non-ASCII as it is."""

    sort_keys = False
    ensure_ascii = False


async def test_json_e2e_bodies_are_quarts(app: TrioQuart, server: RunningServer) -> None:
    @app.get("/dict")
    async def as_dict() -> Any:
        return {"when": datetime.date(2026, 11, 25), "b": 1, "a": "é"}

    @app.get("/jsonify")
    async def as_jsonify() -> Response:
        return jsonify(1, "two")

    @app.post("/echo")
    async def echo() -> Any:
        return {"got": await request.get_json()}, 201

    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.get("/dict")
            assert response.headers["content-type"] == "application/json"
            assert response.content == (
                b'{"a":"\\u00e9","b":1,"when":"Wed, 25 Nov 2026 00:00:00 GMT"}\n'
            )
            assert response.headers["content-length"] == str(len(response.content))
            assert (await http.get("/jsonify")).content == b'[1,"two"]\n'
            response = await http.post("/echo", json={"nested": [1, {"x": None}]})
            assert response.status_code == 201
            assert response.json() == {"got": {"nested": [1, {"x": None}]}}


async def test_json_e2e_provider_class_of_a_subclass(nursery: trio.Nursery) -> None:
    class UnsortedApp(TrioQuart):
        json_provider_class = UnsortedProvider

    app = UnsortedApp(__name__)

    @app.get("/")
    async def view() -> Any:
        return {"b": "☃", "a": 1}

    with trio.fail_after(10):
        async with served(nursery, app) as server, httpx.AsyncClient(base_url=server.url) as http:
            response = await http.get("/")
    assert response.content == '{"b":"☃","a":1}\n'.encode()


async def test_json_e2e_values_and_data(app: TrioQuart, server: RunningServer) -> None:
    @app.post("/form")
    async def form() -> Any:
        values = await request.values
        return {
            "name": values["name"],
            "tags": values.getlist("tag"),
            "data": (await request.data).decode(),
        }

    @app.put("/raw")
    async def raw() -> Any:
        return {"data": (await request.data).decode(), "values": (await request.values).to_dict()}

    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.post(
                "/form", params={"tag": "q", "name": "query"}, data={"tag": "f", "name": "form"}
            )
            assert response.json() == {"name": "query", "tags": ["q", "f"], "data": ""}
            response = await http.put(
                "/raw?x=1", content="héllo", headers={"Content-Type": "text/plain"}
            )
            assert response.json() == {"data": "héllo", "values": {"x": "1"}}


async def test_json_e2e_websocket_send_json(app: TrioQuart, server: RunningServer) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        numbers = await websocket.receive_json()
        await websocket.send_json(total=sum(numbers), count=len(numbers))
        await websocket.send_json(*numbers)

    with trio.fail_after(10):
        async with open_websocket(server, "/ws") as connection:
            await connection.send_message("[1, 2, 3]")
            assert await connection.get_message() == '{"count": 3, "total": 6}'
            assert await connection.get_message() == "[1, 2, 3]"
