"""HTTP/1.1 conformance of the built-in server (RFC 9112 message syntax, RFC 9110 semantics).

Every test here is one row of the table in ``docs/server-conformance.md``: a raw request, sent
byte for byte over real TCP to the server on 127.0.0.1 (``served``, which also checks that
the server's tasks and files come back to their baseline), and the exact answer the RFC asks
for. Most rows are about request smuggling and message framing: a server that reads a body's
length differently from a proxy in front of it lets a second, hidden request through, so a
request whose framing is ambiguous must be refused and its connection closed, and nothing
after it may be read as a request.

Every row runs once per ``ServerConfig.parser``. Where the RFC allows more than one answer
(an ``obs-fold``, a bare LF, a repeated identical ``Content-Length``...), the h11 row asserts
what h11 does and the httptools row accepts any answer the RFC allows; elsewhere both parsers
must give the same answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
import trio
import trio.testing

from trioquart.server.types import Message, Receive, Scope, Send

from .conftest import RawClient, Response, get, read_body, respond, served

PARSERS = pytest.mark.parametrize("parser", ["h11", "httptools"])
#: Seconds (real time) any one exchange may take: a safety bound, never a timing.
BOUND = 10


@dataclass
class Recorder:
    """An app that reads each request's body and answers ``<method> <path> <body>``,
    recording each scope and body on the way."""

    scopes: list[Scope] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.scopes.append(scope)
        body = await read_body(receive)
        self.bodies.append(body)
        await respond(send, body=f"{scope['method']} {scope['path']} ".encode() + body)

    @property
    def paths(self) -> list[str]:
        """The path of every request the app was called for."""
        return [scope["path"] for scope in self.scopes]


@asynccontextmanager
async def connection(
    nursery: trio.Nursery, app: object, parser: str, **options: object
) -> AsyncIterator[RawClient]:
    """A raw client connected to ``app`` served with ``parser``; bounded in time."""
    with trio.fail_after(BOUND):
        async with (
            served(nursery, app, parser=parser, **options) as running,  # type: ignore[arg-type]
            RawClient.connect(running) as client,
        ):
            yield client


async def refused(client: RawClient, status: int | set[int]) -> Response:
    """The one response to a refused request: ``status`` (one of them), ``Connection:
    close``, then the end of the connection with nothing after it."""
    statuses = {status} if isinstance(status, int) else status
    response = await client.response()
    assert response.status in statuses, response
    assert response.header("connection") == "close", response
    assert await client.closed(), client.buffer
    return response


SMUGGLED = get("/smuggled")


# Framing: Content-Length and Transfer-Encoding ---------------------------------------------


@PARSERS
async def test_content_length_with_transfer_encoding_is_refused_and_closed(
    nursery: trio.Nursery, parser: str
) -> None:
    """RFC 9112 6.1: a request with both fields is refused (400) and the connection closed, so
    the bytes after its body are never served as a second request (smuggling)."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
        )
        await refused(client, 400)
    assert "/smuggled" not in app.paths


@PARSERS
@pytest.mark.parametrize(
    "lengths",
    [["3", "4"], ["3, 4"], ["4", "3"]],
    ids=["two-fields", "one-list", "two-fields-reversed"],
)
async def test_conflicting_content_lengths_get_400(
    nursery: trio.Nursery, parser: str, lengths: list[str]
) -> None:
    app = Recorder()
    fields = "".join(f"Content-Length: {length}\r\n" for length in lengths)
    async with connection(nursery, app, parser) as client:
        await client.send(f"POST / HTTP/1.1\r\nHost: t\r\n{fields}\r\nabcd".encode() + SMUGGLED)
        await refused(client, 400)
    assert app.scopes == []


