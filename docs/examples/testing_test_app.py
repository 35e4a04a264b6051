"""Tests of ``testing_app.py`` (the content of ``tests/test_app.py``), using the fixtures."""

from __future__ import annotations

import pytest
import trio

from trioquart.testing import TestApp, TestClient, WebsocketResponseError


async def test_index(client: TestClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "home"


async def test_echo(client: TestClient) -> None:
    async with client.websocket("/ws", query_string={"token": "ok"}) as ws:
        await ws.send("ping")
        assert await ws.receive() == "ping"


async def test_echo_needs_a_token(client: TestClient) -> None:
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/ws"):
            pass
    assert info.value.response.status_code == 403


async def test_report_is_built_in_the_background(
    served: TestApp, autojump_clock: trio.testing.MockClock
) -> None:
    client = served.test_client()
    response = await client.post("/reports/weekly")
    assert response.status_code == 202
    assert await (await client.get("/reports")).get_json() == []
    await trio.sleep(2)  # virtual time: the autojump clock skips ahead
    assert await (await client.get("/reports")).get_json() == ["weekly"]
