"""A hand-written raw ASGI 3 app: the floor every framework is compared with."""

from __future__ import annotations

import json

from bench.apps import HELLO
from bench.asgi import Receive, Scope, Send

_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
_JSON = [(b"content-type", b"application/json")]
_BYTES = [(b"content-type", b"application/octet-stream")]
_HELLO = HELLO.encode()


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    """Send a complete response with a content-length."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _read_body(receive: Receive) -> bytes:
    """Collect the request body from ``http.request`` messages."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _http(scope: Scope, receive: Receive, send: Send) -> None:
    """Route by hand: ``/``, ``/items/<int>``, ``POST /echo``."""
    path: str = scope["path"]
    method: str = scope["method"]
    if path == "/" and method == "GET":
        await _respond(send, 200, _TEXT, _HELLO)
    elif path.startswith("/items/") and method == "GET" and path[7:].isdigit():
        item_id = int(path[7:])
        body = json.dumps({"id": item_id, "name": f"item {item_id}"}).encode()
        await _respond(send, 200, _JSON, body)
    elif path == "/echo" and method == "POST":
        await _respond(send, 200, _BYTES, await _read_body(receive))
    else:
        await _respond(send, 404, _TEXT, b"Not Found")


async def _websocket(scope: Scope, receive: Receive, send: Send) -> None:
    """Echo every message on ``/ws`` until the client disconnects."""
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.connect":
            if scope["path"] != "/ws":
                await send({"type": "websocket.close", "code": 1000})
                return
            await send({"type": "websocket.accept"})
        elif kind == "websocket.receive":
            if message.get("text") is not None:
                await send({"type": "websocket.send", "text": message["text"]})
            else:
                await send({"type": "websocket.send", "bytes": message.get("bytes", b"")})
        else:  # websocket.disconnect
            return


async def _lifespan(receive: Receive, send: Send) -> None:
    """Answer ``lifespan.startup`` and ``lifespan.shutdown``."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI 3 entry point."""
    kind = scope["type"]
    if kind == "http":
        await _http(scope, receive, send)
    elif kind == "websocket":
        await _websocket(scope, receive, send)
    elif kind == "lifespan":
        await _lifespan(receive, send)
