"""The server as a whole: listening (TCP, IPv6, Unix, TLS), graceful shutdown, signals."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
from pathlib import Path
from typing import cast

import httpx
import pytest
import trio
import trio.testing
from trio_websocket import ConnectionClosed, wrap_client_stream

from tests.e2e.conftest import Baseline
from trioquart import TrioQuart
from trioquart.server import ServerConfig, serve
from trioquart.server import http11 as http11_module
from trioquart.server.http11 import HTTP11Connection
from trioquart.server.serve import Listening, serve_until_signalled
from trioquart.server.types import ASGIApp, Receive, Scope, Send

from .conftest import (
    RawClient,
    get,
    hello,
    memory_connection,
    respond,
    served,
    server_context,
    tls_client,
)


async def test_port_zero_reports_the_real_port(nursery: trio.Nursery) -> None:
    async with served(nursery, hello) as running:
        assert running.port > 0
        assert running.urls == [f"http://127.0.0.1:{running.port}"]
        async with httpx.AsyncClient() as client:
            assert (await client.get(running.urls[0])).text == "hello"


async def test_serves_the_listeners_it_is_given(nursery: trio.Nursery) -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    stop = trio.Event()

    async def serve_given(task_status: trio.TaskStatus[list[str]]) -> None:
        await serve(
            hello,
            ServerConfig(port=1),  # not used: the listeners are given
            shutdown_trigger=stop,
            listeners=listeners,
            task_status=task_status,
        )

    urls = await nursery.start(serve_given)
    assert urls == [f"http://127.0.0.1:{port}"]
    async with httpx.AsyncClient() as client:
        assert (await client.get(urls[0])).text == "hello"
    stop.set()
    await trio.testing.wait_all_tasks_blocked()
    # serve closed them when it returned.
    assert listeners[0].socket.fileno() == -1


async def test_ipv6(nursery: trio.Nursery) -> None:
    async with served(nursery, hello, host="::1") as running:
        [url] = running.urls
        assert url.startswith("http://[::1]:")
        async with httpx.AsyncClient() as client:
            assert (await client.get(url)).text == "hello"


async def test_unix_socket(nursery: trio.Nursery, tmp_path: Path) -> None:
    path = str(tmp_path / "server.sock")
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(path)  # a socket file left by an earlier server
    leftover.close()
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scopes.append(scope)
            await respond(send, body=b"over unix")

    async with served(nursery, app, uds=path) as running:
        assert running.urls == [f"unix:{path}"]
        stream = await trio.open_unix_socket(path)
        async with stream:
            client = RawClient(stream)
            await client.send(get())
            assert (await client.response()).body == b"over unix"
    assert scopes[0]["client"] is None
    assert scopes[0]["server"] == (path, None)
    assert not await trio.Path(path).exists()


async def test_unix_socket_path_taken(tmp_path: Path) -> None:
    path = tmp_path / "not-a-socket"
    path.write_text("mine")
    stopped: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (message := await receive())["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        stopped.append(message["type"])
        await send({"type": "lifespan.shutdown.complete"})

    with pytest.raises(OSError, match="in use"):
        await serve(app, ServerConfig(uds=str(path)))
    assert path.read_text() == "mine"
    assert stopped == ["lifespan.shutdown"]


async def test_tls(nursery: trio.Nursery, certificate: tuple[Path, Path]) -> None:
    schemes: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            schemes.append(scope["scheme"])
            await respond(send, body=b"secret")

    context = server_context(certificate)
    async with served(nursery, app, ssl_context=context) as running:
        assert running.urls == [f"https://127.0.0.1:{running.port}"]
        async with tls_client(certificate) as client:
            for _ in range(2):
                response = await client.get(running.urls[0])
                assert response.text == "secret"
        async with RawClient.connect(running) as raw:
            await raw.send(b"not a TLS handshake\r\n\r\n")
            assert await raw.closed()
        # An error on a TLS connection (no half-close there) is answered and closed too.
        tcp = await trio.open_tcp_stream(running.host, running.port)
        client_context = ssl.create_default_context(cafile=str(certificate[0]))
        client_context.set_alpn_protocols(["h2", "http/1.1"])
        async with trio.SSLStream(tcp, client_context, server_hostname="127.0.0.1") as stream:
            raw = RawClient(stream)
            await raw.send(b"NOT HTTP\r\n\r\n")
            assert (await raw.response()).status == 400
            assert stream.selected_alpn_protocol() == "http/1.1"
    assert schemes == ["https", "https"]


async def test_tls_handshake_timeout(
    nursery: trio.Nursery, certificate: tuple[Path, Path], autojump_clock: trio.abc.Clock
) -> None:
    context = server_context(certificate)
    async with (
        served(nursery, hello, ssl_context=context, header_timeout=2) as running,
        RawClient.connect(running) as raw,
    ):
        start = trio.current_time()
        assert await raw.closed()
        assert trio.current_time() - start == pytest.approx(2, abs=0.1)


async def test_graceful_shutdown(nursery: trio.Nursery) -> None:
    gate = trio.Event()
    entered = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] == "/slow":
                entered.set()
                await gate.wait()
            await respond(send, body=scope["path"].encode())

    async with served(nursery, app, check_leaks=False) as running:
        async with RawClient.connect(running) as idle, RawClient.connect(running) as busy:
            await idle.send(get("/first"))
            assert (await idle.response()).body == b"/first"
            await busy.send(get("/slow"))
            await entered.wait()
            running.stop.set()
            assert await idle.closed()
            with pytest.raises(OSError, match="all attempts to connect"):
                await trio.open_tcp_stream(running.host, running.port)
            assert not running.finished.is_set()
            gate.set()
            response = await busy.response()
            assert response.body == b"/slow"
            assert response.header("connection") == "close"
            assert await busy.closed()
        await running.finished.wait()


async def test_graceful_timeout_cancels_the_rest(
    nursery: trio.Nursery, autojump_clock: trio.abc.Clock
) -> None:
    record: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                await trio.sleep_forever()
            finally:
                record.append("cancelled")

    async with (
        served(nursery, app, graceful_timeout=3, check_leaks=False) as running,
        RawClient.connect(running) as client,
    ):
        await client.send(get())
        await trio.testing.wait_all_tasks_blocked()
        start = trio.current_time()
        running.stop.set()
        assert await client.closed()
        assert trio.current_time() - start == pytest.approx(3, abs=0.1)
    assert record == ["cancelled"]


async def test_connection_started_while_stopping_closes() -> None:
    stopping = trio.Event()
    stopping.set()
    ours, theirs = trio.testing.memory_stream_pair()
    await memory_connection(ours, stopping).run()
    assert await theirs.receive_some() == b""


async def test_internal_error_is_contained(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = HTTP11Connection.run
    calls: list[str] = []

    async def fragile(self: HTTP11Connection) -> None:
        calls.append("run")
        if len(calls) == 1:
            raise ValueError("server bug")
        await original(self)

    monkeypatch.setattr(HTTP11Connection, "run", fragile)
    async with served(nursery, hello) as running:
        async with RawClient.connect(running) as client:
            assert await client.closed()
        async with RawClient.connect(running) as client:
            await client.send(get())
            assert (await client.response()).body == b"hello"
    assert "internal error serving a connection" in caplog.text
    assert "ValueError: server bug" in caplog.text


async def test_a_client_that_resets_before_it_is_served_is_let_go(
    caplog: pytest.LogCaptureFixture,
) -> None:
    baseline = Baseline.now()
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    async with listener:
        client = socket.create_connection(listener.socket.getsockname()[:2])
        accepted = await listener.accept()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # a reset: the server's end no longer has a peer
    with trio.fail_after(5):
        while True:  # until the reset has come (getpeername then fails)
            try:
                accepted.socket.getpeername()
            except OSError:
                break
            await trio.sleep(0.01)
    listening = Listening(hello, ServerConfig(), [], None)
    await listening._serve_connection(accepted)
    assert not listening.connections
    assert "internal error" not in caplog.text
    await baseline.wait_until_back()  # the server closed its end


async def test_websocket_upgrade_is_handed_over(
    nursery: trio.Nursery, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[tuple[Scope, list[tuple[bytes, bytes]], bytes]] = []

    async def fake_serve_websocket(
        stream: trio.abc.Stream,
        app: object,
        scope: Scope,
        headers: list[tuple[bytes, bytes]],
        initial: bytes,
        config: ServerConfig,
        stopping: trio.Event,
    ) -> None:
        while len(initial) < 5:
            initial += await stream.receive_some()
        handed.append((scope, headers, initial))
        await stream.send_all(b"handed over")

    monkeypatch.setattr(http11_module, "serve_websocket", fake_serve_websocket)
    head = get(
        "/chat?room=1",
        "Upgrade: WebSocket",
        "Connection: keep-alive, Upgrade",
        "Sec-WebSocket-Protocol: chat, superchat",
        "Sec-WebSocket-Protocol: ,other",
    )
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(head + b"extra")
        while await client.fill():
            pass
        assert client.buffer == b"handed over"
    [(scope, headers, initial)] = handed
    assert initial == b"extra"
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert "method" not in scope
    assert scope["path"] == "/chat"
    assert scope["query_string"] == b"room=1"
    assert scope["subprotocols"] == ["chat", "superchat", "other"]
    assert scope["extensions"] == {"websocket.http.response": {}}
    assert (b"upgrade", b"WebSocket") in headers


@pytest.mark.parametrize(
    "head",
    [
        get("/", "Upgrade: websocket", "Connection: upgrade", method="POST"),
        get("/", "Upgrade: websocket"),
        get("/", "Upgrade: h2c", "Connection: upgrade"),
    ],
)
async def test_other_upgrades_are_plain_http(nursery: trio.Nursery, head: bytes) -> None:
    async with served(nursery, hello) as running, RawClient.connect(running) as client:
        await client.send(head)
        assert (await client.response()).body == b"hello"


async def test_serve_until_signalled(nursery: trio.Nursery) -> None:
    finished = trio.Event()

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        await serve_until_signalled(hello, ServerConfig(port=0), task_status=task_status)
        finished.set()

    [url] = await nursery.start(run)
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).text == "hello"
    os.kill(os.getpid(), signal.SIGTERM)
    with trio.fail_after(5):
        await finished.wait()


RUN_SCRIPT = """
import trio
from trioquart.server import ServerConfig, run

