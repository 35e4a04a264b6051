"""An end-to-end test: the app served by Hypercorn's trio worker on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import httpx
import pytest
import trio
from trio_websocket import open_websocket_url

from trioquart.serving import hypercorn_config, serve

from .testing_app import create_app


@pytest.fixture
async def base_url(nursery: trio.Nursery) -> AsyncIterator[str]:
    stop = trio.Event()
    config = hypercorn_config("127.0.0.1", 0)  # port 0: the system picks a free one
    start_server = partial(serve, shutdown_trigger=stop, handle_signals=False)
    binds = await nursery.start(start_server, create_app(), config)
    yield binds[0]  # "http://127.0.0.1:<port>", once the server listens
    stop.set()


async def test_over_the_network(base_url: str) -> None:
    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=base_url) as http:
            response = await http.get("/")
        assert response.text == "home"
        ws_url = base_url.replace("http://", "ws://") + "/ws?token=ok"
        async with open_websocket_url(ws_url) as connection:
            await connection.send_message("over the wire")
            assert await connection.get_message() == "over the wire"
