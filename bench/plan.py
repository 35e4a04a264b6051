"""How long and how often each scenario runs: the full plan and the ``--quick`` one.

Sized for a small shared machine: the full run takes about six minutes, the quick one under
thirty seconds. Rounds are interleaved across contenders (see ``runner.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.apps import CONTENDERS, SUBJECT
from bench.broadcast import BroadcastSettings
from bench.e2e import E2E_ROUTES, E2ERoute, E2ESettings
from bench.inprocess import HTTP_ROUTES, Durations, HttpRoute
from bench.instructions import InstructionSettings
from bench.memory import MemorySettings
from bench.route_scale import RoutingSettings
from bench.servers import ServerSettings
from bench.transfer import TransferSettings


@dataclass(frozen=True)
class Plan:
    """Scenarios, durations and repetitions of one benchmark run."""

    name: str
    rounds: int
    inprocess: Durations
    http_routes: tuple[HttpRoute, ...]
    ws_fan_outs: tuple[int, ...]
    routing: RoutingSettings
    e2e_rounds: int
    e2e: E2ESettings
    e2e_routes: tuple[E2ERoute, ...]
    e2e_ws_clients: tuple[int, ...]
    memory_rounds: int
    memory: MemorySettings
    memory_contenders: tuple[str, ...]
    transfer_rounds: int
    transfer: TransferSettings
    instructions: InstructionSettings
    broadcast_rounds: int
    broadcast: BroadcastSettings
    servers_rounds: int
    servers: ServerSettings


FULL = Plan(
    name="full",
    rounds=5,
    inprocess=Durations(http=0.2, ws=0.2, warmup=200),
    http_routes=HTTP_ROUTES,
    ws_fan_outs=(1, 100),
    routing=RoutingSettings(sizes=(10, 100, 1000), durations=Durations(http=0.2, ws=0, warmup=200)),
    # The end-to-end figures carry the most noise on a shared machine: many short rounds, so
    # that the ratios within a round (see runner.add_relative_to_raw) have many pairs.
    e2e_rounds=10,
    e2e=E2ESettings(seconds=1.0),
    e2e_routes=E2E_ROUTES,
    e2e_ws_clients=(1, 50),
    # Reaching 5,000 websockets takes the server about 7 s per contender: two rounds only.
    memory_rounds=2,
    memory=MemorySettings(clients=(1000, 5000)),
    memory_contenders=tuple(contender.name for contender in CONTENDERS),
    transfer_rounds=2,
    transfer=TransferSettings(download=1 << 30, upload=200 << 20),
    instructions=InstructionSettings(seconds=10),
    broadcast_rounds=3,
    broadcast=BroadcastSettings(subscribers=1000, latency=200, messages=2000),
    servers_rounds=5,
    servers=ServerSettings(http_seconds=5, ws_messages=3000, instruction_requests=1000),
)

QUICK = Plan(
    name="quick",
    rounds=1,
    inprocess=Durations(http=0.25, ws=0.25, warmup=100),
    http_routes=HTTP_ROUTES[:2],
    ws_fan_outs=(1,),
    routing=RoutingSettings(sizes=(10, 1000), durations=Durations(http=0.2, ws=0, warmup=100)),
    e2e_rounds=1,
    e2e=E2ESettings(seconds=1.0),
    e2e_routes=E2E_ROUTES[:2],
    e2e_ws_clients=(),
    memory_rounds=1,
    memory=MemorySettings(clients=(200,)),
    memory_contenders=("raw", SUBJECT),
    transfer_rounds=1,
    transfer=TransferSettings(download=128 << 20, upload=32 << 20),
    instructions=InstructionSettings(seconds=3),
    broadcast_rounds=1,
    broadcast=BroadcastSettings(subscribers=1000, latency=50, messages=300),
    # No instruction counts: two runs under Cachegrind per server, about a minute in all.
    servers_rounds=1,
    servers=ServerSettings(http_seconds=2, ws_messages=2000),
)
