"""The app under soak: a websocket echo, a websocket sequence, HTTP routes and the figures.

* ``/echo`` (websocket): a receiver and a sender task in the connection's nursery, joined by a
  bounded channel, so that every message crosses two tasks of the connection.
* ``/seq?count=N&gap=S`` (websocket): sends ``"0"``, ``"1"``, ... ``"N-1"``, waiting ``S``
  seconds between them, then closes with 1000.
* ``GET /hello`` (text) and ``POST /sum`` (JSON): the HTTP load.
* ``GET /census``: the server's own tasks, files and memory (:mod:`soak.census`), and
  ``GET /census/tasks``: every task and where it waits (to show what a leak is made of).
"""

from __future__ import annotations

import trio

from soak.census import count_self, describe_tasks
from trioquart import TrioQuart, request, websocket

HELLO = "hello, soak"
ECHO_QUEUE = 8

app = TrioQuart(__name__)


async def _receive_into(channel: trio.MemorySendChannel[str | bytes]) -> None:
    async with channel:
        while True:
            await channel.send(await websocket.receive())


async def _send_from(channel: trio.MemoryReceiveChannel[str | bytes]) -> None:
    async with channel:
        async for message in channel:
            await websocket.send(message)


@app.websocket("/echo")
async def echo() -> None:
    """Echo every message, through a receiver and a sender task."""
    sender, receiver = trio.open_memory_channel[str | bytes](ECHO_QUEUE)
    websocket.nursery.start_soon(_receive_into, sender)
    websocket.nursery.start_soon(_send_from, receiver)


@app.websocket("/seq")
async def sequence() -> None:
    """Send ``count`` numbered messages, ``gap`` seconds apart, then close normally."""
    count = websocket.args.get("count", 10, type=int)
    gap = websocket.args.get("gap", 0.0, type=float)
    for number in range(count):
        await websocket.send(str(number))
        await trio.sleep(gap)
    await websocket.close(1000)


@app.get("/hello")
async def hello() -> str:
    """Plain text."""
    return HELLO


@app.post("/sum")
async def total() -> dict[str, object]:
    """The sum of the posted ``values``, with the ``id`` it came with."""
    body = await request.get_json()
    return {"id": body["id"], "sum": sum(body["values"])}


@app.get("/census")
async def census() -> dict[str, float]:
    """The server's tasks, open files and RSS, without this request's own connection."""
    return count_self().as_dict()


@app.get("/census/tasks")
async def task_list() -> dict[str, list[str]]:
    """Every trio task of the server and where it waits (to explain a leak)."""
    return {"tasks": describe_tasks()}
