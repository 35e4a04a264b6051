"""The report's tables: one group per kind of figure, with its unit and target."""

from __future__ import annotations

from typing import NamedTuple

from bench.e2e import ws_scenario_name
from bench.report import Group, Target

#: The end-to-end websocket targets: 0.97x raw with one client, 0.95x with 50.
_E2E_WS_TARGET = Target(min_ratio=0.95, min_ratio_for=((ws_scenario_name(1), 0.97),))

INPROCESS_HTTP = Group(
    "inprocess_http", "In-process HTTP (ASGI app called directly)", "requests per CPU second"
)
INPROCESS_WS = Group(
    "inprocess_ws",
    "In-process websocket echo",
    "messages per CPU second",
    target=Target(min_ratio=0.9),
)
ROUTING = Group(
    "routing",
    "Routing scale: in-process GET /items/<id> matched after N static and N converter rules",
    "requests per CPU second",
)
ROUTING_GROWTH = Group(
    "routing_growth",
    "Routing scale: cost per request relative to the smallest table, same rounds",
    "x",
    higher_is_better=False,
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
E2E_HTTP_PAIRED = Group(
    "e2e_http_paired",
    "End-to-end HTTP, same runs, each rate divided by raw's in the same round",
    "x raw",
    target=Target(min_ratio=0.95),
    relative=True,
)
E2E_HTTP_LATENCY = Group(
    "e2e_http_latency",
    "End-to-end HTTP latency, same runs (every connection keeps one request in flight)",
    "ms",
    higher_is_better=False,
)
E2E_WS = Group(
    "e2e_ws",
    "End-to-end websocket echo (Hypercorn trio worker)",
    "messages/s",
    target=_E2E_WS_TARGET,
)
E2E_WS_CPU = Group(
    "e2e_ws_cpu",
    "End-to-end websocket echo, same runs",
    "messages per server CPU second",
    target=_E2E_WS_TARGET,
)
E2E_WS_PAIRED = Group(
    "e2e_ws_paired",
    "End-to-end websocket echo, same runs, each rate divided by raw's in the same round",
    "x raw",
    target=_E2E_WS_TARGET,
    relative=True,
)
E2E_WS_LATENCY = Group(
    "e2e_ws_latency", "End-to-end websocket round trip, same runs", "ms", higher_is_better=False
)


class E2EGroups(NamedTuple):
    """The tables one kind of end-to-end load fills."""

    rate: Group
    per_cpu: Group
    latency: Group
    paired: Group


E2E_HTTP_GROUPS = E2EGroups(E2E_HTTP, E2E_HTTP_CPU, E2E_HTTP_LATENCY, E2E_HTTP_PAIRED)
E2E_WS_GROUPS = E2EGroups(E2E_WS, E2E_WS_CPU, E2E_WS_LATENCY, E2E_WS_PAIRED)

MEMORY = Group(
    "memory",
    "Server RSS per idle websocket (Hypercorn trio worker)",
    "KiB",
    higher_is_better=False,
    target=Target(max_value=26),
)
INSTRUCTIONS = Group(
    "instructions",
    "End-to-end server instructions per HTTP request (Hypercorn trio worker under Cachegrind)",
    "instructions",
    higher_is_better=False,
    # Issue 10: at most 1.06x raw's instructions per request under Hypercorn.
    target=Target(max_ratio=1.06),
)
L2_MISSES = Group(
    "l2_misses",
    "End-to-end server misses per HTTP request in a simulated 512 KiB L2 (Cachegrind), same runs",
    "misses",
    higher_is_better=False,
)

TRANSFER_RATE = Group(
    "transfer_rate",
    "Large file over one connection (Hypercorn trio worker)",
    "MB/s",
    per_op=False,
)
TRANSFER_CPU = Group(
    "transfer_cpu",
    "Large file over one connection, same runs",
    "MB per server CPU second",
    per_op=False,
)
TRANSFER_RSS = Group(
    "transfer_rss",
    "Server RSS around a large file transfer, same runs",
    "MiB",
    higher_is_better=False,
)
TRANSFER_GROWTH = Group(
    "transfer_growth",
    "Server RSS growth during a large file transfer, same runs",
    "KiB",
    higher_is_better=False,
)
