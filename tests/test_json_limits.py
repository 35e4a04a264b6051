"""JSON nested too deeply to decode is a 400 (a ``BadRequest``), never a 500 or a 1011 close."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import trio
from werkzeug.exceptions import BadRequest

from trioquart import TrioQuart, request, websocket
from trioquart.json import loads
from trioquart.testing import TestClient

from .e2e.conftest import served

UNCLOSED = "[" * 100_000  # 100 KB of "[": never valid, and too deep to even reach the end
TOO_DEEP = "[" * 100_000 + "]" * 100_000  # valid JSON, nested too deeply to decode
DEEP_BODIES = pytest.mark.parametrize("body", [UNCLOSED, TOO_DEEP], ids=["unclosed", "too_deep"])


@DEEP_BODIES
def test_json_loads_too_deep_is_a_value_error(body: str) -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        loads(body)
    with pytest.raises(ValueError, match="nested too deeply"):
        loads(body.encode())


def test_json_loads_keeps_ordinary_nesting() -> None:
    nested: list[Any] = []
    for _ in range(99):
        nested = [nested]
    assert loads("[" * 100 + "]" * 100) == nested
    assert loads(b'{"a": [[1]]}') == {"a": [[1]]}


def add_json_views(app: TrioQuart) -> None:
    @app.post("/")
    async def view() -> Any:
        return {"got": await request.get_json()}

    @app.post("/silent")
    async def silent() -> Any:
        return {"silent": await request.get_json(silent=True)}


@DEEP_BODIES
async def test_json_too_deep_request_body_is_400(
    app: TrioQuart, client: TestClient, body: str
) -> None:
    add_json_views(app)
    response = await client.post(
        "/", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    text = await response.get_data(as_text=True)
    assert "The request body is not valid JSON" in text
    assert "nested too deeply" in text
    # The app keeps serving.
    response = await client.post("/", json={"a": [1]})
    assert response.status_code == 200
    assert await response.get_json() == {"got": {"a": [1]}}


@DEEP_BODIES
async def test_json_too_deep_request_body_silent_is_none(
    app: TrioQuart, client: TestClient, body: str
) -> None:
    add_json_views(app)
    response = await client.post(
        "/silent", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert await response.get_json() == {"silent": None}


@DEEP_BODIES
async def test_json_too_deep_websocket_message_is_a_bad_request(
    app: TrioQuart, client: TestClient, body: str
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        while True:
            try:
                data = await websocket.receive_json()
            except BadRequest as error:
                await websocket.send(f"bad: {error.description}")
            else:
                await websocket.send_json({"got": data})

    async with client.websocket("/ws") as ws:
        await ws.send(body)
        reply = await ws.receive()
        assert isinstance(reply, str)
        assert reply.startswith("bad: The websocket message is not valid JSON")
        assert "nested too deeply" in reply
        # The connection stays open.
        await ws.send_json([1])
        assert await ws.receive_json() == {"got": [1]}


async def test_json_too_deep_request_body_is_400_under_hypercorn(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    add_json_views(app)
    async with served(nursery, app) as server, httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            "/", content=UNCLOSED, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert "nested too deeply" in response.text
        response = await http.post("/", json=[1])
        assert response.json() == {"got": [1]}
