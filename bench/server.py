"""Serve one benchmark app with Hypercorn's trio worker, in its own process.

``python -m bench.server MODULE [--source CHECKOUT]`` binds 127.0.0.1:0, prints one JSON line
``{"urls": [...], "pid": ...}`` on stdout once it is listening, and shuts down gracefully when
its stdin reaches end of file. With ``--source``, the app imports trioquart from that checkout
(the baseline; see :func:`bench.apps.import_app_module`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from functools import partial
from typing import Any

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from bench.apps import import_app_module


def raise_fd_limit() -> None:
    """Allow as many open sockets as the hard limit permits (for the idle-websocket scenario)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def make_config() -> Config:
    """Hypercorn's defaults, except: ephemeral port, no access log, quick shutdown."""
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.backlog = 2048
    config.graceful_timeout = 1.0
    return config


async def _wait_for_eof() -> None:
    """Return when stdin is closed (the parent's way of asking for a shutdown)."""
    async with trio.lowlevel.FdStream(os.dup(sys.stdin.fileno())) as stdin:
        while await stdin.receive_some():
            pass


async def _serve(app: Any) -> None:
    shutdown = trio.Event()
    async with trio.open_nursery() as nursery:
        urls = await nursery.start(
            partial(serve, app, make_config(), shutdown_trigger=shutdown.wait)
        )
        print(json.dumps({"urls": urls, "pid": os.getpid()}), flush=True)
        await _wait_for_eof()
        shutdown.set()


def main(argv: list[str] | None = None) -> None:
    """Import the app module and serve its app until stdin closes."""
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("module", help="e.g. bench.apps.raw")
    parser.add_argument("--source", help="a checkout to import trioquart from")
    args = parser.parse_args(argv)
    raise_fd_limit()
    module = import_app_module(args.module, args.source)
    trio.run(_serve, module.app)


if __name__ == "__main__":
    main()
