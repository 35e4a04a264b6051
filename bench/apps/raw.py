"""A hand-written raw ASGI 3 app: the floor every framework is compared with."""

from __future__ import annotations

import json
import os

import trio

from bench.apps import FILES_DIR_VAR, HELLO, UPLOAD_NAME
from bench.asgi import Receive, Scope, Send

_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
_JSON = [(b"content-type", b"application/json")]
_BYTES = [(b"content-type", b"application/octet-stream")]
_HELLO = HELLO.encode()
_FILES_DIR = os.environ.get(FILES_DIR_VAR)
_FILE_CHUNK = 64 * 1024


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


async def _send_file(receive: Receive, send: Send, name: str) -> None:
    """Stream the file ``name`` of the files folder in chunks read in a worker thread, until
    done or the client leaves."""
    assert _FILES_DIR is not None
    try:
        # Plain names only: nothing outside the folder.
        file = (
            await trio.open_file(os.path.join(_FILES_DIR, name), "rb") if name.isalnum() else None
        )
    except OSError:  # missing, or a folder
        file = None
    if file is None:
        await _respond(send, 404, _TEXT, b"Not Found")
        return
    async with file, trio.open_nursery() as nursery:
        # Hypercorn drops what is sent after the client left: stop reading then.
        nursery.start_soon(_cancel_on_disconnect, receive, nursery.cancel_scope)
        size = os.fstat(file.fileno()).st_size
        headers = [*_BYTES, (b"content-length", str(size).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        remaining = size
        while remaining > 0:
            chunk = await file.read(min(_FILE_CHUNK, remaining))
            if not chunk:
                raise RuntimeError(f"{name} shrank while it was sent")
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        nursery.cancel_scope.cancel()


async def _save_body(receive: Receive, send: Send) -> None:
    """Write the request body, whatever it holds, to ``UPLOAD_NAME`` in the files folder as it
    arrives (one worker-thread write per chunk); answer how many bytes were written."""
    assert _FILES_DIR is not None
    saved = 0
    async with await trio.open_file(os.path.join(_FILES_DIR, UPLOAD_NAME), "wb") as file:
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            body: bytes = message.get("body", b"")
            if body:
                await file.write(body)
                saved += len(body)
            if not message.get("more_body", False):
                break
    await _respond(send, 200, _JSON, json.dumps({"saved": saved}).encode())


async def _cancel_on_disconnect(receive: Receive, scope: trio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


async def _http(scope: Scope, receive: Receive, send: Send) -> None:
    """Route by hand: ``/``, ``/items/<int>``, ``POST /echo`` (and ``/files/<name>``,
    ``POST /uploads``)."""
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
    elif _FILES_DIR is not None and path.startswith("/files/") and method == "GET":
        await _send_file(receive, send, path[7:])
    elif _FILES_DIR is not None and path == "/uploads" and method == "POST":
        await _save_body(receive, send)
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
