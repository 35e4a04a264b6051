"""The lifespan under Hypercorn's trio worker: while_serving generators that hold a nursery."""

from __future__ import annotations

import httpx
import trio
import trio.testing

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
    """Names of the running tasks whose coroutine is trioquart code (the server's included)."""
    found = []
    pending = [trio.lowlevel.current_root_task()]
    while pending:
        task = pending.pop()
        assert task is not None
        code = getattr(task.coro, "cr_code", None)
        if code is not None and "/trioquart/" in code.co_filename:
            found.append(task.name)
        for nursery in task.child_nurseries:
            pending.extend(nursery.child_tasks)
    return found
