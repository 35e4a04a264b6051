"""Instructions per request under Cachegrind: the end-to-end cost without the machine's noise.

On a shared machine the end-to-end rates move by 5 to 20% from one run to the next, more than
the differences they are meant to show. Valgrind's Cachegrind counts the instructions a process
executes, which does not depend on what else the machine is doing. Each contender's server runs
under Cachegrind twice: once with no load (start-up and shutdown only) and once loaded by wrk;
the difference divided by the number of requests answered is the server's instructions per
request, Hypercorn, h11 and the kernel interface included.

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
from bench.apps import ECHO_BODY_SIZE
from bench.e2e import E2ERoute
from bench.process import LOAD_CPU, serving
from bench.stats import Sample

#: How much slower a server runs under Cachegrind (measured: 40 to 60 times).
SLOWDOWN = 50
_CACHEGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


@dataclass(frozen=True)
class InstructionSettings:
    """Duration of each loaded run and how many keep-alive connections wrk keeps."""

    seconds: float
    connections: int = 4


def available() -> bool:
    """Whether Valgrind and wrk are installed."""
    return shutil.which("valgrind") is not None and wrk.available()


def _run_server(
    module: str, load: E2ERoute | None, settings: InstructionSettings
) -> tuple[int, int]:
    """Serve ``module`` under Cachegrind, loaded on ``load`` (or not at all).

    Returns the instructions executed and the requests answered.
    """
    stderr: list[str] = []
    count = 0
    with serving(
        module,
        wrapper=_CACHEGRIND,
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
                raise RuntimeError(f"{module}: wrk saw errors on {load.path}")
            count = int(sample.extras["count"])
    found = _REFS.search(stderr[0])
    if found is None:
        raise RuntimeError(f"{module}: Cachegrind reported no instruction count")
    return int(found.group(1).replace(",", "")), count


def idle_instructions(module: str, settings: InstructionSettings) -> int:
    """Instructions of a server that starts and stops without a request."""
    instructions, _ = _run_server(module, None, settings)
    return instructions


def per_request(module: str, route: E2ERoute, idle: int, settings: InstructionSettings) -> Sample:
    """Instructions per request on ``route``, beyond the ``idle`` start-up and shutdown."""
    instructions, count = _run_server(module, route, settings)
    if count == 0:
        raise RuntimeError(f"{module}: no request answered on {route.path}")
    return Sample((instructions - idle) / count, {"count": float(count)})
