"""HTTP load: keep-alive clients sending ``GET /hello`` and ``POST /sum`` at a steady rate."""

from __future__ import annotations

import random

import httpx
import trio

from soak.app import HELLO
from soak.endpoint import Endpoint
from soak.settings import Settings
from soak.tally import Tally

REQUEST_TIMEOUT = 30.0


async def _request(client: httpx.AsyncClient, rng: random.Random, tag: str) -> str:
    """One request, checked; returns its kind."""
    if rng.random() < 0.5:
        response = await client.get("/hello")
        if response.status_code != 200 or response.text != HELLO:
            raise ValueError(f"GET /hello: {response.status_code} {response.text[:80]!r}")
        return "get"
    values = [rng.randrange(1000) for _ in range(rng.randrange(1, 50))]
    response = await client.post("/sum", json={"id": tag, "values": values})
    if response.status_code != 200 or response.json() != {"id": tag, "sum": sum(values)}:
        raise ValueError(f"POST /sum: {response.status_code} {response.text[:80]!r}")
    return "post"


async def http_client(
    endpoint: Endpoint,
    settings: Settings,
    tally: Tally,
    rng: random.Random,
    name: str,
    stop: trio.Event,
) -> None:
    """Send requests on one keep-alive connection, ``http_rate / http_clients`` a second."""
    interval = settings.http_clients / settings.http_rate
    async with httpx.AsyncClient(base_url=endpoint.http_url, timeout=REQUEST_TIMEOUT) as client:
        next_at = trio.current_time() + rng.uniform(0, interval)
        number = 0
        while not stop.is_set():
            await trio.sleep_until(next_at)
            next_at = max(next_at + interval, trio.current_time())
            try:
                kind = await _request(client, rng, f"{name}:{number}")
            except (ValueError, httpx.HTTPError) as error:
                tally.error("http", error)
            else:
                tally.sessions[f"http {kind}"] += 1
            number += 1
