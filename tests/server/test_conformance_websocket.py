"""RFC 6455 conformance of the built-in server's websockets, over real TCP.

Each test is a row (or a sweep of rows) of the table in ``docs/server-conformance.md``. The
whole server runs (``served``: the HTTP/1.1 side reads the upgrade and hands the connection
over, as in production, and the leak check runs at the end), and a raw client does the
handshake and then sends frames built byte by byte (``ws_harness.frame``), so that every
rule can be broken on purpose.

``tests/server/test_websocket_rfc6455.py`` and ``test_websocket_messages.py`` already check
single cases of most rules against the websocket side alone; here the rules are swept whole
(every close code range, every reserved bit and opcode, every place a UTF-8 sequence can be
cut) and through the real server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage

from tests.server.ws_harness import EchoApp, RawClient, frame, handshake_request

from .conftest import Running, served

#: Seconds (real time) any test may take: a safety bound, never a timing.
BOUND = 10
TEXT, BINARY, CONTINUATION, CLOSE, PING = 0x1, 0x2, 0x0, 0x8, 0x9


@asynccontextmanager
async def websocket(
    nursery: trio.Nursery, app: EchoApp, **options: object
) -> AsyncIterator[RawClient]:
    """A raw client with an accepted websocket to ``app`` served by the real server."""
    with trio.fail_after(BOUND):
        async with (
            served(nursery, app, **options) as running,  # type: ignore[arg-type]
            await open_stream(running) as stream,
        ):
            client = RawClient(stream)
            head = await client.open(handshake_request(running.port))
            assert head.startswith(b"HTTP/1.1 101 "), head
            yield client


async def open_stream(running: Running) -> trio.SocketStream:
    """A TCP connection to ``running``."""
    return await trio.open_tcp_stream(running.host, running.port)


async def closed_with(client: RawClient, data: bytes) -> int:
    """Send ``data`` after a valid message; the code of the server's close, once the server
    has hung up (a broken client gets no close handshake)."""
    await client.send(TextMessage(data="fine so far"))
    assert await client.next_event() == TextMessage(data="fine so far")
    await client.stream.send_all(data)
    close = await client.close_frame()
    assert await client.stream.receive_some() == b""
    return close.code


def close_payload(code: int, reason: bytes = b"") -> bytes:
    """A close frame's payload."""
    return code.to_bytes(2, "big") + reason


async def test_fragmented_message_with_control_frames_inside(nursery: trio.Nursery) -> None:
    """RFC 6455 5.4: fragments are reassembled (UTF-8 decoded across them) and control
    frames between them are answered at once, before the message is complete."""
    app = EchoApp()
    async with websocket(nursery, app) as client:
        await client.stream.send_all(frame(TEXT, b"h\xc3", fin=False) + frame(PING, b"1"))
        assert await client.next_event() == Pong(payload=b"1")
        await client.stream.send_all(frame(CONTINUATION, b"\xa9", fin=False))
        await client.stream.send_all(frame(PING, b"2") + frame(CONTINUATION, b"!"))
        assert await client.next_event() == Pong(payload=b"2")
        assert await client.next_event() == TextMessage(data="hé!")
        await client.stream.send_all(
            frame(BINARY, b"", fin=False) + frame(CONTINUATION, b"\x00", fin=False)
        )
        await client.stream.send_all(frame(CONTINUATION, b"\x01"))
        assert await client.next_event() == BytesMessage(data=bytearray(b"\x00\x01"))
        await client.send(CloseConnection(1000))
        assert await client.close_frame() == CloseConnection(1000, "")
    assert app.received[:2] == [
        {"type": "websocket.receive", "text": "hé!"},
        {"type": "websocket.receive", "bytes": b"\x00\x01"},
    ]


ACCEPTED_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]


@pytest.mark.parametrize("code", ACCEPTED_CODES)
async def test_valid_close_code_is_accepted_and_echoed(nursery: trio.Nursery, code: int) -> None:
    """RFC 6455 7.4.1/7.4.2: the defined codes sendable on the wire, and the ranges for
    libraries (3000-3999) and private use (4000-4999), are accepted: the app gets the code and
    reason, the server answers with the same code (5.5.1)."""
    app = EchoApp()
    async with websocket(nursery, app) as client:
        await client.stream.send_all(frame(CLOSE, close_payload(code, "bye é".encode())))
        assert (await client.close_frame()).code == code
        assert await client.stream.receive_some() == b""
    assert await app.disconnect() == {
        "type": "websocket.disconnect",
        "code": code,
        "reason": "bye é",
    }


@pytest.mark.parametrize(("code", "answer"), [(1012, 1012), (1013, 1013), (1014, 1002)])
async def test_close_codes_registered_after_rfc_6455(
    nursery: trio.Nursery, code: int, answer: int
) -> None:
    """1012-1014 were registered with IANA after RFC 6455 (service restart, try again later,
    bad gateway); RFC 6455 leaves the handling of such codes to the implementation (the
    Autobahn suite even counts them as invalid). wsproto accepts 1012 and 1013, whose names
    it knows, and fails 1014 with 1002: this row records that."""
    app = EchoApp()
    async with websocket(nursery, app) as client:
        await client.stream.send_all(frame(CLOSE, close_payload(code)))
        assert (await client.close_frame()).code == answer
    assert (await app.disconnect())["code"] == answer


REJECTED_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


@pytest.mark.parametrize("code", REJECTED_CODES)
async def test_invalid_close_code_is_1002(nursery: trio.Nursery, code: int) -> None:
    """RFC 6455 7.4.1/7.4.2: below 1000, 1004 (reserved), 1005/1006/1015 (never on the
    wire), unassigned 1016-2999, and 5000 and up are protocol errors."""
    app = EchoApp()
    async with websocket(nursery, app) as client:
        assert await closed_with(client, frame(CLOSE, close_payload(code))) == 1002
    assert (await app.disconnect())["code"] == 1002


