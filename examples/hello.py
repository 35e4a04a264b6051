"""A small example app: a page, a JSON endpoint and a websocket echo.

Run it with ``python -m trioquart run examples.hello:app``. (``nox -s demo`` serves the chat
demo, ``examples.chat:app``, not this one.)
"""

from __future__ import annotations

from typing import Any

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)

PAGE = """<!doctype html>
<title>trioquart demo</title>
<h1>Hello from trioquart</h1>
<p>Try <a href="/hello/trio">/hello/trio</a>, or type below to talk to the websocket echo.</p>
<input id="message" autofocus> <button id="send">Send</button>
<ul id="log"></ul>
<script>
  const socket = new WebSocket(`ws://${location.host}/ws`);
  const log = document.getElementById("log");
  socket.onmessage = (event) => {
    const item = document.createElement("li");
    item.textContent = event.data;
    log.appendChild(item);
  };
  document.getElementById("send").onclick = () => {
    const input = document.getElementById("message");
    socket.send(input.value);
    input.value = "";
  };
</script>
"""


@app.get("/")
async def index() -> str:
    """The demo page."""
    return PAGE


@app.get("/hello/<name>")
async def hello(name: str) -> dict[str, Any]:
    """A JSON greeting."""
    return {"greeting": f"Hello, {name}!"}


@app.websocket("/ws")
async def echo() -> None:
    """Send every message back as it came (text as text, bytes as bytes)."""
    while True:
        await websocket.send(await websocket.receive())
