"""The benchmark app written with Starlette (run under trio through anyio)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Awaitable, Callable
from typing import BinaryIO

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.apps import (
    FILES_DIR_VAR,
    HELLO,
    UPLOAD_FIELD,
    UPLOAD_NAME,
    extra_converter_prefixes,
    extra_static_paths,
)

_COPY_CHUNK = 64 * 1024


async def hello(request: Request) -> Response:
    """``GET /``: plain text."""
    return PlainTextResponse(HELLO)


async def item(request: Request) -> Response:
    """``GET /items/{id:int}``: JSON."""
    item_id: int = request.path_params["id"]
    return JSONResponse({"id": item_id, "name": f"item {item_id}"})


async def echo(request: Request) -> Response:
    """``POST /echo``: the request body back."""
    return Response(await request.body(), media_type="application/octet-stream")


async def ws_echo(websocket: WebSocket) -> None:
    """``/ws``: echo text until the client disconnects."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


def upload_view(folder: str) -> Callable[[Request], Awaitable[Response]]:
    """``POST /uploads``: save the form's file as ``UPLOAD_NAME`` in ``folder``, copied from
    Starlette's spooled file in one worker-thread call (as trioquart's ``save`` does); its
    size."""
    path = os.path.join(folder, UPLOAD_NAME)

    async def upload(request: Request) -> Response:
        # The context manager closes the spooled files once done.
        async with request.form() as form:
            file = form[UPLOAD_FIELD]
            if not isinstance(file, UploadFile):
                return PlainTextResponse("no file", status_code=400)
            saved = await anyio.to_thread.run_sync(_copy, file.file, path)
        return JSONResponse({"saved": saved})

    return upload


def _copy(source: BinaryIO, path: str) -> int:
    """Copy ``source`` to a new file at ``path``; the bytes written."""
    with open(path, "wb") as target:
        shutil.copyfileobj(source, target, _COPY_CHUNK)
        return target.tell()


async def extra(request: Request) -> Response:
    """The view of every extra route (never requested by the benchmark)."""
    return PlainTextResponse("extra")


def make_app(extra_routes: int = 0) -> Starlette:
    """The benchmark app, after ``extra_routes`` static and as many converter routes."""
    routes: list[BaseRoute] = [
        *(
            Route(path, extra, name=f"static_{i}")
            for i, path in enumerate(extra_static_paths(extra_routes))
        ),
        *(
            Route(f"{prefix}/{{id:int}}", extra, name=f"user_{i}")
            for i, prefix in enumerate(extra_converter_prefixes(extra_routes))
        ),
        Route("/", hello),
        Route("/items/{id:int}", item),
        Route("/echo", echo, methods=["POST"]),
        WebSocketRoute("/ws", ws_echo),
    ]
    if folder := os.environ.get(FILES_DIR_VAR):
        routes.append(Mount("/files", StaticFiles(directory=folder)))
        routes.append(Route("/uploads", upload_view(folder), methods=["POST"]))
    return Starlette(routes=routes)


app = make_app()
