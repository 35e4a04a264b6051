"""The context globals: request, g and current_app over contextvars."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from trioquart import TrioQuart, current_app, g, has_app_context, has_request_context, request
from trioquart.testing import TestClient


async def test_context_globals_in_handler(app: TrioQuart, client: TestClient) -> None:
    @app.before_request
    async def remember() -> None:
        g.user = "ada"

    @app.get("/")
    async def view() -> Any:
        return {
            "app": current_app.name,
            "same_app": current_app._get_current_object() is app,  # type: ignore[attr-defined]
            "user": g.user,
            "get": g.get("missing", "default"),
            "path": request.path,
            "has": [has_app_context(), has_request_context()],
        }

    assert await (await client.get("/")).get_json() == {
        "app": app.name,
        "same_app": True,
        "user": "ada",
        "get": "default",
        "path": "/",
        "has": [True, True],
    }


async def test_context_g_is_fresh_for_each_request(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> str:
        count = g.setdefault("count", 0) + 1
        g.count = count
        return str(count)

    assert await (await client.get("/")).get_data(as_text=True) == "1"
    assert await (await client.get("/")).get_data(as_text=True) == "1"


async def test_context_visible_in_nursery_children(app: TrioQuart, client: TestClient) -> None:
    @app.get("/<name>")
    async def view(name: str) -> Any:
        seen: list[Any] = []
        g.marker = name

        async def child() -> None:
            seen.append((request.path, g.marker, current_app.name))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(child)
            nursery.start_soon(child)
        return {"seen": seen}

    async with trio.open_nursery() as nursery:
        results: dict[str, Any] = {}

        async def fetch(name: str) -> None:
            results[name] = await (await client.get(f"/{name}")).get_json()

        nursery.start_soon(fetch, "one")
        nursery.start_soon(fetch, "two")
    assert results == {
        "one": {"seen": [["/one", "one", app.name]] * 2},
        "two": {"seen": [["/two", "two", app.name]] * 2},
    }


def test_context_request_outside_context_is_runtime_error() -> None:
    assert not has_request_context()
    message = (
        "Working outside of request context.\n\n"
        "This code reads 'request', which exists only while an HTTP request is being handled, "
        "in the handler, its hooks and the tasks they start. In a test, send a request with "
        "'await app.test_client().get(...)'; code that only needs the app can run inside "
        "'async with app.app_context():'."
    )
    with pytest.raises(RuntimeError) as info:
        _ = request.path
    assert str(info.value) == message


def test_context_app_outside_context_is_runtime_error() -> None:
    assert not has_app_context()
    message = (
        "Working outside of application context.\n\n"
        "This code needs the application (current_app or g), and none is active in this task. "
        "Requests, websocket connections and the lifespan provide one; elsewhere use "
        "'async with app.app_context():'."
    )
    with pytest.raises(RuntimeError) as info:
        _ = current_app.config
    assert str(info.value) == message
    with pytest.raises(RuntimeError, match=r"^Working outside of application context\."):
        g.value = 1


async def test_context_app_context(app: TrioQuart) -> None:
    app.config["GREETING"] = "hi"
    async with app.app_context() as ctx:
        assert current_app.config["GREETING"] == "hi"
        g.thing = 1
        assert "thing" in g
        assert ctx.g.thing == 1
        assert g.pop("thing") == 1
        assert "thing" not in g
        assert not has_request_context()
    assert not has_app_context()


async def test_context_app_context_is_reused_by_requests(
    app: TrioQuart, client: TestClient
) -> None:
    """A request inside an app context of the same app shares its ``g``."""

    @app.get("/")
    async def view() -> str:
        return str(g.get("outer"))

    async with app.app_context():
        g.outer = "shared"
        assert await (await client.get("/")).get_data(as_text=True) == "shared"


async def test_context_request_of_another_app_inside_an_app_context(
    app: TrioQuart, client: TestClient
) -> None:
    """The request's app wins over an outer app context of another app, and gets its own g."""
    other = TrioQuart("other")

    @app.get("/")
    async def view() -> Any:
        return {"app": current_app.name, "outer": g.get("outer")}

    async with other.app_context():
        g.outer = "other's"
        assert await (await client.get("/")).get_json() == {"app": app.name, "outer": None}
        assert current_app.name == "other"
        assert g.outer == "other's"


async def test_context_app_context_opened_in_a_handler_wins_until_closed(
    app: TrioQuart, client: TestClient
) -> None:
    """An app context pushed inside a handler is current (with its own g) until it closes."""
    other = TrioQuart("other")

    @app.get("/")
    async def view() -> Any:
        g.mine = "request's"
        seen: dict[str, Any] = {}
        async with other.app_context():
            seen["inner"] = [current_app.name, g.get("mine"), request.path]
        async with app.app_context():
            seen["same_app"] = [current_app.name, g.get("mine")]
        seen["after"] = [current_app.name, g.mine, has_app_context()]
        return seen

    assert await (await client.get("/")).get_json() == {
        "inner": ["other", None, "/"],
        "same_app": [app.name, None],
        "after": [app.name, "request's", True],
    }
