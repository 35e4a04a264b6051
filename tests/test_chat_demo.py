"""The chat demo (examples/chat) in-process, on its default ``memory://`` broadcast: login,
presence, fan-out, the activity feed, and (through a real server, since the test client never
makes a handler wait in ``send``) dropping a slow member with 1008.

Across processes, on a ``redis://`` broadcast: ``tests/e2e/test_chat_workers_e2e.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio
import trio.testing
from trio_websocket import WebSocketConnection

from examples.chat import rooms
from examples.chat.app import MAX_NAME, TOO_SLOW, app, broadcast
from trioquart.testing import TestApp, TestClient, WebsocketResponseError

from .e2e.conftest import (
    SERVERS,
    RunningServer,
    close_code,
    close_reason,
    open_websocket,
    served,
)
from .e2e.test_broadcast_e2e import read_until_closed


@pytest.fixture
async def test_app() -> AsyncIterator[TestApp]:
    """The demo app serving (its broadcast open) for the test."""
    async with app.test_app() as running:
        yield running


async def logged_in(test_app: TestApp, name: str) -> TestClient:
    """A client (a browser of its own) logged in as ``name`` through the login form."""
    client = test_app.test_client()
    response = await client.post("/login", form={"name": name})
    assert response.status_code == 302
    return client


async def test_the_login_page_then_the_chat_page(test_app: TestApp) -> None:
    client = test_app.test_client()
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
async def test_a_bad_name_is_refused_with_a_message(test_app: TestApp, name: str) -> None:
    client = test_app.test_client()
    await client.post("/login", form={"name": name})
    page = await (await client.get("/")).get_data(as_text=True)
    assert 'action="/login"' in page
    assert f"A name needs 1 to {MAX_NAME} characters." in page


async def test_the_websocket_needs_a_login(test_app: TestApp) -> None:
    with pytest.raises(WebsocketResponseError) as caught:
        async with test_app.test_client().websocket("/ws/lobby"):
            pass
    assert caught.value.response.status_code == 401


async def test_members_see_presence_and_messages(test_app: TestApp) -> None:
    client = await logged_in(test_app, "ada")
    bob_client = await logged_in(test_app, "bob")
    with trio.fail_after(5):
        async with client.websocket("/ws/room1") as ada:
            assert await ada.receive_json() == {"type": "join", "name": "ada", "members": ["ada"]}
            async with bob_client.websocket("/ws/room1") as bob:
                joined = {"type": "join", "name": "bob", "members": ["ada", "bob"]}
                assert await ada.receive_json() == joined
                assert await bob.receive_json() == joined
                listed = await client.get("/rooms")
                assert await listed.get_json() == {"room1": ["ada", "bob"]}
                await bob.send(b"hello ada")
                said = {"type": "message", "name": "bob", "text": "hello ada"}
                assert await ada.receive_json() == said
                assert await bob.receive_json() == said
            # Leaving the block disconnects bob: his handler is cancelled and announces it.
            left = {"type": "leave", "name": "bob", "members": ["ada"]}
            assert await ada.receive_json() == left
        await trio.testing.wait_all_tasks_blocked()
        assert await broadcast.members(rooms.channel("room1")) == []
        assert await (await client.get("/rooms")).get_json() == {}


async def test_one_member_in_two_tabs_stays_until_both_leave(test_app: TestApp) -> None:
    client = await logged_in(test_app, "ada")
    with trio.fail_after(5):
        async with client.websocket("/ws/tabs") as first:
            await first.receive_json()
            async with client.websocket("/ws/tabs") as second:
                assert await second.receive_json() == {
                    "type": "join",
                    "name": "ada",
                    "members": ["ada"],
                }
                await first.receive_json()
            assert await first.receive_json() == {
                "type": "leave",
                "name": "ada",
                "members": ["ada"],
            }


async def test_long_messages_are_cut(test_app: TestApp) -> None:
    client = await logged_in(test_app, "ada")
    with trio.fail_after(5):
        async with client.websocket("/ws/long") as ada:
            await ada.receive_json()
            await ada.send("x" * 1000)
            assert (await ada.receive_json())["text"] == "x" * 500


async def test_rooms_are_separate(test_app: TestApp) -> None:
    client = await logged_in(test_app, "x")
    with trio.fail_after(5):
        async with client.websocket("/ws/a") as x, client.websocket("/ws/b") as y:
            await x.receive_json()
            await y.receive_json()
            await x.send("only for a")
            assert (await x.receive_json())["text"] == "only for a"
            await y.send("only for b")
            assert (await y.receive_json())["text"] == "only for b"


async def test_the_activity_feed_follows_the_rooms(test_app: TestApp) -> None:
    watcher = await logged_in(test_app, "watcher")
    with trio.fail_after(5):
        async with watcher.request("/activity") as feed:
            await feed.send_complete()
            status, headers = await feed.wait_for_headers()
            assert status == 200
            assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
            first = await feed.receive_chunk()
            assert first.startswith(b"event: rooms\n")
            ada = await logged_in(test_app, "ada")
            async with ada.websocket("/ws/feedroom") as connection:
                await connection.receive_json()
                joined = await feed.receive_chunk()
                assert b'"feedroom": ["ada"]' in joined
            left = await feed.receive_chunk()
            assert b"feedroom" not in left


async def test_the_activity_feed_needs_a_login(test_app: TestApp) -> None:
    assert (await test_app.test_client().get("/activity")).status_code == 401


async def log_in_over_http(server: RunningServer, name: str) -> list[tuple[bytes, bytes]]:
    """Log in through the login form of a real server; the ``Cookie`` header that proves it."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/login", data={"name": name})
        assert response.status_code == 302
        return [(b"Cookie", f"session={http.cookies['session']}".encode())]


