"""Fuzzing the built-in server's HTTP/1.1 side with raw request bytes over TCP.

Hypothesis makes the bytes: random ones, and mutations of valid requests (a byte flipped,
bytes inserted or deleted, the request cut short, a header line repeated, pieces spliced in
that parsers are known to trip on: a bare CR or LF, a NUL, a folded line, a second
``Content-Length`` or ``Transfer-Encoding``), one to three of them pipelined on a
connection. Each connection sends its bytes, shuts its sending side and reads to the end.

What must hold for every input, whatever the parser (``ServerConfig.parser``):

- the server answers within a bound (``trio.fail_after``): it never hangs on a connection
  whose client has said all it will say;
- what it writes is a sequence of well-formed HTTP/1.1 responses (status line, header
  fields that are tokens and visible characters, a body framed as its headers say, nothing
  left over), each ``100``, 2xx, 4xx or 5xx, and nothing after a 4xx or 5xx or a
  ``Connection: close``; or nothing at all and a clean close;
- afterwards the server's tasks and open files are back to their baseline (``served``'s
  leak check).

Hypothesis runs each example in a trio run of its own (``trio.run``), with a fresh server:
pytest-trio's fixtures would be shared by all examples. The connections of one example run
side by side. ``fuzz_settings`` keeps the suite's runs derandomized and short;
``TRIOQUART_FUZZ_EXAMPLES=5000`` searches longer.
"""

from __future__ import annotations

import re
from contextlib import suppress

import pytest
import trio
from hypothesis import example, given
from hypothesis import strategies as st

from trioquart.server.types import Receive, Scope, Send

from ..fuzz.conftest import fuzz_settings
from .conftest import served

#: Seconds (real time) one example may take: the bound on a hang.
BOUND = 10

VALID_REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /a/b?c=d HTTP/1.1\r\nHost: t\r\nAccept: */*\r\nX-Long: " + b"v" * 100 + b"\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n"
    b"Content-Type: text/plain\r\n\r\nhello world",
    b"POST /chunks HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
    b"PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody",
    b"GET / HTTP/1.0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
]

#: Pieces parsers are known to trip on, to splice into a valid request.
TRICKY = [
    b"\r",
    b"\n",
    b"\x00",
    b" ",
    b"\t",
    b":",
    b"\r\n ",
    b"\r\n\r\n",
    b"\r\nContent-Length: 5",
    b"\r\nContent-Length: -1",
    b"\r\nContent-Length: 99999999999999999999",
    b"\r\nTransfer-Encoding: chunked",
    b"\r\nTransfer-Encoding: gzip",
    b"\r\nHost: other",
    b"\r\nExpect: 100-continue",
    b"\r\nConnection: close",
    b"fffffffffffffffffff\r\n",
    b"HTTP/1.1",
    b"\xff\xfe",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid request with a few mutations applied."""
    data = bytearray(draw(st.sampled_from(VALID_REQUESTS)))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat", "tricky"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "repeat":
            lines = bytes(data).split(b"\r\n")
            if len(lines) > 2:
                index = draw(st.integers(1, len(lines) - 2))
                lines.insert(index, lines[index])
                data = bytearray(b"\r\n".join(lines))
        else:
            data[at:at] = draw(st.sampled_from(TRICKY))
    return bytes(data)


#: What one connection sends: one to three requests, random bytes among them.
connections = st.lists(
    mutated() | st.binary(max_size=200) | st.sampled_from(VALID_REQUESTS), min_size=1, max_size=3
).map(b"".join)

TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3})(?: [\x20-\x7e]*)?")
FIELD_LINE = re.compile(TOKEN + rb": ?[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?|" + TOKEN + b":")


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, then answers 200 with an empty body (so that a HEAD response
    parses like any other); a client gone is fine. Refuses websockets."""
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.close"})  # refused: 403
        return
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if not message.get("more_body", False):
            break
    with suppress(OSError):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def check_responses(data: bytes) -> list[int]:
    """The statuses of the well-formed responses ``data`` is made of (asserts it is)."""
    statuses: list[int] = []
    last_closes = False
    while data:
        assert not last_closes, f"a response after the connection's last: {data!r}"
        head, found, data = data.partition(b"\r\n\r\n")
        assert found, f"a response head cut short: {head!r}"
        status_line, *lines = head.split(b"\r\n")
        match = STATUS_LINE.fullmatch(status_line)
        assert match, status_line
        status = int(match[1])
        assert status == 100 or 200 <= status < 300 or 400 <= status < 600, status_line
        fields: dict[bytes, bytes] = {}
        for line in lines:
            assert FIELD_LINE.fullmatch(line), line
            name, _, value = line.partition(b":")
            assert name.lower() not in fields, f"{name!r} twice"
            fields[name.lower()] = value.strip()
        statuses.append(status)
        if status == 100:
            continue
        last_closes = status >= 400 or fields.get(b"connection", b"").lower() == b"close"
        if fields.get(b"transfer-encoding") == b"chunked":
            assert b"content-length" not in fields
            while True:
                size_line, found, data = data.partition(b"\r\n")
                assert found, "a chunk size cut short"
                assert re.fullmatch(rb"[0-9a-f]+", size_line), size_line
                size = int(size_line, 16)
                assert data[size : size + 2] == b"\r\n"
                data = data[size + 2 :]
                if size == 0:
                    break
        else:
            length = fields.get(b"content-length")
            assert length is not None, fields
            assert length.isdigit(), fields
            assert len(data) >= int(length), "a body cut short"
            data = data[int(length) :]
    return statuses


async def exchange(host: str, port: int, data: bytes) -> bytes:
    """Send ``data`` on a new connection, shut the sending side, read to the end."""
    received = b""
    stream = await trio.open_tcp_stream(host, port)
    async with stream:
        with suppress(trio.BrokenResourceError):
            await stream.send_all(data)
            await stream.send_eof()
        with suppress(trio.BrokenResourceError):
            while chunk := await stream.receive_some():
                received += chunk
    return received


def run_batch(parser: str, batch: list[bytes]) -> list[bytes]:
    """Each of ``batch`` on its own connection, side by side, to a fresh server; what each
    got back. Bounded; checks for leaks."""
    answers = [b""] * len(batch)

    async def main() -> None:
        with trio.fail_after(BOUND):
            async with (
                trio.open_nursery() as nursery,
                served(nursery, app, parser=parser) as running,
                trio.open_nursery() as clients,
            ):

                async def one(index: int) -> None:
                    answers[index] = await exchange(running.host, running.port, batch[index])

                for index in range(len(batch)):
                    clients.start_soon(one, index)

    trio.run(main)
    return answers


@pytest.mark.parametrize("parser", ["h11", "httptools"])
@given(batch=st.lists(connections, min_size=1, max_size=4))
@fuzz_settings(50)
@example(batch=list(VALID_REQUESTS))
@example(
    batch=[
        b"",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # a TLS client hello
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nshort",
        b"GET /" + b"x" * 20000 + b" HTTP/1.1\r\n\r\n",
    ]
)
def test_raw_requests_get_well_formed_answers(parser: str, batch: list[bytes]) -> None:
    for data, answer in zip(batch, run_batch(parser, batch), strict=True):
        check_responses(answer)
        if not data:
            assert answer == b""
