"""A real ``redis-server`` for the tests that need one (the Redis broadcast backend's, the chat
demo across processes), started by the test on a free port of 127.0.0.1, with no persistence,
and stopped (or restarted) by it.

``redis-server`` must be installed (Debian: ``apt-get install -y redis-server``; ``nox -s
tests`` installs it when missing).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio


class RedisServer:
    """One ``redis-server`` process on ``port``; ``stop`` and ``start`` again for a restart."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: trio.Process | None = None

    @property
    def url(self) -> str:
        """The broadcast URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        """Start the server and wait until it accepts connections (at most 10 seconds)."""
        assert self.process is None
        self.process = await trio.lowlevel.open_process(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        with trio.fail_after(10):
            while True:
                try:
                    stream = await trio.open_tcp_stream("127.0.0.1", self.port)
                except OSError:
                    await trio.sleep(0.01)  # not listening yet: nothing to wait on but time
                    continue
                await stream.aclose()
                return

    async def stop(self) -> None:
        """Stop the server (SIGTERM: it closes every connection) and wait for it to exit."""
        assert self.process is not None
        process, self.process = self.process, None
        with trio.move_on_after(10, shield=True):
            process.terminate()
            await process.wait()
        if process.returncode is None:
            process.kill()


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def running_redis_server() -> AsyncIterator[RedisServer]:
    """A fresh ``redis-server`` for the block, stopped after it."""
    if shutil.which("redis-server") is None:
        pytest.fail(
            "redis-server is not installed: run 'apt-get install -y redis-server' "
            "('nox -s tests' does it when it is missing)"
        )
    server = RedisServer(free_port())
    await server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            await server.stop()


@pytest.fixture
async def redis_server() -> AsyncIterator[RedisServer]:
    """A fresh ``redis-server`` for the test, stopped after it."""
    async with running_redis_server() as server:
        yield server
