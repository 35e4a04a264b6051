"""Blueprints, class-based views, plain ``def`` views and subdomains over a real Hypercorn
server: nested blueprints answer under their joined prefixes with their parents' hooks, a
plain view runs in a worker thread (a blocked one does not stop the server from answering
another request), and the ``Host`` header picks a subdomain's rules."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
import trio

from trioquart import Blueprint, TrioQuart, g, request, url_for, websocket
from trioquart.views import MethodView

from .conftest import RunningServer, open_websocket, served


@pytest.fixture
def app(app: TrioQuart) -> TrioQuart:
    loop_thread = threading.get_ident()
    api = Blueprint("api", __name__, url_prefix="/api")
    v1 = Blueprint("v1", __name__, url_prefix="/v1")

    @api.before_request
    def authenticate() -> Any:
        if request.headers.get("X-Key") != "secret":
            return {"error": "no key"}, 401
        g.client = "trusted"
        return None

    @api.before_websocket
    def greet_websocket() -> None:
        g.client = "websocket"

    @v1.get("/whoami")
    def whoami() -> Any:
        return {
            "client": g.client,
            "endpoint": request.endpoint,
            "blueprints": request.blueprints,
            "self": url_for(".whoami"),
            "in_thread": threading.get_ident() != loop_thread,
        }

    class Items(MethodView):
        def get(self, item_id: int) -> Any:
            return {"item": item_id, "in_thread": threading.get_ident() != loop_thread}

        async def delete(self, item_id: int) -> Any:
            return "", 204

    v1.add_url_rule("/items/<int:item_id>", view_func=Items.as_view("items"))

    @v1.websocket("/ws")
    async def live() -> None:
        await websocket.send(f"{g.client} {websocket.blueprint}")

    api.register_blueprint(v1)
    app.register_blueprint(api)
    return app


async def test_nested_blueprints_and_plain_views_over_hypercorn(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/v1/whoami")).status_code == 401
        response = await http.get("/api/v1/whoami", headers={"X-Key": "secret"})
        assert response.json() == {
            "client": "trusted",
            "endpoint": "api.v1.whoami",
            "blueprints": ["api.v1", "api"],
            "self": "/api/v1/whoami",
            "in_thread": True,
        }
        response = await http.get("/api/v1/items/7", headers={"X-Key": "secret"})
        assert response.json() == {"item": 7, "in_thread": True}
        response = await http.delete("/api/v1/items/7", headers={"X-Key": "secret"})
        assert response.status_code == 204
        assert (await http.post("/api/v1/items/7", headers={"X-Key": "secret"})).status_code == 405
    async with open_websocket(server, "/api/v1/ws") as connection:
        assert await connection.get_message() == "websocket api.v1"


async def test_a_blocked_plain_view_does_not_stop_the_server(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    entered = threading.Event()
    released = threading.Event()

    @app.get("/wait")
    def wait() -> str:
        entered.set()
        return "released" if released.wait(timeout=10) else "timed out"

    @app.get("/release")
    def release() -> str:
        released.set()
        return "ok"

    results: list[str] = []
    async with served(nursery, app) as server, httpx.AsyncClient(base_url=server.url) as http:

        async def get_waiting() -> None:
            results.append((await http.get("/wait")).text)

        with trio.fail_after(5):
            async with trio.open_nursery() as clients:
                clients.start_soon(get_waiting)
                # /wait is blocked in its thread before /release is asked for:
                assert await trio.to_thread.run_sync(entered.wait, 5)
                assert (await http.get("/release")).text == "ok"
    assert results == ["released"]


async def test_subdomains_over_hypercorn(nursery: trio.Nursery) -> None:
    app = TrioQuart(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"

    @app.get("/")
    async def index() -> str:
        return url_for("tenant_home", tenant="acme")

    @app.get("/", subdomain="<tenant>")
    async def tenant_home(tenant: str) -> str:
        return f"home of {tenant}"

    async with served(nursery, app) as server, httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/", headers={"Host": "example.test"})
        assert response.text == "http://acme.example.test/"
        response = await http.get("/", headers={"Host": "acme.example.test"})
        assert response.text == "home of acme"
