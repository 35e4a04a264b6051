"""Run the scenarios of a plan for every contender, interleaved, and collect the samples.

Contenders take turns within each round, and the order rotates from one round to the next, so
that a slow spell of a shared machine is spread over all of them instead of hitting one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import sys
import time
from collections.abc import Sequence
from typing import TypeVar

from bench import e2e, inprocess, instructions, memory, route_scale
from bench.apps import SUBJECT, Contender, load
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
    E2EGroups,
)
from bench.plan import Plan
from bench.process import Server, serving
from bench.report import Group, Results
from bench.stats import Sample

T = TypeVar("T")


def progress(text: str) -> None:
    """One progress line on stderr (stdout is for the report)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def rotated(items: Sequence[T], round_index: int) -> list[T]:
    """``items`` started at position ``round_index`` (modulo its length)."""
    shift = round_index % len(items)
    return [*items[shift:], *items[:shift]]


def load_apps(contenders: Sequence[Contender], results: Results) -> dict[str, ASGIApp]:
    """Import every contender's app; record the ones whose framework is not installed."""
    apps = {}
    for contender in contenders:
        try:
            apps[contender.name] = load(contender)
        except ImportError as error:
            results.skipped[contender.name] = f"not installed ({error})"
    return apps


def build_routing_apps(
    plan: Plan, contenders: Sequence[Contender]
) -> dict[str, dict[int, ASGIApp]]:
    """Each framework's app at every route-table size (the raw app has no table)."""
    built = {}
    for contender in contenders:
        apps = route_scale.build(contender, plan.routing.sizes)
        if apps is not None:
            built[contender.name] = apps
    return built


def freeze_heap() -> None:
    """Keep everything imported and built so far out of the timed collections, equally for all."""
    gc.collect()
    gc.freeze()


def run_inprocess(plan: Plan, apps: dict[str, ASGIApp], results: Results) -> None:
    """In-process HTTP and websocket scenarios, ``plan.rounds`` interleaved rounds."""
    names = list(apps)
    for round_index in range(plan.rounds):
        progress(f"in-process, round {round_index + 1}/{plan.rounds}")
        for name in rotated(names, round_index):
            for scenario, sample in inprocess.run_http(
                apps[name], plan.http_routes, plan.inprocess
            ).items():
                results.add(INPROCESS_HTTP, scenario, name, sample)
        for name in rotated(names, round_index):
            for scenario, sample in inprocess.run_ws(
                apps[name], plan.ws_fan_outs, plan.inprocess
            ).items():
                results.add(INPROCESS_WS, scenario, name, sample)


def run_e2e(plan: Plan, contenders: Sequence[Contender], results: Results) -> None:
    """Serve every app at once (idle servers cost no CPU), then load them in turns."""
    with contextlib.ExitStack() as stack:
        progress("end-to-end: starting the servers")
        servers: dict[str, Server] = {
            contender.name: stack.enter_context(serving(contender.module))
            for contender in contenders
        }
        for server in servers.values():
            e2e.check_and_warm(server)
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
        idle = instructions.idle_counts(contender.module, settings)
        for route in plan.e2e_routes:
            progress(f"{stage}: {contender.name}, {route.name}")
            sample = instructions.per_request(contender.module, route, idle, settings)
            results.add(INSTRUCTIONS, route.name, contender.name, sample)
            if caches:
                misses = Sample(sample.extras["l2_misses"])
                results.add(L2_MISSES, route.name, contender.name, misses)


def add_latencies(results: Results, group: Group, scenario: str, name: str, run: Sample) -> None:
    """Record the p50 and p99 latency of a load run as samples of their own."""
    for key in ("p50_ms", "p99_ms"):
        if key in run.extras:
            results.add(group, f"{scenario}, {key[:3]}", name, Sample(run.extras[key]))


def run_routing(plan: Plan, apps: dict[str, dict[int, ASGIApp]], results: Results) -> None:
    """Routing scale, ``plan.rounds`` interleaved rounds; growth computed within each round."""
    names = list(apps)
    smallest = min(plan.routing.sizes)
    for round_index in range(plan.rounds):
        progress(f"routing scale, round {round_index + 1}/{plan.rounds}")
        for name in rotated(names, round_index):
            samples = route_scale.run(apps[name], plan.routing)
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
            for clients, sample in memory.run(contender.module, plan.memory).items():
                results.add(MEMORY, memory.scenario_name(clients), contender.name, sample)


STAGES = ("inprocess", "routing", "e2e", "memory", "instructions", "caches")
#: What runs without ``--only``: the instruction counts take minutes and need Valgrind.
DEFAULT_STAGES = ("inprocess", "routing", "e2e", "memory")


def run(plan: Plan, contenders: Sequence[Contender], stages: Sequence[str]) -> Results:
    """Run the selected stages for the contenders whose framework is installed."""
    results = Results([contender.name for contender in contenders])
    apps = load_apps(contenders, results)
    available = [contender for contender in contenders if contender.name in apps]
    results.contenders = [contender.name for contender in available]
    if SUBJECT not in apps:
        raise RuntimeError(f"{SUBJECT} itself cannot be imported: {results.skipped[SUBJECT]}")
    routing_apps = build_routing_apps(plan, available) if "routing" in stages else {}
    freeze_heap()
    if "inprocess" in stages:
        run_inprocess(plan, apps, results)
    if "routing" in stages:
        run_routing(plan, routing_apps, results)
    if "e2e" in stages:
        run_e2e(plan, available, results)
    if "memory" in stages:
        run_memory(plan, available, results)
    if "instructions" in stages:
        run_instructions(plan, available, results)
    if "caches" in stages:
        run_instructions(plan, available, results, caches=True)
    return results
