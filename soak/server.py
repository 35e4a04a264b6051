"""The server under soak, in a process of its own: ``python -m soak.server``.

The child serves :mod:`soak.app` with trioquart's own runner on Hypercorn's trio worker, bound
to an ephemeral port of 127.0.0.1, prints ``{"url": ..., "pid": ...}`` once it listens, and
shuts down gracefully when its stdin reaches end of file. Its stderr goes to a file that the
parent scans for logged errors afterwards.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial

import trio

from bench.process import ROOT, child_env
from bench.server import raise_fd_limit
from soak.endpoint import Endpoint
from trioquart.serving import hypercorn_config, serve

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
#: Log lines of the server that mean something went wrong.
ERROR_MARKERS = ("ERROR", "CRITICAL", "Traceback")


@dataclass
class ServerProcess:
    """The running server: where it listens, its pid, and (once stopped) how it ended."""

    endpoint: Endpoint
    pid: int
    returncode: int | None = None
    #: The lines of its stderr that report errors (filled in once it has stopped).
    error_lines: list[str] = field(default_factory=list)


async def _serve_until_stdin_closes(keep_alive: float) -> None:
    from soak.app import app  # here: the driver imports this module too, and needs no app

    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        urls = await nursery.start(
            # Not trioquart's signal handling: serve() with a shutdown trigger does not return
            # while it waits for a signal. The driver stops this process by closing stdin.
            partial(
                serve,
                app,
                hypercorn_config("127.0.0.1", 0, keep_alive_timeout=keep_alive),
                shutdown_trigger=stop,
                handle_signals=False,
            )
        )
        print(json.dumps({"url": urls[0], "pid": os.getpid()}), flush=True)
        async with trio.lowlevel.FdStream(os.dup(sys.stdin.fileno())) as stdin:
            while await stdin.receive_some():
                pass
        stop.set()


def main() -> None:
    """Serve the soak app until stdin closes; ``--keep-alive SECONDS`` sets Hypercorn's
    keep-alive timeout."""
    parser = argparse.ArgumentParser(prog="python -m soak.server")
    parser.add_argument("--keep-alive", type=float, required=True)
    args = parser.parse_args()
    raise_fd_limit()
    # Ctrl-C in a terminal reaches the whole process group: the driver stops this server
    # itself (closing stdin), after its clients, so that the shutdown is an orderly one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    trio.run(_serve_until_stdin_closes, args.keep_alive)


async def _read_line(stream: trio.abc.ReceiveStream) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        chunk = await stream.receive_some(4096)
        if not chunk:
            break
        line += chunk
    return line


@asynccontextmanager
async def running_server(keep_alive: float) -> AsyncIterator[ServerProcess]:
    """Start the server process; stop it gracefully (stdin closed) when the block exits."""
    with tempfile.TemporaryFile("w+") as log:
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "soak.server", "--keep-alive", str(keep_alive)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=ROOT,
            env=child_env(),
        )
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            with trio.move_on_after(START_TIMEOUT):
                hello = await _read_line(process.stdout)
            if not hello:
                process.kill()
                await process.wait()
                log.seek(0)
                raise RuntimeError(f"the server did not start: {log.read()[-2000:]}")
            started = json.loads(hello)
            server = ServerProcess(Endpoint.from_url(started["url"]), started["pid"])
            yield server
        finally:
            with trio.CancelScope(shield=True):
                await process.stdin.aclose()
                with trio.move_on_after(STOP_TIMEOUT):
                    await process.wait()
                if process.returncode is None:
                    process.kill()
                    await process.wait()
        server.returncode = process.returncode
        log.seek(0)
        server.error_lines = [
            line.rstrip() for line in log if any(marker in line for marker in ERROR_MARKERS)
        ]


if __name__ == "__main__":
    main()
