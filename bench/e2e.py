"""End-to-end scenarios: each app served by Hypercorn's trio worker in its own process.

HTTP load comes from ``wrk`` when it is installed (one thread, keep-alive connections), else
from the trio + h11 client in :mod:`bench.loadgen`; websocket echo from trio-websocket clients.
Both load generators run in another process, pinned to another core than the server.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench import wrk
from bench.apps import ECHO_BODY_SIZE, GET_JSON, GET_TEXT, HELLO, POST_ECHO, item_json
from bench.process import LOAD_CPU, Server, loadgen
from bench.procstat import CPU_TICK, cpu_seconds
from bench.stats import Sample

WARMUP_REQUESTS = 200


@dataclass(frozen=True)
class E2ERoute:
    """One HTTP scenario under load."""

    name: str
    method: str
    path: str


E2E_ROUTES = (
    E2ERoute(GET_TEXT, "GET", "/"),
    E2ERoute(GET_JSON, "GET", "/items/42"),
    E2ERoute(POST_ECHO, "POST", "/echo"),
)


@dataclass(frozen=True)
class E2ESettings:
    """Duration of each load run (whole seconds for wrk), and the number of HTTP connections."""

    seconds: float
    connections: int = 32


def check_and_warm(server: Server) -> None:
    """Check every route's answer, then warm it up with a few hundred keep-alive requests.

    A fast wrong answer is no result, so a wrong status or body fails the whole run.
    """
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    body = b"x" * ECHO_BODY_SIZE
    expected: dict[str, bytes | None] = {"/": HELLO.encode(), "/items/42": None, "/echo": body}
    try:
        for route in E2E_ROUTES:
            for _ in range(WARMUP_REQUESTS):
                conn.request(
                    route.method, route.path, body=body if route.method == "POST" else None
                )
                response = conn.getresponse()
                data = response.read()
            want = expected[route.path]
            ok = response.status == 200 and (
                data == want if want is not None else json.loads(data) == item_json(42)
            )
            if not ok:
                raise RuntimeError(f"{route.name}: {response.status} {data[:200]!r}")
    finally:
        conn.close()


def per_server_cpu(sample: Sample) -> Sample:
    """The same run counted per second of the server's CPU time instead of wall time.

    On a shared machine the server may wait for a core; its CPU time does not grow meanwhile.
    """
    return Sample(sample.extras["count"] / sample.extras["server_cpu_s"])


def _with_server_cpu(server: Server, load: Callable[[], Sample]) -> Sample:
    before = cpu_seconds(server.pid)
    sample = load()
    sample.extras["server_cpu_s"] = max(cpu_seconds(server.pid) - before, CPU_TICK)
    return sample


def http_load(server: Server, route: E2ERoute, settings: E2ESettings) -> Sample:
    """Requests/s of one route under ``settings.connections`` keep-alive connections.

    Extras: ``count`` requests and the server's CPU seconds (``server_cpu_s``) during the run.
    """
    return _with_server_cpu(server, lambda: _http_load(server, route, settings))


def _http_load(server: Server, route: E2ERoute, settings: E2ESettings) -> Sample:
    body_size = ECHO_BODY_SIZE if route.method == "POST" else 0
    url = server.url + route.path
    if wrk.available():
        return wrk.run(
            url,
            method=route.method,
            body_size=body_size,
            connections=settings.connections,
            seconds=settings.seconds,
            cpu=LOAD_CPU,
        )
    result = loadgen(
        "http",
        url,
        "--method",
        route.method,
        "--body-size",
        str(body_size),
        "--connections",
        str(settings.connections),
        "--seconds",
        str(settings.seconds),
        timeout=settings.seconds + 60,
    )
    return _sample(result)


def ws_scenario_name(clients: int) -> str:
    """The scenario's name in the report."""
    return f"ws echo, {clients} client{'s' if clients > 1 else ''}"


def ws_load(server: Server, clients: int, settings: E2ESettings) -> Sample:
    """Echoed messages/s with ``clients`` websockets ping-ponging 64-byte text messages.

    Extras as for :func:`http_load`.
    """
    return _with_server_cpu(server, lambda: _ws_load(server, clients, settings))


def _ws_load(server: Server, clients: int, settings: E2ESettings) -> Sample:
    result = loadgen(
        "ws",
        server.ws_url + "/ws",
        "--clients",
        str(clients),
        "--seconds",
        str(settings.seconds),
        timeout=settings.seconds + 60,
    )
    return _sample(result)


def _sample(result: dict[str, float]) -> Sample:
    extras = {"count": result["count"], "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"]}
    if result.get("errors"):
        extras["errors"] = result["errors"]
    return Sample(result["rate"], extras)
