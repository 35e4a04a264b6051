"""A first app: a page, a JSON endpoint and a websocket."""

from __future__ import annotations

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)


@app.get("/")
async def index() -> str:
    return "Hello from trio!"


@app.get("/hello/<name>")
async def hello(name: str) -> dict[str, str]:
    return {"greeting": f"Hello, {name}!"}  # a dict is sent as JSON


@app.websocket("/ws")
async def shout() -> None:
    while True:
        message = await websocket.receive()
        if isinstance(message, str):
            await websocket.send(message.upper())


if __name__ == "__main__":
    app.run()  # http://127.0.0.1:5000, on Hypercorn's trio worker
