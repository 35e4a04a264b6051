"""The benchmark app written with Starlette (run under trio through anyio)."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.apps import FILES_DIR_VAR, HELLO, extra_converter_prefixes, extra_static_paths


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
    return Starlette(routes=routes)


app = make_app()
