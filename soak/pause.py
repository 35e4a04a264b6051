"""Waiting between two steps of a client, cut short when the run stops."""

from __future__ import annotations

import trio


async def pause(seconds: float, stop: trio.Event) -> None:
    """Sleep ``seconds``, or until ``stop`` is set if that comes first."""
    with trio.move_on_after(seconds):
        await stop.wait()
