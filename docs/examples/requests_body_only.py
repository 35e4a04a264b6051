"""A handler that waits only for the request body: answered without a cancel scope."""

from __future__ import annotations

from typing import Any

from trioquart import TrioQuart, request

app = TrioQuart(__name__)


@app.post("/notes")
async def add_note() -> tuple[dict[str, Any], int]:
    note = await request.get_json()
    return {"saved": note["text"]}, 201
