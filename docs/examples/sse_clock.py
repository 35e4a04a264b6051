"""Server-sent events: a clock that pushes the time once a second."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import AsyncIterator

import trio

from trioquart import Response, ServerSentEvent, TrioQuart, event_stream

app = TrioQuart(__name__)


@app.get("/clock")
async def clock() -> Response:
    async def ticks() -> AsyncIterator[ServerSentEvent]:
        for number in itertools.count(1):
            now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            yield ServerSentEvent(now, event="tick", id=number)
            await trio.sleep(1)

    return event_stream(ticks())
