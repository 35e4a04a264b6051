"""What the clients did: sessions, messages, faults injected and errors, counted by kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Error messages kept in full for the report (the rest are only counted).
KEPT_ERRORS = 20


@dataclass
class Tally:
    """Counters shared by every client of a run (one trio thread: no locking needed)."""

    #: Finished sessions by client kind: ``echo`` and ``seq`` (orderly), ``abrupt``, ``http``.
    sessions: Counter[str] = field(default_factory=Counter)
    #: Messages checked by orderly clients, by route (``echo``, ``seq``).
    messages: Counter[str] = field(default_factory=Counter)
    #: Faults injected by abrupt clients, by kind (``"<where>/<how>"``).
    faults: Counter[str] = field(default_factory=Counter)
    #: Unexpected outcomes by kind (any of them fails the run).
    errors: Counter[str] = field(default_factory=Counter)
    #: The first few errors in full.
    error_details: list[str] = field(default_factory=list)
    #: Websockets open right now (handshake done, not yet dropped or closed).
    open_websockets: int = 0

    def error(self, kind: str, detail: object) -> None:
        """Count an unexpected outcome."""
        self.errors[kind] += 1
        if len(self.error_details) < KEPT_ERRORS:
            self.error_details.append(f"{kind}: {detail!r}")

    def snapshot(self) -> dict[str, Any]:
        """The counters now, as plain values."""
        return {
            "open_websockets": self.open_websockets,
            "sessions": dict(self.sessions),
            "messages": dict(self.messages),
            "faults": dict(self.faults),
            "errors": dict(self.errors),
        }
