"""Security settings over a real Hypercorn server: a browser's cross-site websocket handshake
is refused, ``TRUSTED_HOSTS`` holds, and a proxy's headers are read through Hypercorn's
``ProxyFixMiddleware`` (the ``server`` fixture also checks that nothing is left behind)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypercorn.middleware import ProxyFixMiddleware
from trio_websocket import ConnectionRejected

from trioquart import TrioQuart, request, websocket

from .conftest import RunningServer, open_websocket


@pytest.fixture
def app(app: TrioQuart) -> TrioQuart:
    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    @app.route("/where")
    async def where() -> dict[str, Any]:
        return {"url": request.url, "remote_addr": request.remote_addr}

    return app


async def test_a_page_of_another_site_cannot_open_a_websocket(server: RunningServer) -> None:
    with pytest.raises(ConnectionRejected) as caught:
        async with open_websocket(server, "/ws", headers=[(b"Origin", b"https://evil.example")]):
            pass
    assert caught.value.status_code == 403
    assert caught.value.body is not None
    assert b"WEBSOCKET_ALLOWED_ORIGINS" in caught.value.body

    own_page = f"http://{server.host}:{server.port}".encode()
    async with open_websocket(server, "/ws", headers=[(b"Origin", own_page)]) as connection:
        await connection.send_message("same site")
        assert await connection.get_message() == "same site"


async def test_untrusted_hosts_get_400(app: TrioQuart, server: RunningServer) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com"]
    async with httpx.AsyncClient(base_url=server.url) as http:
        refused = await http.get("/where")  # Host: 127.0.0.1:port
        served = await http.get("/where", headers={"Host": "example.com"})
    assert refused.status_code == 400
    assert served.status_code == 200
    assert served.json()["url"] == "http://example.com/where"
    with pytest.raises(ConnectionRejected) as caught:
        async with open_websocket(server, "/ws"):
            pass
    assert caught.value.status_code == 400


async def test_behind_a_proxy(app: TrioQuart, server: RunningServer) -> None:
    app.asgi_app = ProxyFixMiddleware(app.asgi_app, mode="legacy", trusted_hops=1)
    forwarded = {
        "X-Forwarded-For": "198.51.100.4",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "chat.example.com",
    }
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/where", headers=forwarded)
    assert response.json() == {
        "url": "https://chat.example.com/where",
        "remote_addr": "198.51.100.4",
    }
    headers = [(name.encode(), value.encode()) for name, value in forwarded.items()]
    headers.append((b"Origin", b"https://chat.example.com"))
    async with open_websocket(server, "/ws", headers=headers) as connection:
        await connection.send_message(b"through the proxy")
        assert await connection.get_message() == b"through the proxy"
