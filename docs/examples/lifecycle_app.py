"""Startup, background work in ``app.nursery``, and the order of shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

import trio

from trioquart import TrioQuart

app = TrioQuart(__name__)
events: list[str] = []
rates: dict[str, float] = {}


async def refresh_rates() -> None:
    while not app.shutdown_event.is_set():
        rates["EUR"] = 1.08  # pretend to fetch fresh rates
        with trio.move_on_after(60):
            await app.shutdown_event.wait()  # sleep, but wake up for shutdown
    events.append("refresh_rates finished")


async def send_welcome(address: str) -> None:
    try:
        await trio.sleep_forever()  # a job too slow to finish before shutdown
    except trio.Cancelled:
        events.append(f"welcome to {address} cancelled")
        raise


@app.before_serving
async def start_background_work() -> None:
    events.append("before_serving")
    app.nursery.start_soon(refresh_rates)


@app.while_serving
async def database() -> AsyncIterator[None]:
    events.append("database opened")
    yield  # the app serves while this generator waits here
    events.append("database closed")


@app.after_serving
async def goodbye() -> None:
    events.append("after_serving")


@app.post("/signup/<address>")
async def signup(address: str) -> tuple[str, int]:
    app.nursery.start_soon(send_welcome, address)  # outlives this request
    return "welcome mail on its way", 202


@app.get("/rates")
async def get_rates() -> dict[str, float]:
    return rates
