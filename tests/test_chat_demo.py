"""The chat demo (examples/chat) in-process: presence, fan-out, and dropping slow members."""

from __future__ import annotations

import trio
import trio.testing

from examples.chat.app import TOO_SLOW, app, rooms
from examples.chat.rooms import Rooms
from trioquart.testing import WebsocketDisconnectError


async def test_page_is_served() -> None:
    response = await app.test_client().get("/")
    assert response.status_code == 200
    assert "new WebSocket" in await response.get_data(as_text=True)


async def test_members_see_presence_and_messages() -> None:
    client = app.test_client()
    async with client.websocket("/ws/room1?name=ada") as ada:
        assert await ada.receive_json() == {"type": "join", "name": "ada", "members": ["ada"]}
        async with client.websocket("/ws/room1?name=bob") as bob:
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
    client = app.test_client()
    async with client.websocket("/ws/a?name=x") as x, client.websocket("/ws/b?name=y") as y:
        await x.receive_json()
        await y.receive_json()
        await x.send("only for a")
        assert (await x.receive_json())["text"] == "only for a"
        await y.send("only for b")
        assert (await y.receive_json())["text"] == "only for b"


async def test_a_member_that_lags_is_dropped_with_1008() -> None:
    client = app.test_client()
    async with client.websocket("/ws/busy?name=slow") as slow:
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
