"""Many connections at once: 200 clients, 50 messages each, a third of them leaving abruptly."""

from __future__ import annotations

import trio
import trio.testing
from trio_websocket import ConnectionClosed, wrap_client_stream

from trioquart import TrioQuart, websocket

from .conftest import RunningServer

CLIENTS = 200
MESSAGES = 50


async def test_many_clients_some_leaving_abruptly(app: TrioQuart, server: RunningServer) -> None:
    running_handlers = 0
    all_handlers_done = trio.Event()
    handlers_started = 0

    @app.websocket("/echo")
    async def echo() -> None:
        nonlocal running_handlers, handlers_started
        running_handlers += 1
        handlers_started += 1
        try:
            while True:
                await websocket.send(await websocket.receive())
        finally:
            running_handlers -= 1
            if running_handlers == 0 and handlers_started == CLIENTS:
                all_handlers_done.set()

    received: dict[int, list[str]] = {}

    async def client(number: int) -> None:
        abrupt = number % 3 == 0
        stream = await trio.open_tcp_stream(server.host, server.port)
        try:
            async with trio.open_nursery() as nursery:
                connection = await wrap_client_stream(
                    nursery, stream, f"{server.host}:{server.port}", "/echo"
                )
                replies = received.setdefault(number, [])
                for index in range(MESSAGES):
                    if abrupt and index == MESSAGES // 2:
                        await stream.aclose()  # vanish mid-conversation, no close frame
                        nursery.cancel_scope.cancel()
                        return
                    await connection.send_message(f"{number}:{index}")
                    replies.append(str(await connection.get_message()))
                await connection.aclose()
                nursery.cancel_scope.cancel()
        except ConnectionClosed:
            if not abrupt:
                raise
        finally:
            await stream.aclose()

    with trio.fail_after(60):
        async with trio.open_nursery() as clients:
            for number in range(CLIENTS):
                clients.start_soon(client, number)
        await all_handlers_done.wait()

    orderly = [number for number in range(CLIENTS) if number % 3 != 0]
    for number in orderly:
        assert received[number] == [f"{number}:{index}" for index in range(MESSAGES)]
    assert running_handlers == 0
    assert len(app.connected_websockets) == 0
    await trio.testing.wait_all_tasks_blocked()
    assert trioquart_tasks() == []


# Serving-wide tasks live as long as the server; per-connection tasks must all be gone.
SERVER_WIDE = (
    "serving.py",
    "lifespan.py",
    "disconnect_watch.py",
    "background.py",
    "server/serve.py",  # the built-in server's head-timeout task
)


def trioquart_tasks() -> list[str]:
    """Names of running per-connection tasks whose coroutine is trioquart code."""
    found = []
    pending = [trio.lowlevel.current_root_task()]
    while pending:
        task = pending.pop()
        assert task is not None
        code = getattr(task.coro, "cr_code", None)
        filename = code.co_filename if code is not None else ""
        if "/trioquart/" in filename and not filename.endswith(SERVER_WIDE):
            found.append(task.name)
        for nursery in task.child_nurseries:
            pending.extend(nursery.child_tasks)
    return found
