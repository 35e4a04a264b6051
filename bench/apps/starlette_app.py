"""The benchmark app written with Starlette (run under trio through anyio)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.apps import HELLO


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


app = Starlette(
    routes=[
        Route("/", hello),
        Route("/items/{id:int}", item),
        Route("/echo", echo, methods=["POST"]),
        WebSocketRoute("/ws", ws_echo),
    ]
)
