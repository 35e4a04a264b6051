"""The lifespan under Hypercorn's trio worker: while_serving generators that hold a nursery."""

from __future__ import annotations

import httpx
import trio
import trio.testing

from trioquart import TrioQuart

from ..test_lifespan import add_ticking_service
from .conftest import running_tasks, serve_app


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
    assert "ServingGenerator.run" in " ".join(trioquart_tasks())  # the walk finds them
    await server.stop()
    await trio.testing.wait_all_tasks_blocked()
    assert trioquart_tasks() == []  # the generator's task and its nursery's are all gone
    assert log == [
        "service up",
        "service down",
        "tick cancelled",
        "scope closed, cancelled_caught=False",
    ]


def trioquart_tasks() -> list[str]:
    """The running tasks whose function is trioquart's (the server's included)."""
    return [name for name in running_tasks() if name.startswith("trioquart.")]
