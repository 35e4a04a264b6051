"""One soak run: a warm-up, the baseline, the soak itself, and the server's return to baseline.

1. The server starts; its figures then are the *initial* ones.
2. Warm-up: the full load for ``warmup`` seconds, so that caches, lazily started services and
   the memory allocator's pools reach their working size. The clients then stop, and the
   server's figures once quiet (back to the initial ones, or unchanged for longer than
   Hypercorn's keep-alive timeout) are the *baseline*.
3. Soak: the full load for ``duration`` seconds, sampled every ``sample_interval`` seconds.
4. The clients stop (each finishes its session, within ``stop_grace`` seconds), and the
   server has ``settle`` seconds to come back to the baseline: its figures then are the *end*.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import trio

from soak.census import Census
from soak.endpoint import Endpoint
from soak.faults import abrupt_client
from soak.http_load import http_client
from soak.orderly import orderly_client
from soak.sampling import (
    Sample,
    read_census,
    read_task_list,
    sample_every,
    wait_until_back,
    wait_until_quiet,
)
from soak.server import running_server
from soak.settings import Settings
from soak.tally import Tally


@dataclass
class Outcome:
    """What a run measured."""

    settings: Settings
    initial: Census
    baseline: Census
    end: Census
    #: Seconds the soak's load ran, its stop included.
    elapsed: float
    #: CPU time the server and this driver used while the soak's load ran, in cores.
    server_cpu: float
    driver_cpu: float
    warmup: Tally
    soak: Tally
    samples: list[Sample]
    server_returncode: int | None = None
    server_errors: list[str] = field(default_factory=list)
    #: The server's tasks and where they wait, if they did not come back to the start.
    leftover_tasks: list[str] = field(default_factory=list)
    #: Phases whose clients had to be cancelled, not having finished within ``stop_grace``.
    hung_phases: list[str] = field(default_factory=list)


def is_abrupt(index: int) -> bool:
    """Whether websocket client ``index`` is an abrupt one (every third)."""
    return index % 3 == 2


async def _run_clients(
    endpoint: Endpoint, settings: Settings, tally: Tally, phase: str, stop: trio.Event
) -> None:
    async with trio.open_nursery() as nursery:
        for index in range(settings.websockets):
            rng = settings.rng(phase, "websocket", index)
            if is_abrupt(index):
                nursery.start_soon(abrupt_client, endpoint, settings, tally, rng, stop)
            else:
                name = f"{phase}-{index}"
                nursery.start_soon(orderly_client, endpoint, settings, tally, rng, name, stop)
        for index in range(settings.http_clients):
            rng = settings.rng(phase, "http", index)
            name = f"{phase}-http-{index}"
            nursery.start_soon(http_client, endpoint, settings, tally, rng, name, stop)


async def _load(
    endpoint: Endpoint,
    settings: Settings,
    phase: str,
    seconds: float,
    tally: Tally,
    samples: list[Sample],
) -> bool:
    """Run the clients for ``seconds``, sampling; then stop them. False if they had to be
    cancelled."""
    stop = trio.Event()
    async with trio.open_nursery() as sampler:
        await sampler.start(sample_every, settings.sample_interval, endpoint, tally, phase, samples)
        with trio.CancelScope() as clients:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_run_clients, endpoint, settings, tally, phase, stop)
                await trio.sleep(seconds)
                stop.set()
                clients.deadline = trio.current_time() + settings.stop_grace
        sampler.cancel_scope.cancel()
    return not clients.cancelled_caught


async def soak(settings: Settings) -> Outcome:
    """Run the whole soak against a fresh server process."""
    samples: list[Sample] = []
    warmup, main = Tally(), Tally()
    hung: list[str] = []
    quiet_span = settings.keep_alive + 1.0
    async with running_server(settings.keep_alive) as server:
        endpoint = server.endpoint
        initial = await read_census(endpoint)
        if not await _load(endpoint, settings, "warm-up", settings.warmup, warmup, samples):
            hung.append("warm-up")
        baseline = await wait_until_quiet(endpoint, initial, quiet_span, settings.settle)
        started, driver_started = trio.current_time(), time.process_time()
        if not await _load(endpoint, settings, "soak", settings.duration, main, samples):
            hung.append("soak")
        elapsed = trio.current_time() - started
        driver_cpu = (time.process_time() - driver_started) / elapsed
        server_cpu = ((await read_census(endpoint)).cpu_seconds - baseline.cpu_seconds) / elapsed
        end = await wait_until_back(endpoint, baseline, settings.settle)
        leftover = [] if end.within(initial) else await read_task_list(endpoint)
    return Outcome(
        settings=settings,
        initial=initial,
        baseline=baseline,
        end=end,
        elapsed=elapsed,
        server_cpu=server_cpu,
        driver_cpu=driver_cpu,
        warmup=warmup,
        soak=main,
        samples=samples,
        server_returncode=server.returncode,
        server_errors=server.error_lines,
        hung_phases=hung,
        leftover_tasks=leftover,
    )
