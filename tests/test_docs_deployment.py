"""The example of ``docs/deployment.md`` (``docs/examples/deployment_app.py``): the key check at
startup, the health check, and a chat whose login is a signed cookie, reached through the
proxy's headers."""

from __future__ import annotations

import pytest
import trio

from docs.examples import deployment_app
from trioquart.testing import LifespanError, WebsocketResponseError

#: What the proxy in front of the app adds to each request: it terminated TLS.
PROXIED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "chat.example.com",
}


async def test_docs_deployment_refuses_to_start_without_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(deployment_app.app.config, "SECRET_KEY", None)  # none in the environment
    message = (
        r"^RuntimeError: Set TRIOQUART_SECRET_KEY, the same in every worker and on every host$"
    )
    with trio.fail_after(5), pytest.raises(LifespanError, match=message):
        async with deployment_app.app.test_app():
            pass


async def test_docs_deployment_health_check_without_the_broadcast() -> None:
    response = await deployment_app.app.test_client().get("/healthz", headers=PROXIED)
    assert response.status_code == 503
    assert await response.get_data(as_text=True) == "broadcast unavailable"


async def test_docs_deployment_chat_through_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(deployment_app.app.config, "SECRET_KEY", "the same in every worker")
    with trio.fail_after(5):
        async with deployment_app.app.test_app() as test_app:
            client = test_app.test_client()
            response = await client.get("/healthz", headers=PROXIED)
            assert (response.status_code, await response.get_data(as_text=True)) == (200, "ok")
            with pytest.raises(WebsocketResponseError) as info:
                async with client.websocket("/rooms/lobby", headers=PROXIED, scheme="wss"):
                    pass
            assert info.value.response.status_code == 401
            # The proxy speaks HTTPS to the browser, so the Secure cookie comes back.
            await client.post("/login", form={"name": "alice"}, headers=PROXIED, scheme="https")
            async with (
                client.websocket("/rooms/lobby", headers=PROXIED, scheme="wss") as alice,
                client.websocket("/rooms/lobby", headers=PROXIED, scheme="wss") as again,
            ):
                await alice.send(b"bytes are not said")
                await alice.send("hello")
                for connection in (alice, again):
                    assert await connection.receive() == "alice: hello"
