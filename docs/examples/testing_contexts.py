"""Testing code that reads ``request`` without a view, redirects, a mount point and a client
that leaves (pytest with pytest-trio)."""

from __future__ import annotations

from typing import Any

import trio

from trioquart import Response, TrioQuart, redirect, request, url_for, websocket

app = TrioQuart(__name__)
left: list[int | None] = []  # the close code each /feed handler saw when its client left


async def note_from_request() -> dict[str, Any]:
    """Code that reads the request: called by a view, and tested on its own below."""
    data = await request.get_json()
    assert request.view_args is not None
    return {"id": request.view_args["note_id"], "text": data["text"]}


@app.post("/notes/<int:note_id>")
async def save_note(note_id: int) -> Response:
    await note_from_request()
    return redirect(url_for("show_note", note_id=note_id), 303)


@app.get("/notes/<int:note_id>")
async def show_note(note_id: int) -> dict[str, Any]:
    return {"id": note_id, "url": request.url}


@app.websocket("/feed")
async def feed() -> None:
    await websocket.accept()
    try:
        await trio.sleep_forever()
    finally:
        left.append(websocket.close_code)


async def test_note_from_request() -> None:
    async with app.test_request_context("/notes/7", method="POST", json={"text": "hi"}):
        assert request.endpoint == "save_note"  # routed as the app routes it
        assert await note_from_request() == {"id": 7, "text": "hi"}


async def test_saving_redirects_to_the_note() -> None:
    client = app.test_client()
    response = await client.post("/notes/7", json={"text": "hi"}, follow_redirects=True)
    assert await response.get_json() == {"id": 7, "url": "http://localhost/notes/7"}


async def test_mounted_under_a_prefix() -> None:
    client = app.test_client()
    response = await client.get("/api/notes/7", root_path="/api")  # the whole path
    assert await response.get_json() == {"id": 7, "url": "http://localhost/api/notes/7"}


async def test_a_client_that_leaves_cancels_the_feed() -> None:
    async with app.test_client().websocket("/feed") as ws:
        await ws.disconnect()  # no close frame: the handler sees trio.Cancelled
    assert left[-1] == 1005  # the block waited for the handler to finish
