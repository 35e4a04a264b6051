"""The examples of docs/routing.md and docs/views.md added with nested blueprints, URL
processors, subdomains and class-based views, exercised as the pages describe them."""

from __future__ import annotations

from docs.examples import routing_nested, routing_subdomains, views_api
from trioquart.testing import TestClient

TOKEN = {"Authorization": "Bearer let-me-in"}


async def test_docs_routing_nested_blueprints_and_language_prefix() -> None:
    client = routing_nested.app.test_client()
    assert await (await client.get("/de/")).get_json() == {
        "lang": "de",
        "docs": "/de/docs/intro",
    }
    assert await (await client.get("/de/docs/intro")).get_json() == {
        "page": "intro",
        "lang": "de",
        "blueprints": ["site.docs", "site"],
        "self": "/de/docs/intro",
        "french": "/fr/docs/intro",
    }
    # The second registration of the same blueprint, under its own name and prefix.
    assert await (await client.get("/beta/it/")).get_json() == {
        "lang": "it",
        "docs": "/beta/it/docs/intro",
    }
    page = await (await client.get("/beta/it/docs/x")).get_json()
    assert page["blueprints"] == ["beta.docs", "beta"]
    assert {"site.home", "site.docs.page", "beta.home", "beta.docs.page"} <= set(
        routing_nested.app.view_functions
    )


async def test_docs_routing_subdomains() -> None:
    landing = TestClient(routing_subdomains.app, host="shop.test")
    assert await (await landing.get("/")).get_json() == {"acme": "http://acme.shop.test/"}
    acme = TestClient(routing_subdomains.app, host="acme.shop.test")
    assert await (await acme.get("/")).get_data() == b"dashboard of acme"


async def test_docs_views_method_view() -> None:
    client = views_api.app.test_client()
    views_api.NOTES.clear()
    views_api.NOTES[1] = "buy milk"
    assert await (await client.get("/notes/1")).get_json() == {"id": 1, "text": "buy milk"}
    assert (await client.get("/notes/2")).status_code == 404
    response = await client.put("/notes/2", json={"text": "call ada"})
    assert await response.get_json() == {"id": 2, "text": "call ada"}
    assert (await client.delete("/notes/1")).status_code == 204
    assert views_api.NOTES == {2: "call ada"}
    response = await client.post("/notes/2")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


async def test_docs_views_view_with_decorators() -> None:
    client = views_api.app.test_client()
    assert (await client.get("/report")).status_code == 401
    response = await client.post("/report", headers=TOKEN)
    text = await response.get_data(as_text=True)
    assert text.startswith("Weekly report (POST, ")
