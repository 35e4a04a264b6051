"""Serving the app from your own trio program, next to other tasks."""

from __future__ import annotations

import trio

from trioquart import TrioQuart
from trioquart.serving import hypercorn_config, serve

app = TrioQuart(__name__)


@app.get("/")
async def index() -> str:
    return "served from my own trio.run"


async def main(port: int = 8000) -> None:
    config = hypercorn_config("127.0.0.1", port)
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(serve, app, config)  # returns once the socket listens
        print("listening on", binds[0])
        # ... start other tasks here; Ctrl-C or SIGTERM shuts everything down gracefully


if __name__ == "__main__":
    trio.run(main)