@PARSERS
@pytest.mark.parametrize("fields", ["Content-Length: 3\r\n" * 2, "Content-Length: 3, 3\r\n"])
async def test_repeated_identical_content_length(
    nursery: trio.Nursery, parser: str, fields: str
) -> None:
    """RFC 9110 8.6 lets a recipient either reject the repetition or take it as one value.
    h11 takes it as one value; any parser must do one or the other, never read another
    length."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(f"POST / HTTP/1.1\r\nHost: t\r\n{fields}\r\nabc".encode() + SMUGGLED)
        response = await client.response()
        if parser == "h11" or response.status == 200:
            assert (response.status, response.body) == (200, b"POST / abc")
            assert (await client.response()).body == b"GET /smuggled "
        else:
            assert response.status == 400
            assert await client.closed()
    assert app.bodies in ([b"abc", b""], [])


@PARSERS
@pytest.mark.parametrize(
    "value", ["+3", "-3", "3 3", "3x", "0x3", "3.0", "", "1" * 40 + "x", "\x0b3"]
)
async def test_malformed_content_length_gets_400(
    nursery: trio.Nursery, parser: str, value: str
) -> None:
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(
            f"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {value}\r\n\r\nabc".encode("latin-1")
            + SMUGGLED
        )
        await refused(client, 400)
    assert app.scopes == []


@PARSERS
@pytest.mark.parametrize(
    "fields",
    [
        "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: identity\r\n",
        "Transfer-Encoding: chunked, chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked, gzip\r\n",
    ],
    ids=["gzip-chunked", "identity", "chunked-in-one-list-twice", "chunked-twice", "not-last"],
)
async def test_unsupported_transfer_coding_is_refused(
    nursery: trio.Nursery, parser: str, fields: str
) -> None:
    """RFC 9112 6.1: a coding the server does not implement gets 501; chunked applied twice
    or not last is a framing error (400). h11 implements only a lone ``chunked`` and answers
    501 to everything else."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(
            f"POST / HTTP/1.1\r\nHost: t\r\n{fields}\r\n0\r\n\r\n".encode() + SMUGGLED
        )
        await refused(client, 501 if parser == "h11" else {400, 501})
    assert app.scopes == []


# Chunked bodies ----------------------------------------------------------------------------


@PARSERS
@pytest.mark.parametrize("size", [b"zz", b"ffffffffffffffffffffffff", b"-1", b"", b" 3", b"0x3"])
async def test_invalid_chunk_size_ends_the_connection(
    nursery: trio.Nursery, parser: str, size: bytes
) -> None:
    """A chunk size that is not hex, or too large for any integer, is a framing error: the
    body is broken, the connection cannot carry another request. The request head was valid
    and the app has been called: it gets ``http.disconnect`` and the server closes the
    connection without a response (h11); a 400 then a close is as good."""
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            received.append(await receive())
            if received[-1]["type"] == "http.request":
                await respond(send)

    async with connection(nursery, app, parser) as client:
        await client.send(
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + size
            + b"\r\nabc\r\n0\r\n\r\n"
            + SMUGGLED
        )
        if parser == "h11":
            assert await client.closed(), client.buffer
        elif client.buffer or await client.fill():
            await refused(client, 400)
    assert received == [{"type": "http.disconnect"}]


@PARSERS
async def test_chunk_extensions_and_trailers_are_accepted(
    nursery: trio.Nursery, parser: str
) -> None:
    """RFC 9112 7.1.1 and 7.1.2: extensions are ignored, trailer fields do not reach the body."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'3;name=value;quoted="a b"\r\nabc\r\n2;x\r\nde\r\n0;last\r\n'
            b"X-Trailer: one\r\nX-Other: two\r\n\r\n" + get("/next")
        )
        assert (await client.response()).body == b"POST / abcde"
        assert (await client.response()).body == b"GET /next "
    assert app.bodies == [b"abcde", b""]


# Header syntax ----------------------------------------------------------------------------


@PARSERS
async def test_obsolete_line_folding(nursery: trio.Nursery, parser: str) -> None:
    """RFC 9112 5.2: a server MUST either reject an ``obs-fold`` with 400 or replace it with
    spaces before reading the value. h11 replaces it (``b c``)."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Folded: b\r\n \t c\r\n\r\n")
        response = await client.response()
        if parser == "h11" or response.status != 400:
            assert response.status == 200
            [scope] = app.scopes
            assert (b"x-folded", b"b c") in scope["headers"]
            assert all(b"\r" not in v and b"\n" not in v for _, v in scope["headers"])
        else:
            assert response.header("connection") == "close"


