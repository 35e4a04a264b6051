"""Server memory per idle websocket: RSS growth of a Hypercorn (trio) process per connection.

The server is a fresh ``bench.server`` process. A few warm-up connections come and go first,
so that lazily imported modules and first-use caches are not charged to the connections; then
a load generator in another process opens ``clients`` websockets, echoes one message on each,
and holds them open while the server's resident set size is read from ``/proc``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bench.process import holding, serving
from bench.procstat import rss_kib
from bench.stats import Sample

WARMUP_CLIENTS = 8
SETTLE_SECONDS = 0.3


@dataclass(frozen=True)
class MemorySettings:
    """How many idle websockets to hold open."""

    clients: int


def _settled_rss(pid: int) -> int:
    time.sleep(SETTLE_SECONDS)
    return rss_kib(pid)


@contextlib.contextmanager
def _idle(url: str, clients: int) -> Iterator[None]:
    """Hold ``clients`` idle websockets open (each checked with one echo) during the block."""
    with holding("ws-idle", url, "--clients", str(clients)) as hello:
        if hello.get("errors"):
            raise RuntimeError(f"idle websockets: {hello['errors']} bad echoes")
        yield


def run(module: str, settings: MemorySettings) -> Sample:
    """KiB of server RSS per idle websocket; extras: baseline and loaded RSS in KiB."""
    with serving(module) as server:
        url = server.ws_url + "/ws"
        with _idle(url, WARMUP_CLIENTS):
            pass
        before = _settled_rss(server.pid)
        with _idle(url, settings.clients):
            after = _settled_rss(server.pid)
    per_connection = (after - before) / settings.clients
    return Sample(per_connection, {"rss_before_kib": before, "rss_after_kib": after})
