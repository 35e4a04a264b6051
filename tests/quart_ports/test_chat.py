"""The chat, tested the way Quart tests websockets: ``async with client.websocket(...)``,
JSON sent and received through the test connection.

A client knows it is subscribed once it has heard its own message back (everyone, the sender
included, gets every message), so the tests wait for that instead of for time to pass.
Each test runs under every framework of ``FRAMEWORKS``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
import trio

from trioquart import TrioQuart
from trioquart.testing import TestClient, TestWebsocketConnection

from .frameworks import Framework


@pytest.fixture
def chat(framework: Framework) -> ModuleType:
    return framework.load("chat")


@pytest.fixture
def client(chat: ModuleType) -> TestClient:
    app: TrioQuart = chat.app
    return app.test_client()


def subscribers(chat: ModuleType) -> int:
    connections: set[Any] = chat.broker.connections
    return len(connections)


async def say(connection: TestWebsocketConnection, name: str, text: str) -> None:
    """Send a message and wait until it comes back (the sender is then surely subscribed)."""
    await connection.send_json({"name": name, "text": text})
    assert await connection.receive_json() == {"name": name, "text": text}


async def test_the_page_opens_a_websocket_and_speaks_json(client: TestClient) -> None:
    with trio.fail_after(5):
        response = await client.get("/")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        page = await response.get_data(as_text=True)
    assert '<ul id="messages"></ul>' in page
    assert "new WebSocket(`${scheme}://${location.host}/ws`)" in page
    assert "JSON.parse(event.data)" in page


async def test_a_message_reaches_everyone_in_the_room(chat: ModuleType, client: TestClient) -> None:
    with trio.fail_after(5):
        async with client.websocket("/ws") as ada:
            await say(ada, "ada", "hello")
            async with client.websocket("/ws") as bob:
                await say(bob, "bob", "hi ada")
                assert await ada.receive_json() == {"name": "bob", "text": "hi ada"}
                assert subscribers(chat) == 2
                await ada.send_json({"name": "ada", "text": "welcome"})
                assert await bob.receive_json() == {"name": "ada", "text": "welcome"}
                assert await ada.receive_json() == {"name": "ada", "text": "welcome"}
            # Leaving the block ends bob's handler: the nursery and the subscription are gone.
            assert subscribers(chat) == 1
        assert subscribers(chat) == 0


async def test_the_broker_keeps_only_the_fields_of_a_message(client: TestClient) -> None:
    with trio.fail_after(5):
        async with client.websocket("/ws") as ada:
            await ada.send_json({"name": "ada", "text": 42, "admin": True})
            assert await ada.receive_json() == {"name": "ada", "text": "42"}


async def test_messages_arrive_in_the_order_they_were_sent(client: TestClient) -> None:
    with trio.fail_after(5):
        async with client.websocket("/ws") as ada:
            await say(ada, "ada", "ready")
            async with client.websocket("/ws") as bob:
                await say(bob, "bob", "ready")
                assert await ada.receive_json() == {"name": "bob", "text": "ready"}
                for number in range(20):
                    await ada.send_json({"name": "ada", "text": str(number)})
                    assert await ada.receive_json() == {"name": "ada", "text": str(number)}
                # bob reads only now: what waited for him (in the broker's buffer and the
                # test client's) comes in order. More than those buffers hold would block
                # the publisher: the broker's backpressure.
                for number in range(20):
                    assert await bob.receive_json() == {"name": "ada", "text": str(number)}


async def test_a_message_that_is_not_json_ends_the_connection(
    framework: Framework, chat: ModuleType, client: TestClient
) -> None:
    with trio.fail_after(5):
        async with client.websocket("/ws") as connection:
            await connection.send("not json")
            with pytest.raises(framework.disconnect_error) as caught:
                await connection.receive()
        assert subscribers(chat) == 0
    # The handler raised. trioquart closes with 1011 (internal error), as RFC 6455 means it;
    # Quart closes with 1000 (normal closure), as if the conversation had simply ended.
    expected = 1011 if framework.is_trioquart else 1000
    assert framework.close_code(caught.value) == expected
