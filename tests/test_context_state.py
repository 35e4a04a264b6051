"""Context bookkeeping: which kind of connection is current, and popping a context that is
not pushed (any more)."""

from __future__ import annotations

from typing import Any

from trioquart import (
    TrioQuart,
    has_app_context,
    has_request_context,
    has_websocket_context,
    websocket,
)
from trioquart.ctx import WebsocketContext
from trioquart.testing import TestClient


async def test_has_websocket_context_only_while_a_websocket_is_served(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def view() -> Any:
        return {"websocket": has_websocket_context(), "request": has_request_context()}

    @app.websocket("/ws")
    async def socket() -> None:
        await websocket.send_json(
            {"websocket": has_websocket_context(), "request": has_request_context()}
        )

    assert await (await client.get("/")).get_json() == {"websocket": False, "request": True}
    async with client.websocket("/ws") as connection:
        assert await connection.receive_json() == {"websocket": True, "request": False}
    assert not has_websocket_context()


async def test_popping_a_context_again_changes_nothing(app: TrioQuart) -> None:
    app_ctx = app.app_context()
    app_ctx.pop()  # never pushed
    app_ctx.push()
    connection_ctx = WebsocketContext(app, websocket=None)  # type: ignore[arg-type]
    connection_ctx.push()
    assert has_websocket_context()
    connection_ctx.pop()
    connection_ctx.pop()
    assert not has_websocket_context()
    # The connection shared the app context pushed first, which is still current.
    assert has_app_context()
    app_ctx.pop()
    app_ctx.pop()
    assert not has_app_context()