@PARSERS
@pytest.mark.parametrize(
    "request_bytes",
    [b"GET /lf HTTP/1.1\nHost: t\n\n", b"GET /lf HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n"],
    ids=["everywhere", "in-the-headers"],
)
async def test_bare_lf_line_endings(
    nursery: trio.Nursery, parser: str, request_bytes: bytes
) -> None:
    """RFC 9112 2.2: a recipient MAY take a bare LF as a line end. h11 does; a 400 is allowed
    too, but never a request read any other way."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(request_bytes)
        response = await client.response()
        if parser == "h11" or response.status != 400:
            assert (response.status, response.body) == (200, b"GET /lf ")
        else:
            assert await client.closed()


@PARSERS
@pytest.mark.parametrize(
    "line",
    [
        b"Host : t",  # whitespace between the name and the colon (RFC 9112 5.1)
        b"Host\t: t",
        b"X-A: a\x00b",  # NUL in a value (RFC 9110 5.5)
        b"X-A: a\rb",  # a bare CR in a value
        b"X-A: a\r b",
        b"X(A): b",  # a name that is not a token
        b": no name",
        b"no colon",
    ],
)
async def test_invalid_header_line_gets_400(
    nursery: trio.Nursery, parser: str, line: bytes
) -> None:
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(b"GET / HTTP/1.1\r\nHost: t\r\n" + line + b"\r\n\r\n" + SMUGGLED)
        await refused(client, 400)
    assert app.scopes == []


@PARSERS
@pytest.mark.parametrize(
    "request_line",
    [
        b"G(T / HTTP/1.1",
        b"GET\x00 / HTTP/1.1",
        b" GET / HTTP/1.1",
        b"GET  / HTTP/1.1",
        b"GET / HTTP/1.1 ",
        b"GET /",
        b"GET / HTTP/1",
        b"GET / HTTPS/1.1",
        b"GET /a b HTTP/1.1",
    ],
)
async def test_invalid_request_line_gets_400(
    nursery: trio.Nursery, parser: str, request_line: bytes
) -> None:
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(request_line + b"\r\nHost: t\r\n\r\n" + SMUGGLED)
        await refused(client, 400)
    assert app.scopes == []


@PARSERS
@pytest.mark.parametrize(
    ("request_line", "path", "query"),
    [
        (b"GET http://t/a/b?q=1 HTTP/1.1", "http://t/a/b", b"q=1"),
        (b"OPTIONS * HTTP/1.1", "*", b""),
    ],
    ids=["absolute-form", "asterisk-form"],
)
async def test_request_target_forms(
    nursery: trio.Nursery, parser: str, request_line: bytes, path: str, query: bytes
) -> None:
    """RFC 9112 3.2.2 and 3.2.4: an absolute-form target, and OPTIONS' ``*``, are served.
    The server passes the target through as ``path`` (h11 does not split the authority off an
    absolute form; ASGI leaves that to the app)."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(request_line + b"\r\nHost: t\r\n\r\n")
        assert (await client.response()).status == 200
    [scope] = app.scopes
    assert (scope["path"], scope["query_string"]) == (path, query)


# Host and version -------------------------------------------------------------------------


@PARSERS
async def test_http_10_without_host_is_served_then_closed(
    nursery: trio.Nursery, parser: str
) -> None:
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(b"GET /old HTTP/1.0\r\n\r\n" + SMUGGLED)
        response = await client.response()
        assert (response.status, response.body) == (200, b"GET /old ")
        assert await client.closed(), client.buffer
    assert app.paths == ["/old"]
    assert app.scopes[0]["http_version"] == "1.0"


