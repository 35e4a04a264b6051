"""Routing by scope type (docs/websockets.md): a websocket upgrade to a path that only has HTTP
routes is a 400 rejection whatever the HTTP routes' methods, and plain HTTP to a websocket-only
path is 400 for GET/HEAD and 405 with ``Allow`` otherwise."""

from __future__ import annotations

import pytest
import trio
from trio_websocket import ConnectionRejected

from trioquart import Response, TrioQuart, websocket
from trioquart.testing import TestClient, WebsocketResponseError

from .e2e.conftest import open_websocket, served


async def rejected(client: TestClient, path: str) -> Response:
    """The response that refused a websocket handshake (entering the block raises it)."""
    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket(path):
            pass
    return caught.value.response


def add_routes(app: TrioQuart) -> None:
    """``/form`` POST only, ``/page`` GET, ``/live`` a websocket and a POST-only HTTP rule,
    ``/socket`` a websocket only; ``/items/<int:n>`` HTTP POST with a static websocket rule
    ``/items/live`` beside it."""

    @app.post("/form")
    async def form() -> str:
        return "form"

    @app.get("/page")
    async def page() -> str:
        return "page"

    @app.websocket("/live")
    async def live_socket() -> None:
        await websocket.send("live")

    @app.post("/live")
    async def live_post() -> str:
        return "posted"

    @app.websocket("/socket")
    async def socket() -> None:
        await websocket.send("socket")

    @app.post("/items/<int:n>")
    async def item(n: int) -> str:
        return f"item {n}"

    @app.websocket("/items/live")
    async def items_live() -> None:
        await websocket.send("items live")


@pytest.mark.parametrize(
    ("path", "status"),
    [("/form", 400), ("/page", 400), ("/items/3", 400), ("/nowhere", 404)],
    ids=["post-only-http", "get-http", "http-converter", "unknown"],
)
async def test_websocket_routing_rejections(
    app: TrioQuart, client: TestClient, path: str, status: int
) -> None:
    add_routes(app)
    assert (await rejected(client, path)).status_code == status


@pytest.mark.parametrize(
    ("path", "message"), [("/live", "live"), ("/socket", "socket"), ("/items/live", "items live")]
)
async def test_websocket_routing_websocket_rule_connects(
    app: TrioQuart, client: TestClient, path: str, message: str
) -> None:
    add_routes(app)
    async with client.websocket(path) as connection:
        assert await connection.receive() == message


async def test_websocket_routing_http_to_websocket_rules(
    app: TrioQuart, client: TestClient
) -> None:
    add_routes(app)
    assert (await client.get("/socket")).status_code == 400
    assert (await client.head("/socket")).status_code == 400
    response = await client.post("/socket")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    # The HTTP rules beside websocket rules keep answering HTTP.
    assert (await client.post("/live")).status_code == 200
    assert (await client.post("/items/3")).status_code == 200
    assert (await client.post("/form")).status_code == 200


async def test_websocket_routing_post_only_http_route_over_hypercorn(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    add_routes(app)
    async with served(nursery, app) as server:
        for path, status in [("/form", 400), ("/items/3", 400), ("/nowhere", 404)]:
            with pytest.raises(ConnectionRejected) as caught:
                async with open_websocket(server, path):
                    pass
            assert caught.value.status_code == status, path
        async with open_websocket(server, "/live") as connection:
            assert await connection.get_message() == "live"
