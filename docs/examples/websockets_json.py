"""JSON messages, and what to do with a client that sends something else."""

from __future__ import annotations

from werkzeug.exceptions import BadRequest

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)


@app.websocket("/sum")
async def sum_numbers() -> None:
    while True:
        try:
            numbers = await websocket.receive_json()
        except BadRequest as error:  # the message was not valid JSON
            await websocket.send_json({"error": error.description})
            continue
        await websocket.send_json({"sum": sum(numbers)})
