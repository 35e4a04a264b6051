"""The lifespan under Hypercorn's trio worker: while_serving generators that hold a nursery."""

from __future__ import annotations

import httpx
import trio

from trioquart import TrioQuart

from ..test_lifespan import add_ticking_service
from .conftest import serve_app


async def test_while_serving_holding_a_nursery_starts_and_stops_under_hypercorn(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    log: list[str] = []
    add_ticking_service(app, log)
    server = await serve_app(nursery, app)
    assert log == ["service up"]
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/")
    assert response.text == "served"
    await server.stop()
    assert log == [
        "service up",
        "service down",
        "tick cancelled",
        "scope closed, cancelled_caught=False",
    ]
