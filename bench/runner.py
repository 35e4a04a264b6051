"""Run the scenarios of a plan for every contender, interleaved, and collect the samples.

Contenders take turns within each round, and the order rotates from one round to the next, so
that a slow spell of a shared machine is spread over all of them instead of hitting one.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections.abc import Sequence
from typing import TypeVar

from bench import e2e, inprocess, memory
from bench.apps import SUBJECT, Contender, load
from bench.asgi import ASGIApp
from bench.plan import Plan
from bench.process import Server, serving
from bench.report import Group, Results, Target

INPROCESS_HTTP = Group(
    "inprocess_http", "In-process HTTP (ASGI app called directly)", "requests per CPU second"
)
INPROCESS_WS = Group(
    "inprocess_ws",
    "In-process websocket echo",
    "messages per CPU second",
    target=Target(min_ratio=0.9),
)
E2E_HTTP = Group(
    "e2e_http",
    "End-to-end HTTP (Hypercorn trio worker, loaded by wrk)",
    "requests/s",
    target=Target(min_ratio=0.95),
)
E2E_HTTP_CPU = Group(
    "e2e_http_cpu",
    "End-to-end HTTP, same runs",
    "requests per server CPU second",
    target=Target(min_ratio=0.95),
)
E2E_WS = Group("e2e_ws", "End-to-end websocket echo (Hypercorn trio worker)", "messages/s")
E2E_WS_CPU = Group(
    "e2e_ws_cpu", "End-to-end websocket echo, same runs", "messages per server CPU second"
)
MEMORY = Group(
    "memory",
    "Server RSS per idle websocket (Hypercorn trio worker)",
    "KiB",
    higher_is_better=False,
    target=Target(max_value=26),
)

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
    # Everything imported so far lives on: keep it out of the timed collections, equally for all.
    gc.collect()
    gc.freeze()
    return apps


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
            for route in plan.e2e_routes:
                for name in rotated(names, round_index):
                    sample = e2e.http_load(servers[name], route, plan.e2e)
                    results.add(E2E_HTTP, route.name, name, sample)
                    results.add(E2E_HTTP_CPU, route.name, name, e2e.per_server_cpu(sample))
            for clients in plan.e2e_ws_clients:
                scenario = e2e.ws_scenario_name(clients)
                for name in rotated(names, round_index):
                    sample = e2e.ws_load(servers[name], clients, plan.e2e)
                    results.add(E2E_WS, scenario, name, sample)
                    results.add(E2E_WS_CPU, scenario, name, e2e.per_server_cpu(sample))


def run_memory(plan: Plan, contenders: Sequence[Contender], results: Results) -> None:
    """Idle-websocket memory, one fresh server at a time."""
    for contender in contenders:
        if contender.name in plan.memory_contenders:
            progress(f"memory: {plan.memory.clients} idle websockets on {contender.name}")
            sample = memory.run(contender.module, plan.memory)
            scenario = f"{plan.memory.clients} idle websockets"
            results.add(MEMORY, scenario, contender.name, sample)


STAGES = ("inprocess", "e2e", "memory")


def run(plan: Plan, contenders: Sequence[Contender], stages: Sequence[str]) -> Results:
    """Run the selected stages for the contenders whose framework is installed."""
    results = Results([contender.name for contender in contenders])
    apps = load_apps(contenders, results)
    available = [contender for contender in contenders if contender.name in apps]
    results.contenders = [contender.name for contender in available]
    if SUBJECT not in apps:
        raise RuntimeError(f"{SUBJECT} itself cannot be imported: {results.skipped[SUBJECT]}")
    if "inprocess" in stages:
        run_inprocess(plan, apps, results)
    if "e2e" in stages:
        run_e2e(plan, available, results)
    if "memory" in stages:
        run_memory(plan, available, results)
    return results