@PARSERS
@pytest.mark.parametrize("fields", ["", "Host: a\r\nHost: b\r\n"], ids=["no-host", "two-hosts"])
async def test_http_11_without_exactly_one_host_gets_400(
    nursery: trio.Nursery, parser: str, fields: str
) -> None:
    """RFC 9112 3.2: a 1.1 request without a Host field, or with more than one, gets 400."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(f"GET / HTTP/1.1\r\n{fields}\r\n".encode() + SMUGGLED)
        await refused(client, 400)
    assert app.scopes == []


@PARSERS
async def test_http2_preface_is_not_served(nursery: trio.Nursery, parser: str) -> None:
    """RFC 9113 3.4: the HTTP/2 preface is refused (505) or closed, never served."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        if client.buffer or await client.fill():
            response = await client.response()
            assert response.status in (400, 505), response
        assert await client.closed()
    assert app.scopes == []


@PARSERS
@pytest.mark.parametrize("version", ["0.9", "2.0", "3.0"])
async def test_unsupported_major_version_gets_505(
    nursery: trio.Nursery, parser: str, version: str
) -> None:
    """RFC 9110 15.6.6: a major version other than 1 gets 505 (ASGI has no '0.9' nor '3.0')."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(f"GET / HTTP/{version}\r\nHost: t\r\n\r\n".encode())
        await refused(client, 505)
    assert app.scopes == []


@PARSERS
async def test_higher_minor_version_is_served_as_1_1(nursery: trio.Nursery, parser: str) -> None:
    """RFC 9112 2.3: a higher minor version of HTTP/1 is served as 1.1."""
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(b"GET /next HTTP/1.2\r\nHost: t\r\n\r\n" + get("/after"))
        assert (await client.response()).body == b"GET /next "
        assert (await client.response()).body == b"GET /after "
    assert [scope["http_version"] for scope in app.scopes] == ["1.1", "1.1"]


@PARSERS
async def test_too_long_request_line_gets_431(nursery: trio.Nursery, parser: str) -> None:
    """The head's limit (``max_header_bytes``) counts the request line: a longer line gets
    431, whether it arrives whole or in pieces (414 would be as right; the server has one
    limit for the whole head)."""
    app = Recorder()
    async with connection(nursery, app, parser, max_header_bytes=1024) as client:
        await client.send(b"GET /" + b"a" * 2000)
        await client.send(b" HTTP/1.1\r\nHost: t\r\n\r\n")
        await refused(client, 431)
    assert app.scopes == []


# Connection management --------------------------------------------------------------------


@PARSERS
async def test_three_pipelined_requests_answered_in_order(
    nursery: trio.Nursery, parser: str
) -> None:
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(
            get("/one")
            + b"POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
            + get("/three")
        )
        bodies = [(await client.response()).body for _ in range(3)]
    assert bodies == [b"GET /one ", b"POST /two abc", b"GET /three "]


@PARSERS
async def test_request_after_connection_close_is_not_answered(
    nursery: trio.Nursery, parser: str
) -> None:
    app = Recorder()
    async with connection(nursery, app, parser) as client:
        await client.send(get("/last", "Connection: close") + SMUGGLED)
        response = await client.response()
        assert (response.body, response.header("connection")) == (b"GET /last ", "close")
        assert await client.closed(), client.buffer
    assert app.paths == ["/last"]


@PARSERS
async def test_body_cut_short_is_a_disconnect(nursery: trio.Nursery, parser: str) -> None:
    """The client leaves before the ``Content-Length`` it announced: the app gets what came
    and then ``http.disconnect``; its response is refused (``send`` raises) and nothing is
    written on the closed socket; no task is left behind (the leak check of ``served``)."""
    received: list[Message] = []
    send_error: list[BaseException] = []
    done = trio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            while not received or received[-1]["type"] != "http.disconnect":
                received.append(await receive())
            try:
                await respond(send)
            except OSError as error:
                send_error.append(error)
        finally:
            done.set()

    with trio.fail_after(BOUND):
        async with served(nursery, app, parser=parser) as running:
            async with RawClient.connect(running) as client:
                await client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
                assert isinstance(client.stream, trio.SocketStream)
                await client.stream.send_eof()
                assert await client.closed(), client.buffer
            await done.wait()
    assert received[-1] == {"type": "http.disconnect"}
    assert b"".join(bytes(m.get("body", b"")) for m in received) == b"abc"
    assert len(send_error) == 1


# Responses --------------------------------------------------------------------------------


async def streamed(scope: Scope, receive: Receive, send: Send) -> None:
    """Streams ``hello`` in two body messages, with the status in the path (``/204``)."""
    if scope["type"] == "http":
        status = int(scope["path"].strip("/") or 200)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"hel", "more_body": True})
        await send({"type": "http.response.body", "body": b"lo"})


async def whole(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers ``hello`` in one body message, with the status in the path (``/204``)."""
    if scope["type"] == "http":
        await respond(send, int(scope["path"].strip("/") or 200), b"hello")


