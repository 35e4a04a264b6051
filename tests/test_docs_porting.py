"""The examples of ``docs/porting.md`` (``docs/examples/porting_*.py``): logins, CORS and
request validation written without Quart's extensions."""

from __future__ import annotations

import pytest

from docs.examples import porting_auth, porting_cors, porting_validation
from trioquart.testing import WebsocketResponseError


async def test_docs_porting_auth_guards_views_and_websockets() -> None:
    client = porting_auth.app.test_client()
    assert (await client.get("/profile")).status_code == 401
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/ws"):
            pass  # pragma: no cover - refused
    assert refused.value.response.status_code == 401

    wrong = await client.post("/login", form={"user": "ada", "password": "wrong"})
    assert wrong.status_code == 401
    login = await client.post("/login", form={"user": "ada", "password": "correct horse"})
    assert login.status_code == 302
    assert login.headers["Location"] == "/profile"
    assert await (await client.get("/profile")).get_data(as_text=True) == "Hello, ada"
    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "Hello, ada"

    assert (await client.post("/logout")).headers["Location"] == "/login"
    assert (await client.get("/profile")).status_code == 401


async def test_docs_porting_cors_answers_listed_origins_only() -> None:
    client = porting_cors.app.test_client()
    allowed = {"Origin": "https://app.example.com"}
    response = await client.get("/api/notes", headers=allowed)
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Methods" not in response.headers

    preflight = await client.options(
        "/api/notes",
        headers={**allowed, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    methods = set(preflight.headers["Access-Control-Allow-Methods"].split(", "))
    assert methods == {"GET", "HEAD", "OPTIONS", "POST"}
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type"

    foreign = await client.get("/api/notes", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 200
    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert porting_cors.app.config["WEBSOCKET_ALLOWED_ORIGINS"] == ["https://app.example.com"]


async def test_docs_porting_validation_builds_the_dataclass_or_answers_400() -> None:
    client = porting_validation.app.test_client()
    created = await client.post("/todos", json={"task": "port the app", "due": "friday"})
    assert created.status_code == 201
    assert await created.get_json() == {"task": "port the app", "due": "friday", "done": False}

    invalid = await client.post("/todos", json={"due": 5, "colour": "red"})
    assert invalid.status_code == 400
    assert await invalid.get_json() == {
        "errors": ["due: expected str | None", "task: missing", "colour: unknown field"]
    }
    not_an_object = await client.post("/todos", json=["task"])
    assert not_an_object.status_code == 400
