"""A subclass of TrioQuart that overrides two steps of the pipeline."""

from __future__ import annotations

import time
from typing import Any

from trioquart import Request, Response, TrioQuart


class TimedApp(TrioQuart):
    """Adds the time the view took to every response, errors included."""

    async def dispatch_request(self, request: Request) -> Any:
        started = time.perf_counter()
        try:
            return await super().dispatch_request(request)
        finally:
            request.view_time = time.perf_counter() - started  # type: ignore[attr-defined]

    async def process_response(self, response: Response, request: Request) -> Response:
        response = await super().process_response(response, request)
        view_time = getattr(request, "view_time", 0.0)
        response.headers["Server-Timing"] = f"view;dur={view_time * 1000:.1f}"
        return response


app = TimedApp(__name__)


@app.get("/")
async def index() -> str:
    return "timed"
