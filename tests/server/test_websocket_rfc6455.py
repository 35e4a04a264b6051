"""RFC 6455 conformance: a client breaking the protocol gets the matching close code."""

from __future__ import annotations

import pytest
import trio
from wsproto.events import TextMessage

from tests.server.ws_harness import EchoApp, frame, raw_client, ws_server

MASK = bytes(4)  # an all-zero mask leaves the payload as it is

VIOLATIONS = {
    "control-frame-over-125-bytes": (frame(0x9, b"x" * 126), 1002),
    "fragmented-control-frame": (frame(0x9, b"", fin=False), 1002),
    "reserved-bit-1": (frame(0x1, b"a", rsv=0b100), 1002),
    "reserved-bit-3": (frame(0x2, b"a", rsv=0b001), 1002),
    "unknown-data-opcode": (frame(0x3, b""), 1002),
    "unknown-control-opcode": (frame(0xB, b""), 1002),
    "unmasked-client-frame": (frame(0x1, b"a", masked=False), 1002),
    "continuation-without-a-start": (frame(0x0, b"a"), 1002),
    "new-message-inside-a-fragmented-one": (
        frame(0x1, b"a", fin=False) + frame(0x1, b"b"),
        1002,
    ),
    "invalid-utf8-text": (frame(0x1, b"ok\xff"), 1007),
    "invalid-utf8-across-fragments": (frame(0x1, b"\xc3", fin=False) + frame(0x0, b"("), 1007),
    "close-with-one-byte": (frame(0x8, b"\x03"), 1002),
    "close-code-1005": (frame(0x8, (1005).to_bytes(2, "big")), 1002),
    "close-code-1006": (frame(0x8, (1006).to_bytes(2, "big")), 1002),
    "close-code-999": (frame(0x8, (999).to_bytes(2, "big")), 1002),
    "close-code-1004-reserved": (frame(0x8, (1004).to_bytes(2, "big")), 1002),
    "close-code-5000": (frame(0x8, (5000).to_bytes(2, "big")), 1002),
    "close-reason-invalid-utf8": (frame(0x8, (1000).to_bytes(2, "big") + b"\xff"), 1007),
    # A length must take the shortest form, and a 64-bit one must not have its high bit set.
    "length-not-in-shortest-form": (bytes([0x81, 0x80 | 126, 0, 5]) + MASK + b"hello", 1002),
    "length-with-high-bit-set": (bytes([0x82, 0x80 | 127, 0x80]) + bytes(7) + MASK, 1002),
}


@pytest.mark.parametrize("violation", sorted(VIOLATIONS))
async def test_protocol_violation_closes_with_its_code_and_hangs_up(violation: str) -> None:
    data, code = VIOLATIONS[violation]
    app = EchoApp()
    async with ws_server(app) as server, raw_client(server) as client:
        await client.send(TextMessage(data="fine so far"))
        assert await client.next_event() == TextMessage(data="fine so far")
        await client.stream.send_all(data)
        close = await client.close_frame()
        assert close.code == code
        # No close handshake with a broken client: the server hangs up at once.
        assert await client.stream.receive_some() == b""
    disconnect = await app.disconnect()
    assert disconnect["code"] == code
    assert app.received[0] == {"type": "websocket.receive", "text": "fine so far"}
    assert len(app.received) == 2


async def test_frame_cut_short_by_the_client_is_1006() -> None:
    app = EchoApp()
    async with ws_server(app) as server, raw_client(server) as client:
        await client.stream.send_all(frame(0x1, b"a whole message")[:-3])
        assert isinstance(client.stream, trio.SocketStream)
        await client.stream.send_eof()
        assert await client.stream.receive_some() == b""
    assert await app.disconnect() == {"type": "websocket.disconnect", "code": 1006, "reason": ""}
    assert len(app.received) == 1