async def app(scope, receive, send):
    while (message := await receive())["type"] == "lifespan.startup":
        print("started", flush=True)
        await send({"type": "lifespan.startup.complete"})
    print("stopped", flush=True)
    await send({"type": "lifespan.shutdown.complete"})

run(app, ServerConfig(port=0))
"""


async def test_run_until_sigint() -> None:
    process = await trio.lowlevel.open_process(
        [sys.executable, "-c", RUN_SCRIPT], stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    output = b""
    with trio.fail_after(15):
        while b"started\n" not in output:
            output += await process.stdout.receive_some()
        process.send_signal(signal.SIGINT)
        while chunk := await process.stdout.receive_some():
            output += chunk
        assert await process.wait() == 0
    await process.stdout.aclose()
    assert output == b"started\nstopped\n"


async def test_trioquart_app(nursery: trio.Nursery) -> None:
    app = TrioQuart(__name__)

    @app.route("/greet/<name>")
    async def greet(name: str) -> str:
        return f"hello {name}"

    # TrioQuart types its scopes more narrowly than the server's ``ASGIApp`` alias.
    asgi_app = cast("ASGIApp", app)
    async with served(nursery, asgi_app) as running, httpx.AsyncClient() as client:
        response = await client.get(running.urls[0] + "/greet/you")
    assert response.status_code == 200
    assert response.text == "hello you"


async def test_websocket_through_the_server(nursery: trio.Nursery) -> None:
    """The real websocket side behind the upgrade: an echo, then 1001 at shutdown."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            while (message := await receive())["type"] == "websocket.receive":
                await send({"type": "websocket.send", "text": message["text"]})

    async with served(nursery, app, check_leaks=False) as running:
        stream = await trio.open_tcp_stream(running.host, running.port)
        async with stream, trio.open_nursery() as client_nursery:
            connection = await wrap_client_stream(
                client_nursery, stream, f"{running.host}:{running.port}", "/"
            )
            await connection.send_message("ping")
            assert await connection.get_message() == "ping"
            running.stop.set()
            with pytest.raises(ConnectionClosed) as closed:
                await connection.get_message()
            assert closed.value.reason is not None
            assert closed.value.reason.code == 1001
        await running.finished.wait()
