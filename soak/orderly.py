"""Orderly websocket clients: every message checked, every session closed normally.

Each session is either an echo (bursts of text and binary messages that must come back
unchanged and in order, then a close from this side) or a sequence (``0``, ``1``, ... from the
server, none missing or out of order, then a 1000 close from the server). trio-websocket is the
client, over a TCP stream owned here so that its socket is closed however the session ends.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio
from trio_websocket import (
    ConnectionClosed,
    HandshakeError,
    WebSocketConnection,
    wrap_client_stream,
)

from soak.endpoint import Endpoint
from soak.pause import pause
from soak.settings import Settings
from soak.tally import Tally

#: Seconds a whole orderly session may take before it counts as hung.
SESSION_TIMEOUT = 120.0
MAX_MESSAGE_SIZE = 4096
#: Seconds the server waits between two messages of a sequence: not at all, or long enough
#: that the disconnect watch gives the connection a reader task (``DISCONNECT_WATCH_DELAY``).
SEQUENCE_GAPS = (0.0, 0.0, 0.01, 0.05)


class WrongMessageError(Exception):
    """The server's answer is not the one expected."""


@asynccontextmanager
async def _connected(endpoint: Endpoint, path: str) -> AsyncIterator[WebSocketConnection]:
    stream = await trio.open_tcp_stream(endpoint.host, endpoint.port)
    try:
        async with trio.open_nursery() as nursery:
            connection = await wrap_client_stream(nursery, stream, endpoint.authority, path)
            try:
                yield connection
            finally:
                with trio.move_on_after(10, shield=True):
                    await connection.aclose()
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # The nursery wraps what the session raised; the caller sorts errors by their type.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        await stream.aclose()


def _message(rng: random.Random, tag: str) -> str | bytes:
    padding = rng.randbytes(rng.randrange(MAX_MESSAGE_SIZE))
    if rng.random() < 0.5:
        return tag.encode() + b":" + padding
    return f"{tag}:{padding.hex()[: len(padding)]}"


async def _echo_session(
    endpoint: Endpoint,
    settings: Settings,
    tally: Tally,
    rng: random.Random,
    tag: str,
    stop: trio.Event,
) -> None:
    async with _connected(endpoint, "/echo") as connection:
        tally.open_websockets += 1
        try:
            for burst in range(rng.randint(1, 12)):
                if stop.is_set():
                    break  # the run is ending: close now rather than after every burst
                sent = [_message(rng, f"{tag}:{burst}:{n}") for n in range(rng.randint(1, 6))]
                for message in sent:
                    await connection.send_message(message)
                for message in sent:
                    if await connection.get_message() != message:
                        raise WrongMessageError(f"echo of {tag}:{burst} differs or is out of order")
                    tally.messages["echo"] += 1
                await pause(rng.uniform(0, 2 * settings.think), stop)
        finally:
            tally.open_websockets -= 1


async def _sequence_session(
    endpoint: Endpoint,
    settings: Settings,
    tally: Tally,
    rng: random.Random,
    tag: str,
    stop: trio.Event,
) -> None:
    count = rng.randint(1, 60)
    gap = rng.choice(SEQUENCE_GAPS)
    async with _connected(endpoint, f"/seq?count={count}&gap={gap}") as connection:
        tally.open_websockets += 1
        try:
            for expected in range(count):
                if stop.is_set():
                    return  # the run is ending: close from this side, mid-sequence
                received = await connection.get_message()
                if received != str(expected):
                    raise WrongMessageError(f"{tag}: got {received!r}, expected {expected}")
                tally.messages["seq"] += 1
            try:
                extra = await connection.get_message()
            except ConnectionClosed as closed:
                if closed.reason is None or closed.reason.code != 1000:
                    raise WrongMessageError(f"{tag}: closed with {closed.reason}") from None
            else:
                raise WrongMessageError(f"{tag}: message {extra!r} after the last one")
        finally:
            tally.open_websockets -= 1


async def orderly_client(
    endpoint: Endpoint,
    settings: Settings,
    tally: Tally,
    rng: random.Random,
    name: str,
    stop: trio.Event,
) -> None:
    """Run sessions, echo or sequence at random, until ``stop`` is set; count any surprise."""
    await pause(rng.uniform(0, settings.ramp), stop)
    session = 0
    while not stop.is_set():
        kind = rng.choice(("echo", "seq"))
        run = _echo_session if kind == "echo" else _sequence_session
        tag = f"{name}:{session}"
        try:
            with trio.fail_after(SESSION_TIMEOUT):
                await run(endpoint, settings, tally, rng, tag, stop)
        except WrongMessageError as error:
            tally.error(f"{kind}: wrong message", error)
        except ConnectionClosed as error:
            tally.error(f"{kind}: closed early", f"{tag}: {error.reason}")
        except HandshakeError as error:
            tally.error(f"{kind}: handshake", f"{tag}: {error!r}")
        except trio.TooSlowError:
            tally.error(f"{kind}: timeout", tag)
        except OSError as error:
            tally.error(f"{kind}: connection", f"{tag}: {error!r}")
        else:
            tally.sessions[kind] += 1
        session += 1
