"""The chat demo (examples/chat) in-process: login, presence, fan-out, and dropping slow
members."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from examples.chat.app import MAX_NAME, TOO_SLOW, app, rooms
from examples.chat.rooms import Rooms
from trioquart.testing import TestClient, WebsocketDisconnectError, WebsocketResponseError


async def logged_in(name: str) -> TestClient:
    """A client (a browser of its own) logged in as ``name`` through the login form."""
    client = app.test_client()
    response = await client.post("/login", form={"name": name})
    assert response.status_code == 302
    return client


async def test_the_login_page_then_the_chat_page() -> None:
    client = app.test_client()
    login_page = await (await client.get("/")).get_data(as_text=True)
    assert 'action="/login"' in login_page
    assert "/static/chat.css" in login_page
    await client.post("/login", form={"name": "ada"})
    chat_page = await (await client.get("/")).get_data(as_text=True)
    assert '<script src="/static/chat.js"></script>' in chat_page
    assert '<span id="me">ada</span>' in chat_page
    script = await client.get("/static/chat.js")
    assert "new WebSocket" in await script.get_data(as_text=True)
    await client.post("/logout")
    assert 'action="/login"' in await (await client.get("/")).get_data(as_text=True)


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME + 1)])
async def test_a_bad_name_is_refused_with_a_message(name: str) -> None:
    client = app.test_client()
    await client.post("/login", form={"name": name})
    page = await (await client.get("/")).get_data(as_text=True)
    assert 'action="/login"' in page
    assert f"A name needs 1 to {MAX_NAME} characters." in page


async def test_the_websocket_needs_a_login() -> None:
    with pytest.raises(WebsocketResponseError) as caught:
        async with app.test_client().websocket("/ws/lobby"):
            pass
    assert caught.value.response.status_code == 401


async def test_members_see_presence_and_messages() -> None:
    client = await logged_in("ada")
    bob_client = await logged_in("bob")
    async with client.websocket("/ws/room1") as ada:
        assert await ada.receive_json() == {"type": "join", "name": "ada", "members": ["ada"]}
        async with bob_client.websocket("/ws/room1") as bob:
            joined = {"type": "join", "name": "bob", "members": ["ada", "bob"]}
            assert await ada.receive_json() == joined
            assert await bob.receive_json() == joined
            assert (await client.get("/rooms")).status_code == 200
            await bob.send("hello ada")
            said = {"type": "message", "name": "bob", "text": "hello ada"}
            assert await ada.receive_json() == said
            assert await bob.receive_json() == said
        # Leaving the block disconnects bob: his handler is cancelled and announces it.
        assert await ada.receive_json() == {"type": "leave", "name": "bob", "members": ["ada"]}
    assert rooms.names("room1") == []


async def test_rooms_are_separate() -> None:
    client = await logged_in("x")
    async with client.websocket("/ws/a") as x, client.websocket("/ws/b") as y:
        await x.receive_json()
        await y.receive_json()
        await x.send("only for a")
        assert (await x.receive_json())["text"] == "only for a"
        await y.send("only for b")
        assert (await y.receive_json())["text"] == "only for b"


async def test_a_member_that_lags_is_dropped_with_1008() -> None:
    client = await logged_in("slow")
    async with client.websocket("/ws/busy") as slow:
        await slow.receive_json()
        await trio.testing.wait_all_tasks_blocked()
        # A burst larger than the buffer, published without a checkpoint in between. The
        # forwarder waiting in receive() takes one message directly; the buffer holds the rest.
        for number in range(rooms.buffer + 2):
            rooms.publish("busy", {"type": "message", "name": "bot", "text": str(number)})
        received = []
        code = None
        while code is None:
            try:
                received.append(await slow.receive_json())
            except WebsocketDisconnectError as error:
                code = error.code
    assert code == TOO_SLOW
    assert len(received) == rooms.buffer + 1
    assert rooms.names("busy") == []


def test_publish_drops_only_the_full_subscriber() -> None:
    hub = Rooms(buffer=2)
    fast = hub.join("r", "fast")
    slow = hub.join("r", "slow")
    fast.inbox.receive_nowait()
    fast.inbox.receive_nowait()  # fast has drained both join messages; slow holds one
    hub.publish("r", {"type": "message", "name": "x", "text": "1"})  # slow's buffer is now full
    assert hub.names("r") == ["fast", "slow"]
    assert fast.inbox.receive_nowait()["text"] == "1"
    hub.publish("r", {"type": "message", "name": "x", "text": "2"})
    assert slow.dropped
    assert hub.names("r") == ["fast"]
    rest = [fast.inbox.receive_nowait(), fast.inbox.receive_nowait()]
    # Which comes first depends on the order the room's set yields its members.
    assert {"type": "message", "name": "x", "text": "2"} in rest
    assert {"type": "leave", "name": "slow", "members": ["fast"]} in rest


async def test_the_activity_feed_follows_the_rooms() -> None:
    watcher = await logged_in("watcher")
    async with watcher.request("/activity") as feed:
        await feed.send_complete()
        status, headers = await feed.wait_for_headers()
        assert status == 200
        assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
        first = await feed.receive_chunk()
        assert first.startswith(b"event: rooms\n")
        ada = await logged_in("ada")
        async with ada.websocket("/ws/feedroom") as connection:
            await connection.receive_json()
            joined = await feed.receive_chunk()
            assert b'"feedroom": ["ada"]' in joined
        left = await feed.receive_chunk()
        assert b"feedroom" not in left


async def test_the_activity_feed_needs_a_login() -> None:
    assert (await app.test_client().get("/activity")).status_code == 401
