"""Signals: count responses by endpoint and status, without touching the views."""

from __future__ import annotations

from collections import Counter

from trioquart import Response, TrioQuart, request
from trioquart.signals import got_request_exception, request_finished

app = TrioQuart(__name__)
responses: Counter[tuple[str, int]] = Counter()
errors: list[str] = []


@request_finished.connect_via(app)
async def count_response(sender: TrioQuart, response: Response) -> None:
    responses[request.endpoint or "<unrouted>", response.status_code] += 1


@got_request_exception.connect_via(app)
def note_error(sender: TrioQuart, exception: Exception) -> None:
    # A plain receiver runs in a worker thread: fine for blocking work, such as a report.
    errors.append(f"{type(exception).__name__}: {exception}")


@app.get("/")
async def index() -> str:
    return "home"


@app.get("/divide/<int:by>")
async def divide(by: int) -> str:
    return str(100 // by)
