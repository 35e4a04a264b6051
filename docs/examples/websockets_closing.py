"""Closing a connection, and the close codes the framework sends by itself."""

from __future__ import annotations

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)
app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 1024  # larger messages close with 1009


@app.websocket("/goodbye")
async def goodbye() -> None:
    await websocket.send("goodbye")
    await websocket.close(4000, "come back tomorrow")  # any code 1000 or 3000-4999


@app.websocket("/done")
async def done() -> None:
    await websocket.send("all done")
    # Returning after accept: the framework closes with 1000.


@app.websocket("/broken")
async def broken() -> None:
    await websocket.send("about to fail")
    raise RuntimeError("the database is down")  # after accept: logged, closed with 1011


@app.websocket("/small")
async def small() -> None:
    while True:
        await websocket.send(f"{len(await websocket.receive())} received")
