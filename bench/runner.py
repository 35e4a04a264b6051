"""Run the scenarios of a plan for every contender, interleaved, and collect the samples.

Contenders take turns within each round, and the order rotates from one round to the next, so
that a slow spell of a shared machine is spread over all of them instead of hitting one. The
baseline (trioquart at an older commit) takes its turn like the others; in process, its runs
happen in a child process of its own (:mod:`bench.isolated`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bench import (
    broadcast,
    e2e,
    inprocess,
    instructions,
    memory,
    route_scale,
    servers,
    transfer,
)
from bench.apps import BASELINE, SUBJECT, Contender, load
from bench.asgi import ASGIApp
from bench.groups import (
    E2E_HTTP_GROUPS,
    E2E_WS_GROUPS,
    INPROCESS_HTTP,
    INPROCESS_WS,
    INSTRUCTIONS,
    L2_MISSES,
    MEMORY,
    ROUTING,
    ROUTING_GROWTH,
    TRANSFER_CPU,
    TRANSFER_GROWTH,
    TRANSFER_RATE,
    TRANSFER_RSS,
    E2EGroups,
)
from bench.inprocess import Durations, HttpRoute, freeze_heap
from bench.isolated import Isolated
from bench.plan import Plan
from bench.process import Server, serving
from bench.report import Group, Results
from bench.route_scale import RoutingSettings
from bench.stats import Sample

T = TypeVar("T")


def progress(text: str) -> None:
    """One progress line on stderr (stdout is for the report)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def rotated(items: Sequence[T], round_index: int) -> list[T]:
    """``items`` started at position ``round_index`` (modulo its length)."""
    shift = round_index % len(items)
    return [*items[shift:], *items[:shift]]


class InProcess(Protocol):
    """A contender's in-process runs: in this process (:class:`Local`) or in a child of its own
    (:class:`bench.isolated.Isolated`)."""

    @property
    def has_route_table(self) -> bool:
        """Whether it has apps for the routing scale (the raw app has no table)."""

    def run_http(self, routes: Sequence[HttpRoute], d: Durations) -> dict[str, Sample]:
        """As :func:`bench.inprocess.run_http`."""

    def run_ws(self, fan_outs: Sequence[int], d: Durations) -> dict[str, Sample]:
        """As :func:`bench.inprocess.run_ws`."""

    def run_routing(self, settings: RoutingSettings) -> dict[int, Sample]:
        """As :func:`bench.route_scale.run`."""


@dataclass
class Local:
    """A contender's apps, imported into this process."""

    app: ASGIApp
    routing_apps: dict[int, ASGIApp] | None

    @property
    def has_route_table(self) -> bool:
        """Whether it has apps for the routing scale."""
        return self.routing_apps is not None

    def run_http(self, routes: Sequence[HttpRoute], d: Durations) -> dict[str, Sample]:
        """As :func:`bench.inprocess.run_http`."""
        return inprocess.run_http(self.app, routes, d)

    def run_ws(self, fan_outs: Sequence[int], d: Durations) -> dict[str, Sample]:
        """As :func:`bench.inprocess.run_ws`."""
        return inprocess.run_ws(self.app, fan_outs, d)

    def run_routing(self, settings: RoutingSettings) -> dict[int, Sample]:
        """As :func:`bench.route_scale.run`."""
        assert self.routing_apps is not None
        return route_scale.run(self.routing_apps, settings)


def load_apps(
    contenders: Sequence[Contender],
    routing_sizes: Sequence[int],
    results: Results,
    stack: contextlib.ExitStack,
) -> dict[str, InProcess]:
    """Import every contender's app, and build it at each route-table size if any; record the
    contenders whose framework is not installed. The baseline's apps go to a child process."""
    apps: dict[str, InProcess] = {}
    for contender in contenders:
        try:
            if contender.source is not None:
                child = stack.enter_context(contextlib.closing(Isolated(contender, routing_sizes)))
                progress(f"{contender.name}: in-process child imported {child.imported}")
                apps[contender.name] = child
            else:
                routing = route_scale.build(contender, routing_sizes) if routing_sizes else None
                apps[contender.name] = Local(load(contender), routing)
        except ImportError as error:
            results.skipped[contender.name] = f"not installed ({error})"
    return apps


