"""Fuzzing the built-in server's websockets with random frame sequences over TCP.

After a valid handshake through the real server, the client sends a random sequence of
frames (any opcode, FIN, reserved bits, mask or none, payloads of any bytes, close frames
with any code, fragments, and stray garbage between frames), then a valid close frame, then
shuts its sending side, and reads what the server sends until it closes the connection.

What must hold for every sequence:

- the server ends the connection within a bound (``trio.fail_after``): no hang;
- every frame it sends is well formed (unmasked, no reserved bit, a known opcode, a control
  frame at most 125 bytes and never fragmented), its data messages are echoes of what the
  client sent, and nothing follows its close frame;
- its close code, if it sends one, is one a server may put on the wire (RFC 6455 7.4): never
  1005, 1006 or 1015, never an unassigned or out-of-range one;
- the app always ends with a ``websocket.disconnect``, and the server's tasks and open files
  are back to their baseline afterwards (``served``'s leak check).

Each example runs in a trio run of its own with a fresh server (see ``test_fuzz_http``);
``fuzz_settings`` keeps the suite's runs derandomized and short.
"""

from __future__ import annotations

import struct
from contextlib import suppress
from dataclasses import dataclass, field

import trio
from hypothesis import example, given
from hypothesis import strategies as st

from tests.server.ws_harness import frame, handshake_request
from trioquart.server.types import Message, Receive, Scope, Send
from trioquart.server.websocket import WebSocketClosedError

from ..fuzz.conftest import fuzz_settings
from .conftest import Running, served

#: Seconds (real time) one example may take: the bound on a hang.
BOUND = 10
#: ``websocket_max_message_size`` in these tests, small enough for the fuzzer to pass it.
MAX_MESSAGE = 64
TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
#: The close codes a server may send (those an endpoint may put on the wire).
SENDABLE_CODES = {*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)}


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """One frame, valid or not, or a few stray bytes."""
    kind = draw(st.sampled_from(["data", "data", "control", "close", "any", "garbage"]))
    fin = draw(st.booleans())
    if kind == "garbage":
        return draw(st.binary(min_size=1, max_size=6))
    if kind == "close":
        code = draw(st.integers(0, 65535) | st.sampled_from(sorted(SENDABLE_CODES)[:12]))
        reason = draw(st.text(max_size=10).map(str.encode) | st.binary(max_size=10))
        payload = b"" if draw(st.booleans()) else struct.pack("!H", code) + reason
        return frame(CLOSE, payload)
    if kind == "control":
        return frame(
            draw(st.sampled_from([PING, PONG])),
            draw(st.binary(max_size=130)),
            fin=draw(st.booleans()) or fin,
        )
    text = draw(st.text(max_size=40).map(str.encode))
    payload = draw(st.binary(max_size=80)) if draw(st.booleans()) else text
    if kind == "data":
        opcode = draw(st.sampled_from([TEXT, BINARY, CONTINUATION]))
        return frame(opcode, payload, fin=fin, masked=draw(st.integers(0, 19)) > 0)
    return frame(
        draw(st.integers(0, 15)),
        payload,
        fin=fin,
        rsv=draw(st.integers(0, 7)),
        masked=draw(st.booleans()),
    )


