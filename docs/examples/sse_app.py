"""Server-sent events: a room whose messages reach every open page as they are posted.

Run it with ``python -m trioquart run docs.examples.sse_app:app`` and open the page in two
windows. The page reads ``/events`` with ``EventSource`` and posts to ``/say``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import trio

from trioquart import Response, ServerSentEvent, TrioQuart, abort, event_stream, request

app = TrioQuart(__name__)


@dataclass(frozen=True)
class Message:
    id: int
    text: str

    def event(self) -> ServerSentEvent:
        return ServerSentEvent({"text": self.text}, id=self.id)


class Room:
    """The latest messages, and a channel to each page that is listening."""

    def __init__(self, keep: int = 100, backlog: int = 16) -> None:
        self.recent: deque[Message] = deque(maxlen=keep)
        self.listeners: set[trio.MemorySendChannel[Message]] = set()
        self.backlog = backlog
        self.last_id = 0

    def post(self, text: str) -> Message:
        self.last_id += 1
        message = Message(self.last_id, text)
        self.recent.append(message)
        for listener in list(self.listeners):
            try:
                listener.send_nowait(message)
            except trio.WouldBlock:
                # A page this far behind loses its stream; its browser reconnects with
                # Last-Event-ID and catches up from `recent`.
                listener.close()
                self.listeners.discard(listener)
        return message

    def since(self, last_id: int) -> list[Message]:
        return [message for message in self.recent if message.id > last_id]

    @contextmanager
    def subscribe(self) -> Iterator[trio.MemoryReceiveChannel[Message]]:
        send, receive = trio.open_memory_channel[Message](self.backlog)
        self.listeners.add(send)
        try:
            yield receive
        finally:
            self.listeners.discard(send)


room = Room()


@app.get("/events")
async def events() -> Response:
    # Sent by the browser when it reconnects: the ID of the last event it received.
    last_id = request.headers.get("Last-Event-ID", 0, type=int)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(retry=2_000)  # reconnect 2 s after losing the stream
        with room.subscribe() as new_messages:
            # Subscribed before reading the backlog, with no checkpoint in between: every
            # message is sent once, in order.
            for message in room.since(last_id):
                yield message.event()
            async for message in new_messages:
                yield message.event()

    return event_stream(stream())


@app.post("/say")
async def say() -> tuple[dict[str, Any], int]:
    data = await request.get_json()
    text = str(data.get("text", "")).strip() if isinstance(data, dict) else ""
    if not text:
        abort(400)
    return {"id": room.post(text[:500]).id}, 201


PAGE = """\
<!doctype html>
<meta charset="utf-8">
<title>Room</title>
<p id="state">connecting…</p>
<ul id="messages"></ul>
<form id="say"><input name="text" autocomplete="off" required> <button>Send</button></form>
<script>
const state = document.getElementById("state");
const list = document.getElementById("messages");
const source = new EventSource("/events");
source.onopen = () => { state.textContent = "connected"; };
source.onerror = () => {
  // EventSource reconnects by itself and sends the last id it saw as Last-Event-ID.
  state.textContent = source.readyState === EventSource.CLOSED ? "closed" : "reconnecting…";
};
source.onmessage = (event) => {
  const item = document.createElement("li");
  item.textContent = JSON.parse(event.data).text;
  item.dataset.id = event.lastEventId;
  list.append(item);
};
document.getElementById("say").onsubmit = async (event) => {
  event.preventDefault();
  const input = event.target.elements.text;
  await fetch("/say", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({text: input.value}),
  });
  input.value = "";
};
</script>
"""


@app.get("/")
async def index() -> str:
    return PAGE