def run_inprocess(plan: Plan, apps: dict[str, InProcess], results: Results) -> None:
    """In-process HTTP and websocket scenarios, ``plan.rounds`` interleaved rounds."""
    names = list(apps)
    for round_index in range(plan.rounds):
        progress(f"in-process, round {round_index + 1}/{plan.rounds}")
        for name in rotated(names, round_index):
            samples = apps[name].run_http(plan.http_routes, plan.inprocess)
            for scenario, sample in samples.items():
                results.add(INPROCESS_HTTP, scenario, name, sample)
        for name in rotated(names, round_index):
            samples = apps[name].run_ws(plan.ws_fan_outs, plan.inprocess)
            for scenario, sample in samples.items():
                results.add(INPROCESS_WS, scenario, name, sample)


def run_e2e(plan: Plan, contenders: Sequence[Contender], results: Results) -> None:
    """Serve every app at once (idle servers cost no CPU), then load them in turns."""
    with contextlib.ExitStack() as stack:
        progress("end-to-end: starting the servers")
        servers: dict[str, Server] = {
            contender.name: stack.enter_context(serving(contender)) for contender in contenders
        }
        for name, server in servers.items():
            try:
                e2e.check_and_warm(server)
            except RuntimeError as error:
                raise RuntimeError(f"{name}: {error}") from None
        names = list(servers)
        for round_index in range(plan.e2e_rounds):
            progress(f"end-to-end, round {round_index + 1}/{plan.e2e_rounds}")
            turn = rotated(names, round_index)
            for route in plan.e2e_routes:
                scenario = route.name
                runs = {name: e2e.http_load(servers[name], route, plan.e2e) for name in turn}
                record_e2e(results, scenario, runs, E2E_HTTP_GROUPS)
            for clients in plan.e2e_ws_clients:
                scenario = e2e.ws_scenario_name(clients)
                runs = {name: e2e.ws_load(servers[name], clients, plan.e2e) for name in turn}
                record_e2e(results, scenario, runs, E2E_WS_GROUPS)


def record_e2e(results: Results, scenario: str, runs: dict[str, Sample], groups: E2EGroups) -> None:
    """Record one round of load runs: rates, per server CPU second, latencies, ratios."""
    for name, run in runs.items():
        results.add(groups.rate, scenario, name, run)
        results.add(groups.per_cpu, scenario, name, e2e.per_server_cpu(run))
        add_latencies(results, groups.latency, scenario, name, run)
    add_relative_to_raw(results, groups.paired, scenario, runs)


def add_relative_to_raw(
    results: Results, group: Group, scenario: str, samples: dict[str, Sample]
) -> None:
    """Record each contender's rate in one round divided by raw's in the same round.

    The contenders of a round are measured one right after the other, so a slow spell of a
    shared machine that lasts longer than that weighs on all of them alike and cancels out.
    """
    raw = samples.get("raw")
    if raw is None or not raw.value:
        return
    for name, sample in samples.items():
        results.add(group, scenario, name, Sample(sample.value / raw.value))


def run_instructions(
    plan: Plan, contenders: Sequence[Contender], results: Results, *, caches: bool = False
) -> None:
    """Instructions per request of each served app (one run each: the counts do not vary);
    with ``caches``, also its misses in a simulated L2."""
    stage = "caches" if caches else "instructions"
    if not instructions.available():
        results.skipped[stage] = "Valgrind or wrk is not installed"
        return
    settings = dataclasses.replace(plan.instructions, cache_sim=caches)
    for contender in contenders:
        progress(f"{stage}: {contender.name} at rest")
        idle = instructions.idle_counts(contender, settings)
        for route in plan.e2e_routes:
            progress(f"{stage}: {contender.name}, {route.name}")
            sample = instructions.per_request(contender, route, idle, settings)
            results.add(INSTRUCTIONS, route.name, contender.name, sample)
            if caches:
                misses = Sample(sample.extras["l2_misses"])
                results.add(L2_MISSES, route.name, contender.name, misses)


def add_latencies(results: Results, group: Group, scenario: str, name: str, run: Sample) -> None:
    """Record the p50 and p99 latency of a load run as samples of their own."""
    for key in ("p50_ms", "p99_ms"):
        if key in run.extras:
            results.add(group, f"{scenario}, {key[:3]}", name, Sample(run.extras[key]))


def run_routing(plan: Plan, apps: dict[str, InProcess], results: Results) -> None:
    """Routing scale, ``plan.rounds`` interleaved rounds; growth computed within each round."""
    names = [name for name, app in apps.items() if app.has_route_table]
    smallest = min(plan.routing.sizes)
    for round_index in range(plan.rounds):
        progress(f"routing scale, round {round_index + 1}/{plan.rounds}")
        for name in rotated(names, round_index):
            samples = apps[name].run_routing(plan.routing)
            for size, sample in samples.items():
                results.add(ROUTING, route_scale.scenario_name(size), name, sample)
            for size, ratio in route_scale.growth(samples).items():
                results.add(ROUTING_GROWTH, route_scale.growth_name(size, smallest), name, ratio)


