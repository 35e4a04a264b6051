"""The server's figures over time: a sample every few seconds, and waits for a quiet server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import trio

from soak.census import Census
from soak.endpoint import Endpoint
from soak.tally import Tally

#: Seconds between two readings while waiting for the server to settle.
POLL_INTERVAL = 0.25


async def read_census(endpoint: Endpoint) -> Census:
    """Ask the server for its figures, on a connection of its own that it closes after."""
    async with httpx.AsyncClient(base_url=endpoint.http_url, timeout=30.0) as client:
        response = await client.get("/census", headers={"connection": "close"})
    response.raise_for_status()
    return Census(**response.json())


async def read_task_list(endpoint: Endpoint) -> list[str]:
    """Every trio task of the server and where it waits (to show what a leak is made of)."""
    async with httpx.AsyncClient(base_url=endpoint.http_url, timeout=30.0) as client:
        response = await client.get("/census/tasks", headers={"connection": "close"})
    response.raise_for_status()
    tasks: list[str] = response.json()["tasks"]
    return tasks


@dataclass(frozen=True)
class Sample:
    """The server's figures and the clients' counters at one moment of a phase."""

    phase: str
    seconds: float
    census: Census
    clients: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        return {
            "phase": self.phase,
            "seconds": round(self.seconds, 1),
            **self.census.as_dict(),
            **self.clients,
        }


async def sample_every(
    interval: float,
    endpoint: Endpoint,
    tally: Tally,
    phase: str,
    samples: list[Sample],
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Append a sample to ``samples`` every ``interval`` seconds, and print it, until cancelled."""
    start = trio.current_time()
    task_status.started()
    taken = 0
    while True:
        taken += 1
        await trio.sleep_until(start + interval * taken)
        census = await read_census(endpoint)
        sample = Sample(phase, trio.current_time() - start, census, tally.snapshot())
        samples.append(sample)
        print(progress_line(sample), flush=True)


def progress_line(sample: Sample) -> str:
    """One line about a sample, printed as the run goes."""
    clients = sample.clients
    return (
        f"[{sample.phase} {sample.seconds:6.1f}s] server: {sample.census.tasks} tasks, "
        f"{sample.census.fds} fds, {sample.census.rss_kib / 1024:.1f} MiB | clients: "
        f"{clients.get('open_websockets', 0)} websockets open, "
        f"{sum(clients.get('sessions', {}).values())} sessions, "
        f"{sum(clients.get('faults', {}).values())} faults, "
        f"{sum(clients.get('errors', {}).values())} errors"
    )


async def wait_until_quiet(
    endpoint: Endpoint, target: Census, span: float, timeout: float
) -> Census:
    """The server's figures once its tasks and files are down to ``target``, or have not
    changed for ``span`` seconds (or the last reading after ``timeout`` seconds)."""
    census = await read_census(endpoint)
    since = trio.current_time()
    with trio.move_on_after(timeout):
        while not census.within(target) and trio.current_time() - since < span:
            await trio.sleep(POLL_INTERVAL)
            reading = await read_census(endpoint)
            if (reading.tasks, reading.fds) != (census.tasks, census.fds):
                since = trio.current_time()
            census = reading
    return census


async def wait_until_back(endpoint: Endpoint, baseline: Census, timeout: float) -> Census:
    """The server's figures once its tasks and files are down to ``baseline`` (or the last
    reading after ``timeout`` seconds)."""
    census = await read_census(endpoint)
    with trio.move_on_after(timeout):
        while not census.within(baseline):
            await trio.sleep(POLL_INTERVAL)
            census = await read_census(endpoint)
    return census
