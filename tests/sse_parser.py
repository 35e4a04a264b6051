"""A client's reading of a ``text/event-stream``, as the WHATWG HTML standard describes it.

The tests check what trioquart writes by what a browser's ``EventSource`` would make of it,
not by its bytes alone. ``EventStreamParser`` takes the stream in pieces (as it arrives) and
keeps the dispatched events, the comments, the last event ID and the reconnection time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ReceivedEvent:
    """An event as ``EventSource`` dispatches it."""

    type: str
    data: str
    last_event_id: str


@dataclass
class EventStreamParser:
    """Feed text with :meth:`feed`; read ``events``, ``comments``, ``last_event_id``, ``retry``."""

    events: list[ReceivedEvent] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    last_event_id: str = ""
    retry: int | None = None
    _pending: str = ""
    _data: str = ""
    _type: str = ""
    _id_buffer: str = ""

    def feed(self, text: str) -> None:
        """Process ``text``, the next piece of the stream (lines may span pieces)."""
        buffer = self._pending + text
        held = ""
        if buffer.endswith("\r"):  # perhaps the first half of a CR LF: wait for the next piece
            buffer, held = buffer[:-1], "\r"
        lines = _LINE_END.split(buffer)
        self._pending = lines.pop() + held  # the last line is not complete yet
        for line in lines:
            self._line(line)

    def _line(self, line: str) -> None:
        if line == "":
            self._dispatch()
            return
        if line.startswith(":"):
            self.comments.append(line[1:])
            return
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._type = value
        elif name == "data":
            self._data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)

    def _dispatch(self) -> None:
        self.last_event_id = self._id_buffer
        if self._data == "":
            self._type = ""
            return
        data = self._data.removesuffix("\n")
        self.events.append(ReceivedEvent(self._type or "message", data, self.last_event_id))
        self._data = ""
        self._type = ""


def parse_events(text: str) -> EventStreamParser:
    """The parser after reading the whole of ``text``."""
    parser = EventStreamParser()
    parser.feed(text)
    return parser
