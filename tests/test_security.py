"""Security settings in process: the websocket ``Origin`` check, ``TRUSTED_HOSTS``, and ASGI
middleware around the app (Hypercorn's ``ProxyFixMiddleware`` for proxy headers)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypercorn.middleware import ProxyFixMiddleware

from trioquart import TrioQuart, request, websocket
from trioquart.origins import normalise_origin, origin_allowed
from trioquart.testing import TestClient, WebsocketResponseError


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://example.com", ("https", "example.com")),
        ("HTTPS://Example.COM:443", ("https", "example.com")),
        ("http://example.com:80", ("http", "example.com")),
        ("http://example.com:443", ("http", "example.com:443")),
        ("http://localhost:5000", ("http", "localhost:5000")),
        ("http://[::1]:8000", ("http", "[::1]:8000")),
        ("null", None),
        ("", None),
        ("example.com", None),
        ("https://example.com/path", None),
        ("https://example.com?q", None),
        ("https://user@example.com", None),
        ("https://example.com:99999", None),
        ("https://example.com:port", None),
    ],
)
def test_origins_are_normalised_or_refused_as_garbage(
    origin: str, expected: tuple[str, str] | None
) -> None:
    assert normalise_origin(origin) == expected


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "expected"),
    [
        (None, "example.com", [], True),  # not a browser
        ("https://example.com", "example.com", [], True),  # the page's own host
        ("http://example.com", "example.com", [], True),  # TLS ended at a proxy
        ("https://EXAMPLE.com:443", "Example.com", [], True),
        ("http://localhost:5000", "localhost:5000", [], True),
        ("http://localhost:5001", "localhost:5000", [], False),  # another port, another site
        ("https://evil.example", "example.com", [], False),
        ("https://example.com.evil.example", "example.com", [], False),
        ("https://app.example.com", "api.example.com", ["https://app.example.com"], True),
        ("https://app.example.com:443", "api.example.com", ["HTTPS://App.Example.com"], True),
        ("http://app.example.com", "api.example.com", ["https://app.example.com"], False),
        ("https://evil.example", "example.com", ["*"], True),
        ("null", "example.com", [], False),
        ("null", "example.com", ["null"], True),
        ("garbage", "example.com", ["https://example.com"], False),
        ("https://example.com", "", [], False),  # Werkzeug reads an invalid Host as empty
    ],
)
def test_origin_allowed(origin: str | None, host: str, allowed: list[str], expected: bool) -> None:
    assert origin_allowed(origin, host, allowed) is expected


@pytest.fixture
def hooked(app: TrioQuart) -> list[str]:
    """A websocket echo route whose ``before_websocket`` hook records that it ran."""
    ran: list[str] = []

    @app.before_websocket
    async def note() -> None:
        ran.append("before_websocket")

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    return ran


async def refusal(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket(path, headers=headers):
            pass
    return caught.value.response


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://localhost"}, {"Origin": "https://localhost:443"}],
    ids=["no origin", "same host", "same host over TLS"],
)
async def test_handshakes_from_the_same_host_or_without_origin_are_served(
    client: TestClient, hooked: list[str], headers: dict[str, str]
) -> None:
    async with client.websocket("/ws", headers=headers) as ws:
        await ws.send("hi")
        assert await ws.receive() == "hi"
    assert hooked == ["before_websocket"]


async def test_a_page_of_another_site_is_refused_before_any_hook(
    client: TestClient, hooked: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="trioquart"):
        response = await refusal(client, "/ws", {"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert b"WEBSOCKET_ALLOWED_ORIGINS" in await response.get_data()
    assert hooked == []
    assert "'https://evil.example'" in caplog.text


async def test_listed_origins_and_the_wildcard_are_allowed(
    app: TrioQuart, client: TestClient, hooked: list[str]
) -> None:
    app.config["WEBSOCKET_ALLOWED_ORIGINS"] = ["https://app.example.com"]
    async with client.websocket("/ws", headers={"Origin": "https://app.example.com"}) as ws:
        await ws.send(b"bytes")
        assert await ws.receive() == b"bytes"
    response = await refusal(client, "/ws", {"Origin": "https://other.example.com"})
    assert response.status_code == 403

    app.config["WEBSOCKET_ALLOWED_ORIGINS"] = ["*"]
    async with client.websocket("/ws", headers={"Origin": "https://other.example.com"}) as ws:
        await ws.send("any")
        assert await ws.receive() == "any"


async def test_the_refusal_goes_through_the_403_error_handler(
    app: TrioQuart, client: TestClient, hooked: list[str]
) -> None:
    @app.errorhandler(403)
    async def forbidden(error: Exception) -> Any:
        return "not from there", 403, {"X-Refused": "origin"}

    response = await refusal(client, "/ws", {"Origin": "null"})
    assert response.status_code == 403
    assert response.headers["X-Refused"] == "origin"
    assert await response.get_data() == b"not from there"


@pytest.fixture
def host_echo(app: TrioQuart) -> TrioQuart:
    @app.route("/host")
    async def host() -> str:
        return request.host

    @app.websocket("/ws")
    async def ws_host() -> None:
        await websocket.send(websocket.host)

    return app


@pytest.mark.parametrize(
    ("trusted", "host", "status"),
    [
        (None, "anything.example", 200),
        (["example.com"], "example.com", 200),
        (["example.com"], "example.com:8000", 200),  # the port is not part of the check
        (["example.com"], "evil.example", 400),
        (["example.com"], "sub.example.com", 400),
        ([".example.com"], "sub.example.com", 200),
        ([".example.com"], "example.com", 200),
        ([".example.com"], "example.com.evil.example", 400),
    ],
)
async def test_trusted_hosts_answer_other_hosts_with_400(
    host_echo: TrioQuart, trusted: list[str] | None, host: str, status: int
) -> None:
    host_echo.config["TRUSTED_HOSTS"] = trusted
    response = await host_echo.test_client().get("/host", headers={"Host": host})
    assert response.status_code == status
    if status == 200:
        assert await response.get_data(as_text=True) == host


async def test_trusted_hosts_refuse_a_websocket_handshake_to_another_host(
    host_echo: TrioQuart,
) -> None:
    host_echo.config["TRUSTED_HOSTS"] = ["example.com"]
    client = TestClient(host_echo, host="example.com")
    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "example.com"
    evil = TestClient(host_echo, host="evil.example")
    response = await refusal(evil, "/ws", {})
    assert response.status_code == 400
    # With an Origin the untrusted Host is found by the origin check, with the same answer.
    response = await refusal(evil, "/ws", {"Origin": "http://evil.example"})
    assert response.status_code == 400


async def test_middleware_wraps_asgi_app_and_the_app_is_still_served(app: TrioQuart) -> None:
    seen: list[str] = []

    async def record_paths(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(scope["path"])
        await inner(scope, receive, send)

    inner = app.asgi_app
    app.asgi_app = record_paths

    @app.route("/")
    async def index() -> str:
        return "ok"

    response = await app.test_client().get("/")
    assert await response.get_data() == b"ok"
    assert seen == ["/"]


async def test_proxy_fix_gives_the_client_scheme_and_host_the_proxy_saw(
    app: TrioQuart, hooked: list[str]
) -> None:
    app.asgi_app = ProxyFixMiddleware(app.asgi_app, mode="legacy", trusted_hops=1)
    app.config["TRUSTED_HOSTS"] = ["example.com"]

    @app.route("/where")
    async def where() -> dict[str, Any]:
        return {"url": request.url, "remote_addr": request.remote_addr}

    client = TestClient(app, host="internal:8000")
    forwarded = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "example.com",
    }
    response = await client.get("/where", headers=forwarded)
    assert await response.get_json() == {
        "url": "https://example.com/where",
        "remote_addr": "203.0.113.7",
    }
    # The page's origin is checked against the host the browser used, not the proxy's.
    origin = {"Origin": "https://example.com"}
    async with client.websocket("/ws", headers={**forwarded, **origin}) as ws:
        await ws.send("via proxy")
        assert await ws.receive() == "via proxy"
    response = await refusal(client, "/ws", origin)
    assert response.status_code == 400  # "internal" is not a trusted host
