"""End-to-end scenarios: each app served by Hypercorn's trio worker in its own process.

HTTP load comes from ``wrk`` when it is installed (one thread, keep-alive connections), else
from the trio + h11 client in :mod:`bench.loadgen`; websocket echo from trio-websocket clients.
Both load generators run in another process, pinned to another core than the server.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench import wrk
from bench.apps import ECHO_BODY_SIZE, HELLO, item_json
from bench.process import LOAD_CPU, Server, loadgen, serving
from bench.stats import Sample

WS_CLIENTS = (1, 50)


@dataclass(frozen=True)
class E2ESettings:
    """Duration of each load run, and the number of HTTP connections."""

    seconds: float
    connections: int = 32


def check_routes(server: Server) -> None:
    """One request per route with the standard library client: wrong answers fail loudly."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    body = b"x" * ECHO_BODY_SIZE
    checks: list[tuple[str, str, bytes | None]] = [
        ("GET", "/", HELLO.encode()),
        ("GET", "/items/42", None),
        ("POST", "/echo", body),
    ]
    try:
        for method, path, expected in checks:
            conn.request(method, path, body=body if method == "POST" else None)
            response = conn.getresponse()
            data = response.read()
            ok = response.status == 200 and (
                data == expected if expected is not None else json.loads(data) == item_json(42)
            )
            if not ok:
                raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    finally:
        conn.close()


def _http_load(server: Server, method: str, path: str, settings: E2ESettings) -> Sample:
    body_size = ECHO_BODY_SIZE if method == "POST" else 0
    url = server.url + path
    if wrk.available():
        return wrk.run(
            url,
            method=method,
            body_size=body_size,
            connections=settings.connections,
            seconds=settings.seconds,
            cpu=LOAD_CPU,
        )
    result = loadgen(
        "http",
        url,
        "--method",
        method,
        "--body-size",
        str(body_size),
        "--connections",
        str(settings.connections),
        "--seconds",
        str(settings.seconds),
        timeout=settings.seconds + 60,
    )
    return _sample(result)


def _sample(result: dict[str, float]) -> Sample:
    extras = {"p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"]}
    if result.get("errors"):
        extras["errors"] = result["errors"]
    return Sample(result["rate"], extras)


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


def run(module: str, settings: E2ESettings, *, http: bool, ws: bool) -> dict[str, Sample]:
    """Serve one app and measure the selected end-to-end scenarios against it."""
    results: dict[str, Sample] = {}
    with serving(module) as server:
        check_routes(server)
        if http:
            results["GET /"] = _http_load(server, "GET", "/", settings)
            results["GET /items/<id>"] = _http_load(server, "GET", "/items/42", settings)
            results["POST /echo (1 KiB)"] = _http_load(server, "POST", "/echo", settings)
        if ws:
            for clients in WS_CLIENTS:
                noun = "client" if clients == 1 else "clients"
                results[f"ws echo, {clients} {noun}"] = _ws_load(server, clients, settings)
    return results
