"""Instructions per request under Cachegrind: the end-to-end cost without the machine's noise.

On a shared machine the end-to-end rates move by 5 to 20% from one run to the next, more than
the differences they are meant to show. Valgrind's Cachegrind counts the instructions a process
executes, which does not depend on what else the machine is doing. Each contender's server runs
under Cachegrind twice: once with no load (start-up and shutdown only) and once loaded by wrk;
the difference divided by the number of requests answered is the server's instructions per
request, Hypercorn, h11 and the kernel interface included.

With ``cache_sim`` (the ``caches`` stage), Cachegrind also simulates the caches, with its
last level set to the size of one core's L2 (512 KiB, 8-way, as on the AMD EPYC machines this
project is measured on): misses there go to the shared L3 or to memory, tens of cycles each,
which instruction counts do not show. The server then runs slower still, and the stage takes
several minutes per contender.

The server runs about 50 times slower under Cachegrind, so anything driven by a wall-clock
timer happens 50 times more often per request. trioquart's disconnect watch is such a timer
(a request still running after two ticks gets a watcher task): its app module scales
``DISCONNECT_WATCH_DELAY`` by :data:`SLOWDOWN` (``BENCH_TIME_SCALE``), so that requests take
the same path as at full speed. The peers have no timer on the request path.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass

from bench import wrk
from bench.apps import ECHO_BODY_SIZE, Contender
from bench.e2e import E2ERoute
from bench.process import LOAD_CPU, serving
from bench.stats import Sample

#: How much slower a server runs under Cachegrind (measured: 40 to 60 times).
SLOWDOWN = 50
_CACHEGRIND = ("valgrind", "--tool=cachegrind", "--cachegrind-out-file=/dev/null")
_NO_CACHE_SIM = ("--cache-sim=no",)
#: A core's L2 as Cachegrind's last level: size, associativity, line size.
_L2_AS_LAST_LEVEL = ("--cache-sim=yes", "--LL=524288,8,64")
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")
_LAST_LEVEL_MISSES = re.compile(r"LL misses:\s+([\d,]+)")


@dataclass(frozen=True)
class InstructionSettings:
    """Duration of each loaded run and how many keep-alive connections wrk keeps."""

    seconds: float
    connections: int = 4
    cache_sim: bool = False


def available() -> bool:
    """Whether Valgrind and wrk are installed."""
    return shutil.which("valgrind") is not None and wrk.available()


@dataclass(frozen=True)
class Counts:
    """What Cachegrind counted in one server process."""

    instructions: int
    #: Misses in the simulated L2 (0 without ``cache_sim``).
    l2_misses: int = 0


def _run_server(
    contender: Contender, load: E2ERoute | None, settings: InstructionSettings
) -> tuple[Counts, int]:
    """Serve the contender's app under Cachegrind, loaded on ``load`` (or not at all).

    Returns what Cachegrind counted and the requests answered.
    """
    stderr: list[str] = []
    count = 0
    options = _L2_AS_LAST_LEVEL if settings.cache_sim else _NO_CACHE_SIM
    with serving(
        contender,
        wrapper=(*_CACHEGRIND, *options),
        extra_env={"BENCH_TIME_SCALE": str(SLOWDOWN)},
        slowdown=SLOWDOWN,
        stderr=stderr,
    ) as server:
        if load is not None:
            sample = wrk.run(
                server.url + load.path,
                method=load.method,
                body_size=ECHO_BODY_SIZE if load.method == "POST" else 0,
                connections=settings.connections,
                seconds=settings.seconds,
                cpu=LOAD_CPU,
            )
            if sample.extras.get("errors"):
                raise RuntimeError(f"{contender.name}: wrk saw errors on {load.path}")
            count = int(sample.extras["count"])
    found = _REFS.search(stderr[0])
    if found is None:
        raise RuntimeError(f"{contender.name}: Cachegrind reported no instruction count")
    misses = _LAST_LEVEL_MISSES.search(stderr[0]) if settings.cache_sim else None
    if settings.cache_sim and misses is None:
        raise RuntimeError(f"{contender.name}: Cachegrind reported no cache misses")
    return Counts(_number(found), _number(misses) if misses else 0), count


def _number(found: re.Match[str]) -> int:
    return int(found.group(1).replace(",", ""))


def idle_counts(contender: Contender, settings: InstructionSettings) -> Counts:
    """What a server that starts and stops without a request executes."""
    counts, _ = _run_server(contender, None, settings)
    return counts


def per_request(
    contender: Contender, route: E2ERoute, idle: Counts, settings: InstructionSettings
) -> Sample:
    """Instructions per request on ``route``, beyond the ``idle`` start-up and shutdown.

    Extras: ``count`` requests, and ``l2_misses`` per request with ``cache_sim``.
    """
    counts, count = _run_server(contender, route, settings)
    if count == 0:
        raise RuntimeError(f"{contender.name}: no request answered on {route.path}")
    extras = {"count": float(count)}
    if settings.cache_sim:
        extras["l2_misses"] = (counts.l2_misses - idle.l2_misses) / count
    return Sample((counts.instructions - idle.instructions) / count, extras)
