"""The benchmark app written with trioquart (the framework under test)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

import trio

from bench.apps import (
    FILES_DIR_VAR,
    HELLO,
    UPLOAD_FIELD,
    UPLOAD_NAME,
    extra_converter_prefixes,
    extra_static_paths,
)
from trioquart import Response, TrioQuart, request, websocket


async def hello() -> str:
    """``GET /``: plain text."""
    return HELLO


async def item(id: int) -> dict[str, object]:
    """``GET /items/<id>``: JSON."""
    return {"id": id, "name": f"item {id}"}


async def echo() -> bytes:
    """``POST /echo``: the request body back."""
    data: bytes = await request.get_data(as_text=False)
    return data


async def ws_echo() -> None:
    """``/ws``: echo every message until the client leaves."""
    while True:
        await websocket.send(await websocket.receive())


def files_view(folder: str) -> Callable[[str], Awaitable[Response]]:
    """``GET /files/<name>``: the file ``name`` of ``folder``."""
    # Imported here: the baseline (an older trioquart) may have no send_from_directory.
    from trioquart import send_from_directory

    async def download(name: str) -> Response:
        return await send_from_directory(folder, name)

    return download


def upload_view(folder: str) -> Callable[[], Awaitable[dict[str, int]]]:
    """``POST /uploads``: save the form's file as ``UPLOAD_NAME`` in ``folder``; its size."""
    path = trio.Path(folder, UPLOAD_NAME)

    async def upload() -> dict[str, int]:
        files = await request.files
        await files[UPLOAD_FIELD].save(path)
        return {"saved": (await path.stat()).st_size}

    return upload


async def extra(id: int | None = None) -> str:
    """The view of every extra rule (never requested by the benchmark)."""
    return "extra"


def make_app(extra_routes: int = 0) -> TrioQuart:
    """The benchmark app, after ``extra_routes`` static and as many converter rules."""
    app = TrioQuart(__name__)
    # Under Cachegrind the server runs BENCH_TIME_SCALE times slower; the disconnect watch's
    # timer is slowed alike, so that requests take their full-speed path (bench/instructions.py).
    app.config["DISCONNECT_WATCH_DELAY"] *= float(os.environ.get("BENCH_TIME_SCALE", "1"))
    for index, path in enumerate(extra_static_paths(extra_routes)):
        app.add_url_rule(path, f"static_{index}", extra, ["GET"])
    for index, prefix in enumerate(extra_converter_prefixes(extra_routes)):
        app.add_url_rule(f"{prefix}/<int:id>", f"user_{index}", extra, ["GET"])
    app.get("/")(hello)
    app.get("/items/<int:id>")(item)
    app.post("/echo")(echo)
    app.websocket("/ws")(ws_echo)
    if folder := os.environ.get(FILES_DIR_VAR):
        app.get("/files/<name>")(files_view(folder))
        app.post("/uploads")(upload_view(folder))
        app.config["MAX_CONTENT_LENGTH"] = None
    return app


app = make_app()
