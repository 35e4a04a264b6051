"""An app ready for several workers and hosts: one key, one broadcast, behind one proxy.

Every worker process and every host reads the same settings from its environment:
``TRIOQUART_SECRET_KEY``, ``TRIOQUART_BROADCAST_URL`` (``redis://redis.internal:6379/0``) and
``TRIOQUART_TRUSTED_HOSTS`` (``["chat.example.com"]``, JSON).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from hypercorn.middleware import ProxyFixMiddleware

from trioquart import Response, TrioQuart, redirect, request, session, websocket
from trioquart.broadcast import Broadcast

app = TrioQuart(__name__)
app.config.update(BROADCAST_URL="memory://", SESSION_COOKIE_SECURE=True)
app.config.from_prefixed_env()  # TRIOQUART_SECRET_KEY=... and friends win
# The proxy terminates TLS and sets X-Forwarded-For, -Proto and -Host: trust one hop of them.
app.asgi_app = ProxyFixMiddleware(app.asgi_app, mode="legacy", trusted_hops=1)
broadcast = Broadcast(app.config["BROADCAST_URL"])


@app.before_serving
async def check_secret_key() -> None:
    # A key made up by each worker would refuse the sessions the others signed: fail to start.
    if not app.config["SECRET_KEY"]:
        raise RuntimeError("Set TRIOQUART_SECRET_KEY, the same in every worker and on every host")


@app.while_serving
async def open_broadcast() -> AsyncIterator[None]:
    async with broadcast:  # connected while this worker serves
        yield


@app.get("/healthz")
async def healthz() -> tuple[str, int]:
    # For the load balancer: a worker cut off from Redis cannot reach the other workers' rooms.
    return ("ok", 200) if broadcast.connected else ("broadcast unavailable", 503)


@app.post("/login")
async def login() -> Response:
    session["name"] = (await request.form).get("name", "guest")  # a signed cookie
    return redirect("/")


async def speak(room: str, name: str) -> None:
    while True:
        text = await websocket.receive()
        if isinstance(text, str):
            await broadcast.publish(f"room:{room}", f"{name}: {text}")


@app.websocket("/rooms/<room>")
async def chat(room: str) -> tuple[str, int] | None:
    # Any worker on any host may take this connection: the name is in the signed cookie and
    # the room is a broadcast channel, so no sticky sessions are needed.
    name = session.get("name")
    if name is None:
        return "Log in first.", 401
    async with broadcast.subscribe(f"room:{room}") as messages:
        await websocket.accept()
        websocket.nursery.start_soon(speak, room, name)
        async for message in messages:
            if isinstance(message, str):
                await websocket.send(message)
    return None
