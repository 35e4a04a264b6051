"""Server memory per idle websocket: RSS growth of a Hypercorn (trio) process per connection.

The server is a fresh ``bench.server`` process. A few warm-up connections come and go first,
so that lazily imported modules and first-use caches are not charged to the connections. Then
load generators in another process open websockets in steps up to each scale (1,000, then 4,000
more for 5,000), echo one message on each and hold them open; at each step the server's
resident set size is read from ``/proc``, and its open sockets are counted, so that a connection
dropped by the server cannot pass for memory saved.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bench.apps import Contender
from bench.process import holding, serving
from bench.procstat import rss_kib
from bench.stats import Sample

WARMUP_CLIENTS = 8
SETTLE_SECONDS = 0.3
# Files each process needs besides its sockets (modules, pipes, the listening socket...).
SPARE_FILES = 256


@dataclass(frozen=True)
class MemorySettings:
    """How many idle websockets to hold open, at each scale (increasing)."""

    clients: tuple[int, ...]


def scenario_name(clients: int) -> str:
    """The scenario's name in the report."""
    return f"{clients:,} idle websockets"


def check_file_limit(clients: int) -> None:
    """Fail early when the hard open-file limit cannot fit ``clients`` sockets per process.

    The server and the load generator each raise their soft limit to the hard one at start.
    """
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < clients + SPARE_FILES:
        raise RuntimeError(
            f"{clients} idle websockets need an open-file hard limit of at least "
            f"{clients + SPARE_FILES} (it is {hard}; see `ulimit -Hn`)"
        )


def _sockets(pid: int) -> int:
    """How many sockets process ``pid`` has open."""
    fd_dir = f"/proc/{pid}/fd"
    count = 0
    for fd in os.listdir(fd_dir):
        with contextlib.suppress(OSError):  # closed meanwhile
            count += os.readlink(f"{fd_dir}/{fd}").startswith("socket:")
    return count


def _settled_rss(pid: int) -> int:
    time.sleep(SETTLE_SECONDS)
    return rss_kib(pid)


@contextlib.contextmanager
def _idle(url: str, clients: int, *, kill: bool = False) -> Iterator[None]:
    """Hold ``clients`` idle websockets open (each checked with one echo) during the block."""
    with holding("ws-idle", url, "--clients", str(clients), kill=kill) as hello:
        if hello.get("errors"):
            raise RuntimeError(f"idle websockets: {hello['errors']} bad echoes")
        yield


def run(contender: Contender, settings: MemorySettings) -> dict[int, Sample]:
    """KiB of server RSS per idle websocket at each scale; extras: RSS in KiB, before and at.

    The connections of a smaller scale stay open while the next one is reached.
    """
    check_file_limit(max(settings.clients))
    samples = {}
    # Both sides are killed at the end: closing thousands of websockets takes longer than
    # opening them. The warm-up connections close normally, as the baseline needs.
    with serving(contender, kill=True) as server, contextlib.ExitStack() as held:
        url = server.ws_url + "/ws"
        with _idle(url, WARMUP_CLIENTS):
            pass
        baseline_sockets = _sockets(server.pid)
        before = _settled_rss(server.pid)
        opened = 0
        for clients in sorted(settings.clients):
            held.enter_context(_idle(url, clients - opened, kill=True))
            opened = clients
            after = _settled_rss(server.pid)
            held_sockets = _sockets(server.pid) - baseline_sockets
            if held_sockets < clients:
                raise RuntimeError(f"the server holds {held_sockets} of {clients} websockets")
            samples[clients] = Sample(
                (after - before) / clients, {"rss_before_kib": before, "rss_after_kib": after}
            )
    return samples