def run_memory(plan: Plan, contenders: Sequence[Contender], results: Results) -> None:
    """Idle-websocket memory, one fresh server at a time, in interleaved rounds."""
    chosen = [contender for contender in contenders if contender.name in plan.memory_contenders]
    scales = ", ".join(f"{n:,}" for n in plan.memory.clients)
    for round_index in range(plan.memory_rounds):
        for contender in rotated(chosen, round_index):
            progress(
                f"memory, round {round_index + 1}/{plan.memory_rounds}: "
                f"{scales} idle websockets on {contender.name}"
            )
            for clients, sample in memory.run(contender, plan.memory).items():
                results.add(MEMORY, memory.scenario_name(clients), contender.name, sample)


def run_transfer(plan: Plan, contenders: Sequence[Contender], results: Results) -> None:
    """Large transfers, one fresh server at a time, in interleaved rounds. A baseline whose
    trioquart cannot send files is reported as skipped."""
    names = ", ".join(t.name for t in transfer.transfers(plan.transfer))
    chosen = list(contenders)
    with transfer.files_folder(plan.transfer) as folder:
        for round_index in range(plan.transfer_rounds):
            for contender in rotated(chosen, round_index):
                progress(
                    f"transfer, round {round_index + 1}/{plan.transfer_rounds}: "
                    f"{names} on {contender.name}"
                )
                try:
                    measured = transfer.run(contender, plan.transfer, folder)
                except RuntimeError as error:
                    if contender.source is None:
                        raise
                    results.skipped[f"{contender.name} (transfer)"] = str(error).splitlines()[-1]
                    chosen.remove(contender)
                    continue
                for scenario, measurement in measured.items():
                    record_transfer(results, scenario, contender.name, measurement)


def record_transfer(
    results: Results, scenario: str, name: str, measurement: transfer.Measured
) -> None:
    """Record one transfer: throughput, per server CPU second, RSS and its growth."""
    results.add(TRANSFER_RATE, scenario, name, transfer.rate_sample(measurement))
    results.add(TRANSFER_CPU, scenario, name, transfer.per_cpu_sample(measurement))
    for label, sample in transfer.rss_samples(measurement).items():
        results.add(TRANSFER_RSS, f"{scenario}: {label}", name, sample)
    for label, sample in transfer.growth_samples(measurement).items():
        results.add(TRANSFER_GROWTH, f"{scenario}: {label}", name, sample)


STAGES = (
    "inprocess",
    "routing",
    "e2e",
    "memory",
    "transfer",
    "instructions",
    "caches",
    "broadcast",
    "servers",
)
#: What runs without ``--only``: the instruction counts take minutes and need Valgrind; the
#: transfers move gigabytes; the broadcast stage measures a library, and the servers stage
#: servers, not the apps.
DEFAULT_STAGES = ("inprocess", "routing", "e2e", "memory")


def run(plan: Plan, contenders: Sequence[Contender], stages: Sequence[str]) -> Results:
    """Run the selected stages for the contenders whose framework is installed.

    Without its baseline, the run needs trioquart itself; with one, a current trioquart that
    cannot be imported is reported as skipped and the baseline is still measured.
    """
    results = Results([contender.name for contender in contenders])
    with contextlib.ExitStack() as stack:
        routing_sizes = plan.routing.sizes if "routing" in stages else ()
        apps = load_apps(contenders, routing_sizes, results, stack)
        available = [contender for contender in contenders if contender.name in apps]
        results.contenders = [contender.name for contender in available]
        if SUBJECT not in apps and BASELINE not in apps:
            reasons = [results.skipped[n] for n in (SUBJECT, BASELINE) if n in results.skipped]
            raise RuntimeError(f"{SUBJECT} itself cannot be imported: {'; '.join(reasons)}")
        freeze_heap()
        if "inprocess" in stages:
            run_inprocess(plan, apps, results)
        if "routing" in stages:
            run_routing(plan, apps, results)
        if "e2e" in stages:
            run_e2e(plan, available, results)
        if "memory" in stages:
            run_memory(plan, available, results)
        if "transfer" in stages:
            run_transfer(plan, available, results)
        if "instructions" in stages:
            run_instructions(plan, available, results)
        if "caches" in stages:
            run_instructions(plan, available, results, caches=True)
        if "broadcast" in stages:
            broadcast.run(plan.broadcast, plan.broadcast_rounds, results, progress)
        if "servers" in stages:
            servers.run(plan.servers, plan.servers_rounds, results, progress)
    return results
