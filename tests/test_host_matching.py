"""Host and subdomain matching, and ``SERVER_NAME``: Flask's ``create_url_adapter`` rules.

- ``host_matching=True``: each rule names its full ``host`` (it may have converters); the
  client's ``Host`` picks the rule, and ``SERVER_NAME`` plays no part in matching.
- ``subdomain_matching=True``: the part of the client's host in front of ``SERVER_NAME`` is
  the subdomain the rules' ``subdomain`` options match.
- Neither: the host does not matter; with ``SERVER_NAME`` set, built URLs use it.
"""

from __future__ import annotations

from typing import Any

import pytest

from trioquart import Blueprint, TrioQuart, request, url_for, websocket
from trioquart.testing import TestClient


def client_for(app: TrioQuart, host: str) -> TestClient:
    return TestClient(app, host=host)


async def text(client: TestClient, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status_code, await response.get_data(as_text=True)


# Host matching


@pytest.fixture
def host_app() -> TrioQuart:
    app = TrioQuart(__name__, host_matching=True, static_host="static.example.com")

    @app.get("/", host="www.example.com")
    async def home() -> Any:
        return {
            "self": url_for("home"),
            "shop": url_for("shop"),
            "user": url_for("user", user="bob"),
            "static": url_for("static", filename="app.css"),
        }

    @app.get("/", host="shop.example.com")
    async def shop() -> str:
        return "shop"

    @app.get("/profile", host="<user>.users.example.com")
    async def user(user: str) -> str:
        return f"profile of {user}"

    @app.get("/anywhere")
    async def no_host() -> str:
        return "matches no host"  # pragma: no cover - a rule without host matches none

    @app.websocket("/ws", host="www.example.com")
    async def ws() -> None:
        await websocket.send(websocket.host)

    return app


async def test_host_matching_picks_the_rule_by_host(host_app: TrioQuart) -> None:
    www = client_for(host_app, "www.example.com")
    assert await (await www.get("/")).get_json() == {
        "self": "/",
        "shop": "http://shop.example.com/",
        "user": "http://bob.users.example.com/profile",
        "static": "http://static.example.com/static/app.css",
    }
    assert await text(client_for(host_app, "shop.example.com"), "/") == (200, "shop")
    assert await text(client_for(host_app, "ada.users.example.com"), "/profile") == (
        200,
        "profile of ada",
    )
    assert (await client_for(host_app, "other.example.com").get("/")).status_code == 404
    assert (await www.get("/anywhere")).status_code == 404
    async with www.websocket("/ws") as connection:
        assert await connection.receive() == "www.example.com"


async def test_host_matching_ignores_server_name_for_matching(host_app: TrioQuart) -> None:
    host_app.config["SERVER_NAME"] = "www.example.com"
    assert await text(client_for(host_app, "shop.example.com"), "/") == (200, "shop")
    async with host_app.app_context():
        # Outside a request SERVER_NAME is the host URLs are built from.
        assert url_for("home") == "http://www.example.com/"
        assert url_for("shop") == "http://shop.example.com/"


def test_host_matching_and_static_host_go_together() -> None:
    message = (
        r"^static_host goes with host_matching=True, and host_matching=True with a static "
        r"folder needs static_host \(the host the static files are served from\); got "
    )
    with pytest.raises(ValueError, match=message + r"static_host=None, host_matching=True$"):
        TrioQuart(__name__, host_matching=True)
    with pytest.raises(ValueError, match=message + r"static_host='s', host_matching=False$"):
        TrioQuart(__name__, static_host="s")
    # Without a static folder there is no static route to place.
    app = TrioQuart(__name__, host_matching=True, static_folder=None)
    assert app.url_map.host_matching


# Subdomain matching


@pytest.fixture
def subdomain_app() -> TrioQuart:
    app = TrioQuart(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"

    @app.get("/")
    async def index() -> Any:
        return {"api": url_for("api_index"), "user": url_for("user", user="eve")}

    @app.get("/", subdomain="api")
    async def api_index() -> Any:
        return {"self": url_for("api_index"), "index": url_for("index")}

    @app.get("/u", subdomain="<user>")
    async def user(user: str) -> str:
        return f"user {user}"

    return app


async def test_subdomain_matching_under_server_name(subdomain_app: TrioQuart) -> None:
    main = client_for(subdomain_app, "example.com")
    assert await (await main.get("/")).get_json() == {
        "api": "http://api.example.com/",
        "user": "http://eve.example.com/u",
    }
    api = client_for(subdomain_app, "api.example.com")
    assert await (await api.get("/")).get_json() == {
        "self": "/",
        "index": "http://example.com/",
    }
    assert await text(client_for(subdomain_app, "bob.example.com"), "/u") == (200, "user bob")
    assert await text(client_for(subdomain_app, "a.b.example.com"), "/u") == (200, "user a.b")
    # A subdomain without rules of its own: the default subdomain's rules are not its.
    assert (await client_for(subdomain_app, "bob.example.com").get("/")).status_code == 404
    # A host not under SERVER_NAME has Werkzeug's invalid subdomain: no fixed one matches.
    assert (await client_for(subdomain_app, "example.org").get("/")).status_code == 404
    assert await text(client_for(subdomain_app, "example.org"), "/u") == (200, "user <invalid>")


async def test_subdomain_matching_ignores_default_ports(subdomain_app: TrioQuart) -> None:
    subdomain_app.config["SERVER_NAME"] = "example.com:80"
    assert await text(client_for(subdomain_app, "bob.example.com:80"), "/u") == (200, "user bob")
    subdomain_app.config["SERVER_NAME"] = "example.com:8000"
    assert await text(client_for(subdomain_app, "bob.example.com:8000"), "/u") == (
        200,
        "user bob",
    )
    assert await text(client_for(subdomain_app, "bob.example.com"), "/u") == (
        200,
        "user <invalid>",  # another port: not under SERVER_NAME
    )


async def test_subdomain_matching_without_server_name(app: TrioQuart) -> None:
    """Without SERVER_NAME the client's whole host is the server name: no subdomain."""
    app = TrioQuart(__name__, subdomain_matching=True)

    @app.get("/", subdomain="api")
    async def api() -> str:
        return "api"  # pragma: no cover - never matched without SERVER_NAME

    @app.get("/")
    async def index() -> str:
        return url_for("api")

    assert await text(client_for(app, "api.localhost"), "/") == (200, "http://api.api.localhost/")


async def test_subdomain_of_a_blueprint(subdomain_app: TrioQuart) -> None:
    admin = Blueprint("admin", __name__, subdomain="admin")

    @admin.get("/dashboard")
    async def dashboard() -> str:
        return f"{request.blueprint} on {request.host}"

    @admin.get("/everywhere", subdomain="<anything>")
    async def everywhere(anything: str) -> str:
        return anything

    subdomain_app.register_blueprint(admin)
    subdomain_app.register_blueprint(admin, name="staff", subdomain="staff")
    assert await text(client_for(subdomain_app, "admin.example.com"), "/dashboard") == (
        200,
        "admin on admin.example.com",
    )
    assert await text(client_for(subdomain_app, "staff.example.com"), "/dashboard") == (
        200,
        "staff on staff.example.com",
    )
    assert (await client_for(subdomain_app, "example.com").get("/dashboard")).status_code == 404
    # A rule's own subdomain wins over its blueprint's.
    assert await text(client_for(subdomain_app, "x.example.com"), "/everywhere") == (200, "x")


# Neither: SERVER_NAME names the host of built URLs only


async def test_server_name_without_subdomain_matching(app: TrioQuart) -> None:
    app.config["SERVER_NAME"] = "example.com"

    @app.get("/page/")
    async def page() -> str:
        return f"{url_for('page')} {url_for('page', _external=True)}"

    # Any host is served (Flask 3.1), and external URLs and redirects name SERVER_NAME.
    other = client_for(app, "other.org")
    assert await text(other, "/page/") == (200, "/page/ http://example.com/page/")
    response = await other.get("/page")
    assert (response.status_code, response.headers["Location"]) == (
        308,
        "http://example.com/page/",
    )


async def test_no_server_name_builds_for_the_clients_host(app: TrioQuart) -> None:
    @app.get("/")
    async def index() -> str:
        return url_for("index", _external=True)

    assert await text(client_for(app, "Chat.Example.COM:8080"), "/") == (
        200,
        "http://chat.example.com:8080/",
    )
