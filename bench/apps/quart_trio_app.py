"""The benchmark app written with quart-trio (Quart on trio)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

import trio
from quart import Response, request, send_from_directory, websocket
from quart_trio import QuartTrio

from bench.apps import (
    FILES_DIR_VAR,
    HELLO,
    UPLOAD_FIELD,
    UPLOAD_NAME,
    extra_converter_prefixes,
    extra_static_paths,
)


async def hello() -> str:
    """``GET /``: plain text."""
    return HELLO


async def item(id: int) -> dict[str, object]:
    """``GET /items/<id>``: JSON."""
    return {"id": id, "name": f"item {id}"}


async def echo() -> bytes:
    """``POST /echo``: the request body back."""
    return await request.get_data(cache=True, as_text=False, parse_form_data=False)


async def ws_echo() -> None:
    """``/ws``: echo every message until the client leaves."""
    while True:
        await websocket.send(await websocket.receive())


def files_view(folder: str) -> Callable[[str], Awaitable[Response]]:
    """``GET /files/<name>``: the file ``name`` of ``folder``."""

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


def make_app(extra_routes: int = 0) -> QuartTrio:
    """The benchmark app, after ``extra_routes`` static and as many converter rules."""
    app = QuartTrio(__name__)
    for index, path in enumerate(extra_static_paths(extra_routes)):
        app.add_url_rule(path, f"static_{index}", extra, methods=["GET"])
    for index, prefix in enumerate(extra_converter_prefixes(extra_routes)):
        app.add_url_rule(f"{prefix}/<int:id>", f"user_{index}", extra, methods=["GET"])
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
