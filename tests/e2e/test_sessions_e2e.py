"""Sessions over a real Hypercorn server: a login over HTTP (httpx keeps the cookie) is trusted
by a websocket handshake (trio-websocket sends the cookie); a forged cookie is just no login."""

from __future__ import annotations

import httpx
import pytest
from trio_websocket import ConnectionRejected

from trioquart import TrioQuart, request, session, websocket

from .conftest import RunningServer, open_websocket


@pytest.fixture
def app(app: TrioQuart) -> TrioQuart:
    app.config["SECRET_KEY"] = "e2e key"

    @app.post("/login")
    async def login() -> str:
        session["user"] = (await request.form)["user"]
        return "logged in"

    @app.websocket("/ws")
    async def greet() -> tuple[str, int] | None:
        user = session.get("user")
        if user is None:
            return "log in first", 401
        await websocket.send(f"hello {user}")
        return None

    return app


async def test_a_login_over_http_is_trusted_by_the_websocket_handshake(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/login", data={"user": "ada"})
        assert response.status_code == 200
        assert "HttpOnly" in response.headers["set-cookie"]
        cookie = http.cookies["session"]
    headers = [(b"Cookie", f"session={cookie}".encode())]
    async with open_websocket(server, "/ws", headers=headers) as connection:
        assert await connection.get_message() == "hello ada"


@pytest.mark.parametrize("cookie", [None, "forged", "eyJ1c2VyIjoibWFsbG9yeSJ9.AAAAAA.AAAA"])
async def test_without_a_valid_cookie_the_handshake_is_refused(
    server: RunningServer, cookie: str | None
) -> None:
    headers = [(b"Cookie", f"session={cookie}".encode())] if cookie else []
    with pytest.raises(ConnectionRejected) as caught:
        async with open_websocket(server, "/ws", headers=headers):
            pass
    assert caught.value.status_code == 401
    assert caught.value.body == b"log in first"
