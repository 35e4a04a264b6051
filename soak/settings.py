"""The knobs of a soak run (the command line's options)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any


def _option(default: Any, text: str) -> Any:
    return field(default=default, metadata={"help": text})


@dataclass(frozen=True)
class Settings:
    """How much load, for how long, and how the leak check is judged (each field is an
    option of ``python -m soak``; its help is in the field's metadata)."""

    websockets: int = _option(
        1000,
        "Websocket clients, each running sessions one after another; every third one is abrupt.",
    )
    duration: float = _option(300.0, "Seconds of soak after the warm-up.")
    warmup: float = _option(20.0, "Seconds of the same load before the baseline is taken.")
    ramp: float = _option(5.0, "Clients start at random moments within this many seconds.")
    think: float = _option(
        2.0, "Mean seconds an orderly client waits between two bursts of messages."
    )
    abrupt_pause: float = _option(3.0, "Mean seconds an abrupt client waits between two faults.")
    http_rate: float = _option(50.0, "HTTP requests per second, over all HTTP clients.")
    http_clients: int = _option(4, "HTTP clients (keep-alive connections) sharing --http-rate.")
    # Hypercorn 0.18 keeps a connection's task and socket that long after the client has
    # gone, if it went between two requests or in the middle of a request's head: the
    # server is not quiet before that.
    keep_alive: float = _option(5.0, "Hypercorn's keep-alive timeout on the server, in seconds.")
    sample_interval: float = _option(5.0, "Seconds between two samples of the server's figures.")
    settle: float = _option(
        30.0, "Seconds the server has to come back to its baseline once the clients have stopped."
    )
    stop_grace: float = _option(
        30.0, "Seconds the clients have to finish their sessions when asked to stop."
    )
    rss_slack_mib: float = _option(
        32.0, "Resident memory the server may have grown by, end against baseline, in MiB."
    )
    seed: int = _option(1, "Seed of every random choice.")

    def rng(self, *names: object) -> random.Random:
        """A generator of its own for one client of one phase, so that runs repeat."""
        return random.Random(":".join(str(name) for name in (self.seed, *names)))
