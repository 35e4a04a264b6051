"""The trioquart ports of the Quart apps (``examples/quart_ports``) over a real Hypercorn server
on 127.0.0.1, with real clients: httpx for HTTP (keeping the blog's session cookie) and
trio-websocket for the chat. ``served`` checks that no trio task or open file (a socket, a
SQLite connection) outlives the clients.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import trio

from examples.quart_ports.blog import app as blog
from examples.quart_ports.chat import app as chat
from examples.quart_ports.video import app as video

from .conftest import open_websocket, served

VIDEO = Path(video.__file__).parent / "static" / "video.mp4"


async def test_the_blog_over_http(nursery: trio.Nursery, tmp_path: Path) -> None:
    app = blog.create_app({"DATABASE": str(tmp_path / "blog.sqlite")})
    async with app.app_context():
        blog.init_db()
    with trio.fail_after(20):
        async with served(nursery, app) as server, httpx.AsyncClient(base_url=server.url) as http:
            account = {"username": "ada", "password": "secret"}
            response = await http.post("/auth/register", data=account)
            assert response.status_code == 302
            assert response.headers["location"] == "/auth/login"
            response = await http.get("/auth/login")
            assert "Registered. Please log in." in response.text
            response = await http.post("/auth/login", data=account)
            assert response.status_code == 302
            assert "session" in http.cookies

            response = await http.post("/create", data={"title": "Over the wire", "body": "hi"})
            assert response.status_code == 302
            page = (await http.get("/")).text
            assert '<span class="user">ada</span>' in page
            assert "<h2>Over the wire</h2>" in page

            assert (await http.get("/2/update")).status_code == 404
            response = await http.post("/1/delete")  # the plain def view
            assert response.status_code == 302
            assert "No posts yet." in (await http.get("/")).text


async def test_the_chat_over_websockets(nursery: trio.Nursery) -> None:
    with trio.fail_after(20):
        async with served(nursery, chat.app) as server:
            async with httpx.AsyncClient(base_url=server.url) as http:
                page = await http.get("/")
            assert page.status_code == 200
            assert '<ul id="messages"></ul>' in page.text

            async with open_websocket(server, "/ws") as ada:
                hello = {"name": "ada", "text": "hello"}
                await ada.send_message(json.dumps(hello))
                assert json.loads(await ada.get_message()) == hello
                async with open_websocket(server, "/ws") as bob:
                    hi = {"name": "bob", "text": "hi ada"}
                    await bob.send_message(json.dumps(hi))
                    assert json.loads(await bob.get_message()) == hi
                    assert json.loads(await ada.get_message()) == hi
                    assert len(chat.broker.connections) == 2
    # served's leak check waited for every handler's task to end: with it, its nursery and
    # its subscription.
    assert not chat.broker.connections


async def test_the_video_over_http(nursery: trio.Nursery) -> None:
    data = VIDEO.read_bytes()
    with trio.fail_after(20):
        async with (
            served(nursery, video.app) as server,
            httpx.AsyncClient(base_url=server.url) as http,
        ):
            page = await http.get("/")
            assert '<source src="/video.mp4" type="video/mp4">' in page.text

            whole = await http.get("/video.mp4")
            assert whole.status_code == 200
            assert whole.headers["content-type"] == "video/mp4"
            assert whole.content == data

            part = await http.get("/video.mp4", headers={"Range": "bytes=100-1099"})
            assert part.status_code == 206
            assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
            assert part.content == data[100:1100]

            cached = await http.get("/video.mp4", headers={"If-None-Match": whole.headers["etag"]})
            assert cached.status_code == 304
            assert cached.content == b""

            static = await http.get("/static/video.mp4", headers={"Range": "bytes=-10"})
            assert static.status_code == 206
            assert static.content == data[-10:]