@PARSERS
@pytest.mark.parametrize("app", [whole, streamed], ids=["whole", "streamed"])
async def test_head_has_the_get_headers_and_no_body(
    nursery: trio.Nursery, parser: str, app: object
) -> None:
    """RFC 9110 9.3.2: HEAD gets GET's head without a body. A whole response keeps the
    ``Content-Length`` of the GET; a streamed one has no length to give."""
    async with connection(nursery, app, parser) as client:
        await client.send(get() + get(method="HEAD") + get())
        as_get = await client.response()
        as_head = await client.response(head=True)
        assert (await client.response()).body == b"hello"  # nothing was left in between
    assert as_get.body == b"hello"
    assert as_head.status == 200
    assert as_head.header("content-length") == as_get.header("content-length")
    assert as_head.header("transfer-encoding") is None or app is streamed


@PARSERS
@pytest.mark.parametrize("status", [204, 304])
@pytest.mark.parametrize("app", [whole, streamed], ids=["whole", "streamed"])
async def test_204_and_304_have_no_body_and_no_framing(
    nursery: trio.Nursery, parser: str, status: int, app: object
) -> None:
    """RFC 9110 15.3.5 / 15.4.5 and RFC 9112 6.1: no body, no ``Transfer-Encoding`` (nor a
    ``Content-Length`` on a 204), even when the app sends a body."""
    async with connection(nursery, app, parser) as client:
        await client.send(get(f"/{status}") + get("/200"))
        response = await client.response()
        assert response.status == status
        assert response.header("transfer-encoding") is None
        if status == 204:
            assert response.header("content-length") is None
        after = await client.response()  # the body was not written: this parses right
        assert (after.status, after.body) == (200, b"hello")


@PARSERS
async def test_100_continue_only_when_the_app_reads(nursery: trio.Nursery, parser: str) -> None:
    """RFC 9110 10.1.1: ``100 Continue`` goes out when the app asks for the body, not
    before, and never for an app that answers without reading."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            body = await read_body(receive) if scope["path"] == "/read" else b"unread"
            await respond(send, body=body)

    head = "POST {} HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    async with connection(nursery, app, parser) as client:
        await client.send(head.format("/read").encode())
        assert (await client.response()).status == 100
        await client.send(b"body")
        assert (await client.response()).body == b"body"
        await client.send(head.format("/skip").encode())
        response = await client.response()
        assert (response.status, response.body) == (200, b"unread")


@PARSERS
@pytest.mark.parametrize(
    ("name", "value"),
    [
        (b"x-evil", b"a\r\nSet-Cookie: injected=1"),
        (b"x-evil", b"a\nSet-Cookie: injected=1"),
        (b"x-evil", b"a\rb"),
        (b"x-evil", b"a\x00b"),
        (b"x-evil\r\nset-cookie", b"injected=1"),
        (b"x evil", b"a"),
    ],
)
async def test_app_header_with_cr_lf_is_never_written(
    nursery: trio.Nursery, parser: str, name: bytes, value: bytes
) -> None:
    """A response header the app built with CR, LF or NUL in it (or a name that is not a
    token) would let a request's data inject headers: the server answers 500 instead."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await respond(send, body=b"never", headers=[(name, value)])

    async with connection(nursery, app, parser) as client:
        await client.send(get())
        response = await refused(client, 500)
    assert response.header("set-cookie") is None
    assert b"never" not in response.body
