"""Ranges and revalidation for any response (``make_conditional``), and ``send_file`` called
with Quart's argument names, as a Quart app calls it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

from trioquart import Response, TrioQuart, make_response, request, send_file

app = TrioQuart(__name__)
STATIC = Path(__file__).parent / "static"
SAMPLES = bytes(range(256)) * 64  # a 16 KiB clip made in memory


@app.get("/clip")
async def clip() -> Response:
    # Quart's video tutorial: the whole body, then make_conditional picks the part asked for.
    response = await make_response(SAMPLES)
    response.mimetype = "application/octet-stream"
    response.set_etag(hashlib.sha256(SAMPLES).hexdigest())
    return await response.make_conditional(
        request, accept_ranges=True, complete_length=len(SAMPLES)
    )


ROWS = [{"id": n, "name": f"row {n}"} for n in range(1000)]
LINES = [json.dumps(row).encode() + b"\n" for row in ROWS]


@app.get("/rows.ndjson")
async def rows() -> Response:
    # A stream of a known length: a range of it reads up to the range's end, no further.
    async def lines() -> AsyncIterator[bytes]:
        for line in LINES:
            yield line

    response = Response(lines(), mimetype="application/x-ndjson")
    length = sum(len(line) for line in LINES)
    return await response.make_conditional(request, accept_ranges=True, complete_length=length)


@app.get("/theme.css")
async def theme() -> Response:
    # Written for Quart: its names work unchanged (and trioquart answers Range and
    # If-None-Match here without conditional=True, its default).
    return await send_file(
        filename_or_io=STATIC / "style.css",
        as_attachment=True,
        attachment_filename="theme.css",
        cache_timeout=3600,
    )