@pytest.mark.parametrize("server", SERVERS)
async def test_a_member_that_lags_is_dropped_with_1008(nursery: trio.Nursery, server: str) -> None:
    """A client that stops reading: its handler blocks in ``send`` once the TCP buffers are
    full, its subscription falls behind and is dropped; the room goes on without it."""
    published = 0
    with trio.fail_after(30):
        async with served(nursery, app, server=server) as running:
            bob_login = await log_in_over_http(running, "bob")
            slow_login = await log_in_over_http(running, "slow")
            async with (
                open_websocket(running, "/ws/busy", headers=bob_login) as bob,
                open_websocket(running, "/ws/busy", headers=slow_login) as slow,
            ):
                await read_until_member(bob, "slow")
                while broadcast.statistics().dropped == 0:
                    published += 1
                    message = json.dumps({"type": "message", "name": "bot", "text": "x" * 65536})
                    await broadcast.publish(rooms.channel("busy"), message)
                    assert await bob.get_message() == message
                closed = (await read_until_closed(slow)).closed
                assert (close_code(closed), close_reason(closed)) == (TOO_SLOW, "too slow")
                left = {"type": "leave", "name": "slow", "members": ["bob"]}
                assert json.loads(await bob.get_message()) == left
    assert published > 64  # the broadcast's buffer


async def read_until_member(connection: WebSocketConnection, name: str) -> None:
    """Read presence messages until ``name`` has joined."""
    while name not in json.loads(await connection.get_message())["members"]:
        pass


def test_a_redis_broadcast_needs_a_shared_secret_key() -> None:
    """Several processes sign sessions with one key, or logins fail across them: the demo
    refuses a ``redis://`` broadcast without ``TRIOQUART_SECRET_KEY``."""
    result = subprocess.run(
        [sys.executable, "-c", "import examples.chat"],
        cwd=Path(__file__).resolve().parents[1],
        env={"TRIOQUART_BROADCAST_URL": "redis://127.0.0.1:1/0", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "set TRIOQUART_SECRET_KEY" in result.stderr
