"""The examples of ``docs/broadcast.md`` (``docs/examples/broadcast_*.py``), run as the page
describes them: in process through the test client, and the slow client through a real
Hypercorn server (the test client never makes a handler wait in ``send``)."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from docs.examples import broadcast_announce, broadcast_chat
from trioquart.broadcast import Broadcast, Message
from trioquart.broadcast.memory import MemoryBackend
from trioquart.testing import TestClient

from .e2e.conftest import close_code, close_reason, open_websocket, served
from .e2e.test_broadcast_e2e import read_until_closed


async def test_docs_broadcast_chat_room_and_members() -> None:
    with trio.fail_after(5):
        async with broadcast_chat.app.test_app() as test_app:
            client = test_app.test_client()
            async with (
                client.websocket("/rooms/lobby?name=alice") as alice,
                client.websocket("/rooms/lobby?name=bob") as bob,
                client.websocket("/rooms/kitchen?name=carol") as carol,
            ):
                await alice.send(b"bytes are not said")
                await alice.send("hello")
                for connection in (alice, bob):
                    assert await connection.receive() == "alice: hello"
                await carol.send("anyone?")
                assert await carol.receive() == "carol: anyone?"
                assert await members(client, "lobby") == ["alice", "bob"]
                assert await members(client, "kitchen") == ["carol"]
                await bob.close()
                await trio.testing.wait_all_tasks_blocked()
                assert await members(client, "lobby") == ["alice"]
            await trio.testing.wait_all_tasks_blocked()
            assert await members(client, "lobby") == []


async def members(client: TestClient, room: str) -> list[str]:
    response = await client.get(f"/rooms/{room}/members")
    body = await response.get_json()
    assert isinstance(body, dict)
    names: list[str] = body["members"]
    return names


async def test_docs_broadcast_chat_closes_a_slow_client(nursery: trio.Nursery) -> None:
    published = 0
    with trio.fail_after(30):
        async with (
            served(nursery, broadcast_chat.app) as server,
            open_websocket(server, "/rooms/lobby?name=bob") as bob,
            open_websocket(server, "/rooms/lobby?name=slow") as slow,
        ):
            broadcast = broadcast_chat.broadcast
            while broadcast.statistics().dropped == 0:
                published += 1
                message = str(published) * 256 * 1024
                await broadcast.publish("room:lobby", message)
                assert await bob.get_message() == message
            closed = (await read_until_closed(slow)).closed
            assert (close_code(closed), close_reason(closed)) == (1008, "too slow")
    assert published > 64  # the broadcast's buffer


async def test_docs_broadcast_announce_reaches_every_listener() -> None:
    with trio.fail_after(5):
        async with broadcast_announce.app.test_app() as test_app:
            client = test_app.test_client()
            async with (
                client.websocket("/announcements") as first,
                client.websocket("/announcements") as second,
            ):
                response = await client.post("/announce", data="doors open at 8")
                assert (response.status_code, await response.get_data()) == (202, b"announced")
                for connection in (first, second):
                    assert await connection.receive() == "doors open at 8"


class Unreachable(MemoryBackend):
    """The memory backend with a link that never comes up for publishing."""

    async def publish(self, channel: str, message: Message) -> None:
        await trio.sleep_forever()


async def test_docs_broadcast_announce_unavailable_is_503(
    monkeypatch: pytest.MonkeyPatch, autojump_clock: trio.testing.MockClock
) -> None:
    monkeypatch.setattr(
        broadcast_announce, "broadcast", Broadcast(publish_timeout=2.0, backend=Unreachable())
    )
    async with broadcast_announce.app.test_app() as test_app:
        started = trio.current_time()
        response = await test_app.test_client().post("/announce", data="doors open at 8")
        assert trio.current_time() - started == pytest.approx(2.0)
        assert response.status_code == 503
        assert await response.get_data() == b"announcements are unavailable, try again later"