@dataclass
class Echo:
    """An app that accepts, echoes every message and records what it receives, and how it
    ended: ``"disconnect"`` (it received one) or ``"closed"`` (an echo found the websocket
    closed already, which ``send`` raises as ``WebSocketClosedError``)."""

    received: list[Message] = field(default_factory=list)
    ended: str = ""
    done: trio.Event = field(default_factory=trio.Event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            assert (await receive())["type"] == "websocket.connect"
            await send({"type": "websocket.accept"})
            while (message := await receive())["type"] == "websocket.receive":
                self.received.append(message)
                fields = {name: value for name, value in message.items() if name != "type"}
                await send({"type": "websocket.send", **fields})
            assert message["type"] == "websocket.disconnect", message
            self.ended = "disconnect"
        except WebSocketClosedError:
            self.ended = "closed"
        finally:
            self.done.set()


@dataclass
class Seen:
    """The frames the server sent."""

    messages: list[tuple[int, bytes]] = field(default_factory=list)
    closed: bool = False
    #: The code of the server's close frame (``None`` for a close without a code, an echo of
    #: a client's close without one).
    close_code: int | None = None
    after_close: int = 0


def parse_frames(data: bytes) -> Seen:
    """Parse all the server sent (asserting every frame is well formed and complete)."""
    seen = Seen()
    fragments: list[bytes] = []
    kind = CONTINUATION
    while data:
        assert len(data) >= 2, data
        fin, rsv, opcode = data[0] & 0x80, data[0] & 0x70, data[0] & 0x0F
        masked, length = data[1] & 0x80, data[1] & 0x7F
        assert not masked, data[:2]
        assert not rsv, data[:2]
        start = 2
        if length == 126:
            length, start = struct.unpack("!H", data[2:4])[0], 4
        elif length == 127:
            length, start = struct.unpack("!Q", data[2:10])[0], 10
        assert len(data) >= start + length, "a frame cut short"
        payload, data = data[start : start + length], data[start + length :]
        if seen.closed:
            seen.after_close += 1
            continue
        assert opcode in (TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG), opcode
        if opcode >= CLOSE:
            assert fin, opcode
            assert length <= 125, (opcode, length)
        if opcode == CLOSE:
            assert len(payload) != 1
            seen.closed = True
            if payload:
                seen.close_code = struct.unpack("!H", payload[:2])[0]
                payload[2:].decode()
        elif opcode in (TEXT, BINARY, CONTINUATION):
            assert (opcode == CONTINUATION) == bool(fragments or kind != CONTINUATION), opcode
            kind = opcode if opcode != CONTINUATION else kind
            fragments.append(payload)
            if fin:
                seen.messages.append((kind, b"".join(fragments)))
                fragments, kind = [], CONTINUATION
    return seen


async def play(running: Running, index: int, sent: bytes) -> bytes:
    """Handshake on ``/<index>``, send ``sent``, a close and an end of stream; all the server
    sent after the handshake, until it closed the connection."""
    stream = await trio.open_tcp_stream(running.host, running.port)
    async with stream:
        await stream.send_all(handshake_request(running.port, path=b"/%d" % index))
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = await stream.receive_some()
            assert chunk, received
            received += chunk
        head, _, received = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 "), head
        with suppress(trio.BrokenResourceError):
            await stream.send_all(sent + frame(CLOSE, struct.pack("!H", 1000)))
            await stream.send_eof()
        with suppress(trio.BrokenResourceError):
            while chunk := await stream.receive_some():
                received += chunk
    return received


def run_batch(batch: list[list[bytes]]) -> list[tuple[Echo, bytes]]:
    """Each sequence of ``batch`` on its own websocket (``/<index>``), side by side, to a
    fresh server; each connection's app and what the server sent on it."""
    apps = [Echo() for _ in batch]
    answers = [b""] * len(batch)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await apps[int(scope["path"].strip("/"))](scope, receive, send)

    async def main() -> None:
        with trio.fail_after(BOUND):
            async with (
                trio.open_nursery() as nursery,
                served(nursery, app, websocket_max_message_size=MAX_MESSAGE) as running,
                trio.open_nursery() as clients,
            ):

                async def one(index: int) -> None:
                    answers[index] = await play(running, index, b"".join(batch[index]))
                    await apps[index].done.wait()

                for index in range(len(batch)):
                    clients.start_soon(one, index)

    trio.run(main)
    return list(zip(apps, answers, strict=True))


@given(batch=st.lists(st.lists(frames(), max_size=6), min_size=1, max_size=3))
@fuzz_settings(60)
@example(batch=[[], [frame(TEXT, b"a", fin=False), frame(PING, b"x"), frame(CONTINUATION, b"b")]])
@example(batch=[[b"\x82\xff"], [frame(TEXT, b"\xc3", fin=False), frame(CONTINUATION, b"")]])
@example(batch=[[frame(TEXT, b"m" * (MAX_MESSAGE + 1))], [frame(CLOSE, struct.pack("!H", 4999))]])
def test_random_frames_end_in_a_valid_close(batch: list[list[bytes]]) -> None:
    for app, answer in run_batch(batch):
        seen = parse_frames(answer)
        assert seen.after_close == 0
        if seen.close_code is not None:
            assert seen.close_code in SENDABLE_CODES, seen.close_code
        echoed = [
            {"type": "websocket.receive", "text" if kind == TEXT else "bytes": data}
            for kind, data in seen.messages
        ]
        assert [
            {**message, "text": message["text"].encode()} if "text" in message else message
            for message in app.received
        ][: len(echoed)] == echoed
        assert app.ended in ("disconnect", "closed")
