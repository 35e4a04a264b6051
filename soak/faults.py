"""Abrupt websocket clients: each session ends by dropping the connection at a random point.

Where it drops (``WHERE``):

* ``handshake``: part of the upgrade request sent, the rest never.
* ``idle``: right after the 101, before any message.
* ``echo``: after some echoed messages, with a burst sent and its echoes unread.
* ``stream``: while the server is sending a long sequence.
* ``mid-frame``: inside a frame (its header or its payload), after some echoed messages.

How (``HOW``): ``eof`` shuts the socket down without a close frame (the kernel turns it into a
reset when unread data is waiting, as a real client's crash would); ``reset`` sends a TCP
reset (``SO_LINGER`` 0). Each client goes through the ten kinds in turn from a random start, so
that even a short run injects every kind. The websocket protocol is spoken with wsproto on a
raw TCP stream, to be free to stop anywhere.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
from collections import deque

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Event, Message, RejectConnection, Request

from soak.endpoint import Endpoint
from soak.pause import pause
from soak.settings import Settings
from soak.tally import Tally

WHERE = ("handshake", "idle", "echo", "stream", "mid-frame")
HOW = ("eof", "reset")
#: Every kind of fault, ``"<where>/<how>"``.
KINDS = tuple(f"{where}/{how}" for where in WHERE for how in HOW)
#: Seconds an abrupt session may take before it counts as hung (it never waits long).
SESSION_TIMEOUT = 60.0
_RECEIVE_SIZE = 65536


class UnexpectedReplyError(Exception):
    """The server did something it should not have before the drop."""


class _RawWebsocket:
    """A websocket client with wsproto over a TCP stream, reading events one at a time."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.protocol = WSConnection(ConnectionType.CLIENT)
        self._events: deque[Event] = deque()

    async def next_event(self) -> Event:
        while not self._events:
            data = await self.stream.receive_some(_RECEIVE_SIZE)
            if not data:
                raise UnexpectedReplyError("the server closed the connection")
            self.protocol.receive_data(data)
            self._events.extend(self.protocol.events())
        return self._events.popleft()

    async def handshake(self, endpoint: Endpoint, path: str) -> None:
        await self.stream.send_all(self.protocol.send(Request(endpoint.authority, path)))
        event = await self.next_event()
        if isinstance(event, RejectConnection):
            raise UnexpectedReplyError(f"upgrade to {path} refused with {event.status_code}")
        if not isinstance(event, AcceptConnection):
            raise UnexpectedReplyError(f"{event!r} instead of the 101")

    async def message(self) -> str | bytes:
        """The next whole message (the server's are small enough to come in one frame)."""
        event = await self.next_event()
        if not isinstance(event, Message):
            raise UnexpectedReplyError(f"{event!r} instead of a message")
        data: str | bytes = event.data
        return data

    async def echo(self, rng: random.Random, count: int) -> None:
        for _ in range(count):
            sent = rng.randbytes(rng.randrange(1, 2048))
            await self.stream.send_all(self.protocol.send(Message(data=sent)))
            if await self.message() != sent:
                raise UnexpectedReplyError("wrong echo")


def _frame_cut(rng: random.Random, frame: bytes, payload: int) -> bytes:
    """A prefix of a masked client frame that ends inside its header or inside its payload."""
    header = len(frame) - payload
    if rng.random() < 0.5:
        return frame[: rng.randrange(1, header)]
    return frame[: rng.randrange(header, len(frame))]


async def _inject(
    endpoint: Endpoint, where: str, rng: random.Random, stream: trio.SocketStream, tally: Tally
) -> None:
    """Drive one session up to the point of the fault (the caller then drops the stream)."""
    raw = _RawWebsocket(stream)
    path = f"/seq?count=100000&gap={rng.choice((0.0, 0.001))}" if where == "stream" else "/echo"
    if where == "handshake":
        request = raw.protocol.send(Request(endpoint.authority, path))
        await stream.send_all(request[: rng.randrange(1, len(request))])
        return
    await raw.handshake(endpoint, path)
    tally.open_websockets += 1
    try:
        if where == "echo":
            await raw.echo(rng, rng.randrange(6))
            for _ in range(rng.randrange(1, 8)):
                await stream.send_all(raw.protocol.send(Message(data=rng.randbytes(512))))
        elif where == "stream":
            for _ in range(rng.randrange(40)):
                await raw.message()
        elif where == "mid-frame":
            await raw.echo(rng, rng.randrange(4))
            payload = rng.choice((rng.randrange(1, 126), rng.randrange(126, 200_000)))
            frame = raw.protocol.send(Message(data=rng.randbytes(payload)))
            await stream.send_all(_frame_cut(rng, frame, payload))
    finally:
        tally.open_websockets -= 1


async def _drop(stream: trio.SocketStream, how: str) -> None:
    if how == "reset":
        stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        # A connection already gone has nothing left to shut down but the socket.
        with contextlib.suppress(trio.BrokenResourceError):
            await stream.send_eof()
    await stream.aclose()


async def abrupt_client(
    endpoint: Endpoint,
    settings: Settings,
    tally: Tally,
    rng: random.Random,
    stop: trio.Event,
) -> None:
    """Inject faults, one kind after the other, until ``stop`` is set."""
    await pause(rng.uniform(0, settings.ramp), stop)
    turn = rng.randrange(len(KINDS))
    while not stop.is_set():
        kind = KINDS[turn % len(KINDS)]
        where, how = kind.split("/")
        try:
            with trio.fail_after(SESSION_TIMEOUT):
                stream = await trio.open_tcp_stream(endpoint.host, endpoint.port)
                try:
                    await _inject(endpoint, where, rng, stream, tally)
                finally:
                    with trio.CancelScope(shield=True):
                        await _drop(stream, how)
        except UnexpectedReplyError as error:
            tally.error(f"abrupt {kind}: unexpected", error)
        except trio.TooSlowError:
            tally.error(f"abrupt {kind}: timeout", kind)
        except (OSError, trio.BrokenResourceError) as error:
            tally.error(f"abrupt {kind}: connection", error)
        else:
            tally.faults[kind] += 1
            tally.sessions["abrupt"] += 1
        turn += 1
        await pause(rng.uniform(0, 2 * settings.abrupt_pause), stop)
