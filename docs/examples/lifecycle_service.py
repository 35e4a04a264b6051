"""A ``while_serving`` generator that keeps a service's nursery open across its ``yield``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import trio

from trioquart import TrioQuart

app = TrioQuart(__name__)
log = logging.getLogger(__name__)
events: list[str] = []


class Outbox:
    """Mail that handlers queue, delivered in order by one task that lives while the app serves."""

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self._queue: trio.MemorySendChannel[str] | None = None

    def queue(self, message: str) -> bool:
        """Queue ``message`` for delivery; ``False`` if the outbox is not running or is full."""
        if self._queue is None:
            return False
        try:
            self._queue.send_nowait(message)
        except trio.WouldBlock:
            return False
        return True

    def close(self) -> None:
        """Take no more mail: :meth:`run` returns once what is queued is delivered."""
        if self._queue is not None:
            self._queue.close()
            self._queue = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Deliver queued mail until the outbox is closed and empty."""
        self._queue, incoming = trio.open_memory_channel[str](100)
        task_status.started()
        async with incoming:
            async for message in incoming:
                try:
                    await self.deliver(message)
                except OSError:
                    # An error that left this task would cancel the lifespan itself: keep it here.
                    log.exception("Could not deliver %r", message)

    async def deliver(self, message: str) -> None:
        await trio.sleep(0.1)  # pretend to talk to a mail server
        self.delivered.append(message)


outbox = Outbox()


@app.while_serving
async def run_outbox() -> AsyncIterator[None]:
    async with trio.open_nursery() as nursery:
        await nursery.start(outbox.run)
        events.append("outbox running")
        yield  # the app serves while the generator waits here, its nursery open
        # Shutdown: stop what was started. Deliver what is queued for up to 5 seconds, then
        # cancel the task (well within the 10 seconds all while_serving teardowns get).
        outbox.close()
        nursery.cancel_scope.deadline = trio.current_time() + 5
    events.append(f"outbox stopped, {len(outbox.delivered)} delivered")


@app.post("/invite/<name>")
async def invite(name: str) -> tuple[str, int]:
    if not outbox.queue(f"invitation for {name}"):
        return "the outbox is not taking mail, try again later", 503
    return "invitation queued", 202
