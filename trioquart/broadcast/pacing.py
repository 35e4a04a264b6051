"""Bursts: a cancel point on every call, but a turn for the other tasks only every few calls.

Fan-out is one task switch per message per subscriber when the publisher yields after each
message and each subscriber yields after each message it takes: a thousand subscribers pay a
thousand switches for every message. Letting the publisher deliver a few messages before it
yields, and a subscriber take what is already buffered before it yields, turns that into one
switch per burst. A burst is bounded, so a loop that only publishes, or only reads a busy
channel, still lets every other task run at least once every ``BURST`` calls, and each call
still raises ``trio.Cancelled`` at once when its scope is cancelled.
"""

from __future__ import annotations

import trio

#: The most calls in a row that may go without letting other tasks run.
BURST = 32


class Pacer:
    """Counts calls and yields to the scheduler on every ``BURST``-th one."""

    __slots__ = ("_calls",)

    def __init__(self) -> None:
        self._calls = 0

    async def checkpoint(self) -> None:
        """A cancel point; also a schedule point on every ``BURST``-th call.

        Raises:
            trio.Cancelled: the caller's scope is cancelled.
        """
        self._calls += 1
        if self._calls >= BURST:
            self._calls = 0
            await trio.lowlevel.checkpoint()
        else:
            await trio.lowlevel.checkpoint_if_cancelled()

    def yielded(self) -> None:
        """Note that the caller has just let other tasks run (it waited for something)."""
        self._calls = 0