@pytest.mark.parametrize("reason", [b"\xff", b"ok\xc3", b"\xed\xa0\x80", b"\xc0\xaf"])
async def test_close_reason_invalid_utf8_is_1007(nursery: trio.Nursery, reason: bytes) -> None:
    app = EchoApp()
    async with websocket(nursery, app) as client:
        assert await closed_with(client, frame(CLOSE, close_payload(1000, reason))) == 1007


@pytest.mark.parametrize("rsv", range(1, 8))
@pytest.mark.parametrize("opcode", [TEXT, BINARY, CONTINUATION, PING, CLOSE])
async def test_reserved_bits_are_1002(nursery: trio.Nursery, rsv: int, opcode: int) -> None:
    """RFC 6455 5.2: no extension is negotiated, so any RSV bit is a protocol error."""
    app = EchoApp()
    async with websocket(nursery, app) as client:
        assert await closed_with(client, frame(opcode, b"", rsv=rsv)) == 1002


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
async def test_reserved_opcodes_are_1002(nursery: trio.Nursery, opcode: int) -> None:
    app = EchoApp()
    async with websocket(nursery, app) as client:
        assert await closed_with(client, frame(opcode, b"x")) == 1002


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (frame(PING, b"p" * 126), 1002),
        (frame(TEXT, b"a", masked=False), 1002),
        (frame(PING, b"", masked=False), 1002),
        (frame(CONTINUATION, b"a"), 1002),
        (frame(CONTINUATION, b"a", fin=False), 1002),
        (frame(TEXT, b"a", fin=False) + frame(TEXT, b"b"), 1002),
        (frame(BINARY, b"a", fin=False) + frame(TEXT, b"b", fin=False), 1002),
    ],
    ids=[
        "ping-over-125",
        "unmasked-data",
        "unmasked-control",
        "continuation-without-start",
        "unfinished-continuation-without-start",
        "new-text-inside-fragments",
        "new-fragmented-message-inside-fragments",
    ],
)
async def test_framing_violations_are_1002(nursery: trio.Nursery, data: bytes, code: int) -> None:
    app = EchoApp()
    async with websocket(nursery, app) as client:
        assert await closed_with(client, data) == code


INVALID_UTF8 = b"ok \xe2\x82\xac \xf0\x9f\x98 bad"  # a 4-byte sequence missing its last byte


@pytest.mark.parametrize("cut", range(len(INVALID_UTF8) + 1))
async def test_invalid_utf8_text_is_1007_wherever_fragmented(
    nursery: trio.Nursery, cut: int
) -> None:
    """RFC 6455 8.1: a text message that is not UTF-8 fails the connection with 1007,
    wherever the fragment boundary falls (inside a valid sequence too)."""
    app = EchoApp()
    data = frame(TEXT, INVALID_UTF8[:cut], fin=False) + frame(CONTINUATION, INVALID_UTF8[cut:])
    async with websocket(nursery, app) as client:
        assert await closed_with(client, data) == 1007
    assert len(app.received) == 2  # the valid message, then the disconnect


async def test_text_ending_inside_a_utf8_sequence_is_1007(nursery: trio.Nursery) -> None:
    """Every fragment valid so far, but the message ends half-way into a character."""
    app = EchoApp()
    data = frame(TEXT, b"caf\xc3", fin=False) + frame(CONTINUATION, b"")
    async with websocket(nursery, app) as client:
        assert await closed_with(client, data) == 1007


@pytest.mark.parametrize("fragmented", [False, True])
async def test_message_over_the_limit_is_1009(nursery: trio.Nursery, fragmented: bool) -> None:
    app = EchoApp()
    async with websocket(nursery, app, websocket_max_message_size=16) as client:
        await client.stream.send_all(frame(BINARY, b"x" * 16))  # exactly the limit
        assert await client.next_event() == BytesMessage(data=bytearray(b"x" * 16))
        if fragmented:
            data = frame(TEXT, b"y" * 10, fin=False) + frame(CONTINUATION, b"y" * 7)
        else:
            data = frame(TEXT, b"y" * 17)
        await client.stream.send_all(data)
        assert await client.close_frame() == CloseConnection(1009, "message too big")
    assert (await app.disconnect())["code"] == 1009


async def test_silent_client_is_pinged_then_closed_with_1011(nursery: trio.Nursery) -> None:
    """After ``websocket_ping_interval`` of silence the server pings; with no pong within
    ``websocket_ping_timeout`` it closes with 1011. (Small real intervals: the order of
    events is asserted, their timing only bounded.)"""
    app = EchoApp()
    options = {"websocket_ping_interval": 0.05, "websocket_ping_timeout": 0.05}
    async with websocket(nursery, app, **options) as client:
        assert await client.next_event() == Ping(payload=b"")
        assert await client.close_frame() == CloseConnection(1011, "keepalive ping timeout")
        assert await client.stream.receive_some() == b""
    assert (await app.disconnect())["code"] == 1011


async def test_close_without_a_code_is_answered_without_one(nursery: trio.Nursery) -> None:
    """RFC 6455 5.5.1/7.1.5: a close frame may have no body; the app then sees 1005 (no
    status received), and the server's answering close has no body either (1005 itself is
    never sent)."""
    app = EchoApp()
    async with websocket(nursery, app) as client:
        await client.stream.send_all(frame(CLOSE, b""))
        data = await client.read_to_end()
    assert data == bytes([0x88, 0x00])
    assert (await app.disconnect())["code"] == 1005
