"""A chat room written the way Quart's chat tutorial writes one, in its trio flavour.

A ``Broker`` passes every message to every connection: each subscriber gets a trio memory
channel (where the asyncio tutorial gives it an ``asyncio.Queue``), and leaves it through an
async context manager, so a departure is cleaned up at once rather than when an async generator
is collected. The websocket handler runs its sender and its receiver side by side in a trio
nursery (where the asyncio tutorial starts a task and cancels it by hand): when the client
leaves, Quart cancels the handler and the nursery takes both down. Messages are JSON, through
``websocket.receive_json()`` and ``websocket.send_json()``.

``quart_app.py`` (Quart on trio) and ``app.py`` (trioquart) differ only in their imports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import trio

from trioquart import TrioQuart as QuartTrio
from trioquart import render_template, websocket

Message = dict[str, Any]


class Broker:
    """Publish-subscribe between the websockets of this process."""

    def __init__(self, buffer_size: int = 32) -> None:
        self.buffer_size = buffer_size
        self.connections: set[trio.MemorySendChannel[Message]] = set()

    async def publish(self, message: Message) -> None:
        """Give ``message`` to every subscriber; wait while one's buffer is full."""
        # A copy: subscribers may come and go while this waits on a slow one.
        for connection in list(self.connections):
            # It may have left while the message was on its way.
            with suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                await connection.send(message)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[trio.MemoryReceiveChannel[Message]]:
        """A channel of every message published while the block runs."""
        send_channel, receive_channel = trio.open_memory_channel[Message](self.buffer_size)
        self.connections.add(send_channel)
        try:
            yield receive_channel
        finally:
            self.connections.discard(send_channel)
            send_channel.close()
            receive_channel.close()


app = QuartTrio(__name__)
broker = Broker()


@app.get("/")
async def index() -> str:
    """The chat page."""
    return await render_template("index.html")


async def _receive() -> None:
    """Publish what this client says, as ``{"name": ..., "text": ...}``."""
    while True:
        data = await websocket.receive_json()
        await broker.publish({"name": str(data["name"]), "text": str(data["text"])})


@app.websocket("/ws")
async def ws() -> None:
    """Everyone's messages to this client, this client's to everyone (itself included)."""
    async with broker.subscribe() as messages, trio.open_nursery() as nursery:
        nursery.start_soon(_receive)
        async for message in messages:
            await websocket.send_json(message)
