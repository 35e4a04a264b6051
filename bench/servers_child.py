"""One server of the servers stage, serving the stage's raw ASGI app in this process.

``python -m bench.servers_child SERVER`` (a name of :data:`SERVERS`) listens on a free port
of 127.0.0.1, prints one JSON line ``{"urls": [...], "pid": ...}`` on stdout once it accepts
connections, and shuts down gracefully when its stdin reaches end of file.

The app answers every HTTP request with ``Hello, world!`` (``text/plain``, 13 bytes) and
echoes every websocket message. It imports no async library, so that the trio servers and the
asyncio ones run exactly the same code; it reads no request body (the stage sends none).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
from collections.abc import Callable
from typing import Any, Literal

from bench.apps import HELLO
from bench.asgi import Receive, Scope, Send

#: Every server the stage can run, in the order of its tables.
SERVERS = (
    "builtin-h11",
    "builtin-httptools",
    "hypercorn-trio",
    "hypercorn-asyncio",
    "uvicorn-h11",
    "uvicorn-httptools",
)
HOST = "127.0.0.1"
#: The HTTP parser of each server that has a choice of them.
_PARSERS: dict[str, Literal["h11", "httptools"]] = {
    "builtin-h11": "h11",
    "builtin-httptools": "httptools",
    "uvicorn-h11": "h11",
    "uvicorn-httptools": "httptools",
}

_HELLO = HELLO.encode()
_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_HELLO)).encode()),
]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Hello on HTTP, echo on websockets, and the lifespan protocol."""
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        await send({"type": "http.response.body", "body": _HELLO, "more_body": False})
    elif scope["type"] == "websocket":
        await _echo(receive, send)
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _echo(receive: Receive, send: Send) -> None:
    """Accept, then send every message back as it came, until the client leaves."""
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        # Only the key that holds the message: servers differ on a None beside it.
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


#: The app as Hypercorn takes it: its type for an ASGI app is stricter than bench.asgi's.
_HYPERCORN_APP: Any = app


def _announce(url: str) -> None:
    print(json.dumps({"urls": [url], "pid": os.getpid()}), flush=True)


def _listening_socket() -> socket.socket:
    """A socket bound to a free port and listening, for the servers that take one."""
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets whose protocol says TCP.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(2048)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


# --- trio: the built-in server and Hypercorn's trio worker -----------------------------------


async def _stdin_closed_trio() -> None:
    import trio

    async with trio.lowlevel.FdStream(os.dup(sys.stdin.fileno())) as stdin:
        while await stdin.receive_some():
            pass


async def _builtin(parser: Literal["h11", "httptools"]) -> None:
    import trio

    from trioquart.server import ServerConfig, serve

    # The built-in server's defaults otherwise, access log included (off).
    config = ServerConfig(host=HOST, port=0, parser=parser, graceful_timeout=1.0)
    shutdown = trio.Event()
    async with trio.open_nursery() as nursery:
        urls = await nursery.start(
            lambda task_status: serve(
                app, config, shutdown_trigger=shutdown, task_status=task_status
            )
        )
        _announce(urls[0])
        await _stdin_closed_trio()
        shutdown.set()


def _hypercorn_config(sock: socket.socket) -> Any:
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.graceful_timeout = 1.0
    return config


async def _hypercorn_trio() -> None:
    import trio
    from hypercorn.trio import serve

    sock = _listening_socket()
    shutdown = trio.Event()

    async def stop_on_eof() -> None:
        await _stdin_closed_trio()
        shutdown.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(stop_on_eof)
        await nursery.start(
            lambda task_status: serve(
                _HYPERCORN_APP,
                _hypercorn_config(sock),
                shutdown_trigger=shutdown.wait,
                task_status=task_status,
            )
        )
        _announce(_url(sock))


# --- asyncio: Hypercorn's asyncio worker and uvicorn -----------------------------------------


def _on_stdin_closed(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    """Call ``stop`` in ``loop`` once stdin reaches end of file."""
    fd = sys.stdin.fileno()

    def readable() -> None:
        if not os.read(fd, 4096):
            loop.remove_reader(fd)
            stop()

    loop.add_reader(fd, readable)


async def _hypercorn_asyncio() -> None:
    from hypercorn.asyncio import serve

    sock = _listening_socket()
    shutdown = asyncio.Event()
    _on_stdin_closed(asyncio.get_running_loop(), shutdown.set)
    serving = asyncio.create_task(
        serve(_HYPERCORN_APP, _hypercorn_config(sock), shutdown_trigger=shutdown.wait)
    )
    # Hypercorn's asyncio serve reports nothing once it listens: ask the socket instead.
    await _wait_until_accepting(sock)
    _announce(_url(sock))
    await serving


async def _wait_until_accepting(sock: socket.socket) -> None:
    """Return once a connection to ``sock`` is answered by its server (not just queued)."""
    host, port = sock.getsockname()[:2]
    while True:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET / HTTP/1.1\r\nhost: ready\r\nconnection: close\r\n\r\n")
        answer = await reader.read()
        writer.close()
        if answer.startswith(b"HTTP/1.1 200"):
            return
        await asyncio.sleep(0.01)


async def _uvicorn(http: Literal["h11", "httptools"]) -> None:
    import uvicorn

    sock = _listening_socket()
    config = uvicorn.Config(
        app,
        http=http,
        loop="asyncio",
        ws="wsproto",
        lifespan="on",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    _on_stdin_closed(asyncio.get_running_loop(), lambda: setattr(server, "should_exit", True))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            await serving  # it failed: raise why
        await asyncio.sleep(0.01)
    _announce(_url(sock))
    await serving


def serve(name: str) -> None:
    """Serve the app with server ``name`` until stdin closes."""
    if name.startswith("builtin-") or name == "hypercorn-trio":
        import trio

        if name == "hypercorn-trio":
            trio.run(_hypercorn_trio)
        else:
            trio.run(_builtin, _PARSERS[name])
    elif name == "hypercorn-asyncio":
        asyncio.run(_hypercorn_asyncio())
    else:
        asyncio.run(_uvicorn(_PARSERS[name]))


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.servers_child SERVER``."""
    parser = argparse.ArgumentParser(prog="python -m bench.servers_child")
    parser.add_argument("server", choices=SERVERS)
    serve(parser.parse_args(argv).server)


if __name__ == "__main__":
    main()
