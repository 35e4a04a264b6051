"""The chat demo in several processes sharing a ``redis://`` broadcast, each started with the
real CLI as a user would: a message said in one process reaches the members served by the
other, and presence (the join announcements, ``/rooms`` and the ``/activity`` feed) lists
the members of both. A member is also told when the link to Redis dropped (a restart).

Two single-worker ``trioquart run`` processes on two ports stand for two workers behind a
load balancer: each client is pinned to its process, so the test knows it crossed from one
to the other. ``--workers 2`` on one port is tested too, but the kernel hands connections to
the workers as it likes (they share one listening socket), so that test proves the demo works
there, not which worker served whom; it also checks how a websocket open at SIGTERM ends with
several workers, which differs between the servers: 1001 on the built-in server, a dropped
connection (1006) on Hypercorn, whose supervisor kills the workers still serving.

Every scenario runs on both servers (``server_kind``), ``--server hypercorn`` and
``--server builtin``.

Readiness is read from the servers' "Running on" lines, never guessed with a sleep; every wait
is bounded, and the servers and ``redis-server`` are stopped whatever happens.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import trio
from trio_websocket import WebSocketConnection

from ..redis_server import RedisServer, running_redis_server
from ..sse_parser import EventStreamParser
from .conftest import RunningServer, open_websocket
from .test_serving_e2e import PROJECT_ROOT, close_code_after_messages, log_in, read_until

# The SSE tests' h11 reader: httpx leaves its body generators unclosed when a test stops
# reading an endless stream.
from .test_sse_e2e import _open_raw_stream, _read_until

# A worker's line, "[pid] [INFO] Running on ..." (after Hypercorn's timestamp), or the one
# process of the built-in server, logged through the root logger's default format.
RUNNING_ON = r"(?:\[(\d+)\] \[INFO\] |INFO:trioquart:)Running on http://127\.0\.0\.1:(\d+)"


@asynccontextmanager
async def chat_served(
    redis: RedisServer, secret_key: str, server: str, *options: str, workers: int = 1
) -> AsyncIterator[tuple[RunningServer, trio.Process, trio.abc.ReceiveStream]]:
    """``trioquart run examples.chat:app --port 0 --server server *options`` on ``redis``'s
    broadcast, once
    all its ``workers`` say where they listen. Stopped on exit: SIGTERM, which must end it
    cleanly within 10 seconds, then SIGKILL whatever happens."""
    options = ("--server", server, *options)
    env = {
        **os.environ,
        "TRIOQUART_BROADCAST_URL": redis.url,
        "TRIOQUART_SECRET_KEY": secret_key,
    }
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "trioquart", "run", "examples.chat:app", "--port", "0", *options],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        with trio.fail_after(30):
            match, output = await read_until(process.stderr, RUNNING_ON, count=workers)
        assert len(set(re.findall(RUNNING_ON, output))) == workers  # one per worker process
        port = int(match.group(2))
        running = RunningServer(
            f"http://127.0.0.1:{port}", "127.0.0.1", port, trio.lowlevel.checkpoint
        )
        yield running, process, process.stderr
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
                with trio.move_on_after(10):
                    await process.wait()
            process.kill()
            await process.wait()
            await process.stderr.aclose()


async def stop_cleanly(process: trio.Process, stderr: trio.abc.ReceiveStream) -> None:
    """SIGTERM: the server closes its websockets, closes the broadcast and exits with 0."""
    process.send_signal(signal.SIGTERM)
    with trio.fail_after(10):
        assert await process.wait() == 0
        rest = b""
        while chunk := await stderr.receive_some():
            rest += chunk
    assert b"Traceback" not in rest, rest.decode()


async def received(connection: WebSocketConnection) -> dict[str, object]:
    """The next chat message, decoded."""
    message = json.loads(await connection.get_message())
    assert isinstance(message, dict)
    return message


async def first_activity(server: RunningServer, login: list[tuple[bytes, bytes]]) -> object:
    """The first summary the ``/activity`` feed sends: every room with its members."""
    headers = [(name.decode(), value.decode()) for name, value in login]
    parser = EventStreamParser()
    async with _open_raw_stream(server, "/activity", headers) as (response, chunks):
        assert response.status_code == 200
        await _read_until(chunks, parser, events=1)
    assert parser.events[0].type == "rooms"
    return json.loads(parser.events[0].data)


async def test_chat_demo_in_two_processes_shares_rooms_through_redis(server_kind: str) -> None:
    secret_key = secrets.token_hex()
    with trio.fail_after(60):
        async with (
            running_redis_server() as redis,
            chat_served(redis, secret_key, server_kind) as (first, first_process, first_stderr),
            chat_served(redis, secret_key, server_kind) as (second, second_process, second_stderr),
        ):
            ada_login = await log_in(first, "ada")
            bob_login = await log_in(second, "bob")
            async with open_websocket(first, "/ws/lobby", headers=ada_login) as ada:
                assert await received(ada) == {"type": "join", "name": "ada", "members": ["ada"]}
                async with open_websocket(second, "/ws/lobby", headers=bob_login) as bob:
                    joined = {"type": "join", "name": "bob", "members": ["ada", "bob"]}
                    assert await received(bob) == joined
                    assert await received(ada) == joined  # from the other process
                    await bob.send_message("hello from the second process")
                    said = {
                        "type": "message",
                        "name": "bob",
                        "text": "hello from the second process",
                    }
                    assert await received(ada) == said
                    assert await received(bob) == said
                    await ada.send_message("hello from the first")
                    said = {"type": "message", "name": "ada", "text": "hello from the first"}
                    assert await received(bob) == said
                    assert await received(ada) == said
                    # Presence, asked of either process, lists the members of both.
                    for running, login in ((first, ada_login), (second, bob_login)):
                        assert await first_activity(running, login) == {"lobby": ["ada", "bob"]}
                        async with httpx.AsyncClient(base_url=running.url) as http:
                            response = await http.get("/rooms")
                        assert response.json() == {"lobby": ["ada", "bob"]}
                    # One key signs the sessions of both: a login made by one is good on the other.
                    async with open_websocket(second, "/ws/lobby", headers=ada_login) as tab:
                        assert (await received(tab))["members"] == ["ada", "bob"]
                    await ada.get_message()  # the second tab's arrival
                    await ada.get_message()  # and its departure
                # bob's connection to the second process is gone: the first hears it.
                left = {"type": "leave", "name": "bob", "members": ["ada"]}
                assert await received(ada) == left
                await stop_cleanly(first_process, first_stderr)
                assert await close_code_after_messages(ada) == 1001
            await stop_cleanly(second_process, second_stderr)


async def test_chat_demo_with_two_workers_on_one_port(server_kind: str) -> None:
    secret_key = secrets.token_hex()
    with trio.fail_after(60):
        async with (
            running_redis_server() as redis,
            chat_served(redis, secret_key, server_kind, "--workers", "2", workers=2) as (
                running,
                process,
                stderr,
            ),
        ):
            # Each login and connection goes to whichever worker the kernel picks; the
            # shared key and broadcast make that irrelevant.
            ada_login = await log_in(running, "ada")
            bob_login = await log_in(running, "bob")
            async with (
                open_websocket(running, "/ws/lobby", headers=ada_login) as ada,
            ):
                assert await received(ada) == {"type": "join", "name": "ada", "members": ["ada"]}
                async with open_websocket(running, "/ws/lobby", headers=bob_login) as bob:
                    joined = {"type": "join", "name": "bob", "members": ["ada", "bob"]}
                    assert await received(bob) == joined
                    assert await received(ada) == joined
                    await bob.send_message("hi")
                    said = {"type": "message", "name": "bob", "text": "hi"}
                    assert await received(ada) == said
                    assert await received(bob) == said
                    assert await first_activity(running, ada_login) == {"lobby": ["ada", "bob"]}
                # ada's websocket is open at SIGTERM: the worker that serves it closes it with
                # 1001 on the built-in server, and is killed by Hypercorn's supervisor once the
                # other worker, with nothing open, has ended.
                await stop_cleanly(process, stderr)
                expected = 1001 if server_kind == "builtin" else 1006
                assert await close_code_after_messages(ada) == expected


async def test_chat_demo_tells_members_when_redis_restarted(server_kind: str) -> None:
    """While the link to Redis is down, what is said cannot arrive: the member is told (a
    ``gap`` message) once the worker has reconnected, and the chat goes on."""
    secret_key = secrets.token_hex()
    with trio.fail_after(60):
        async with (
            running_redis_server() as redis,
            chat_served(redis, secret_key, server_kind) as (running, process, stderr),
        ):
            ada_login = await log_in(running, "ada")
            async with open_websocket(running, "/ws/lobby", headers=ada_login) as ada:
                assert (await received(ada))["type"] == "join"
                await redis.stop()
                await redis.start()
                gap = await received(ada)
                assert gap["type"] == "gap"
                await ada.send_message("still here")
                said = {"type": "message", "name": "ada", "text": "still here"}
                assert await received(ada) == said
            await stop_cleanly(process, stderr)
