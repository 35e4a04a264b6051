"""A raw ASGI app for the tests of several workers: it tells which process served a request
and writes its lifespan events to stderr, prefixed with its process id."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from trioquart.server import serve
from trioquart.server.types import ASGIApp, Receive, Scope, Send


def say(event: str) -> None:
    """Write ``[pid] event`` to stderr, where the tests read the workers' output."""
    print(f"[{os.getpid()}] {event}", file=sys.stderr, flush=True)


def make_app(*, hang_at_shutdown: bool = False) -> ASGIApp:
    """The app; with ``hang_at_shutdown``, its lifespan shutdown blocks the whole process."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                say("lifespan startup")
                await send({"type": "lifespan.startup.complete"})
            if hang_at_shutdown:
                say("lifespan shutdown hangs")
                # Blocking, not awaiting: no cancellation can end it, only a signal.
                time.sleep(60)  # noqa: ASYNC251
            say("lifespan shutdown")
            await send({"type": "lifespan.shutdown.complete"})
        elif scope["type"] == "http":
            while (await receive()).get("more_body"):
                pass
            body = {"pid": os.getpid(), "scheme": scope["scheme"], "root_path": scope["root_path"]}
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": json.dumps(body).encode()})
        else:
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": str(os.getpid())})
            while (await receive())["type"] != "websocket.disconnect":
                pass

    return app


app = make_app()


async def serve_loudly(app: ASGIApp, config: Any, **keywords: Any) -> None:
    """The server's ``serve``, saying first that it was the one chosen (``serve_with``)."""
    say("served by serve_loudly")
    await serve(app, config, **keywords)
