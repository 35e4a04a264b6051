"""``start_response`` and ``BodyFraming`` against h11: the same response, the same bytes.

The server writes responses itself rather than through h11's ``send``, to be cheaper, but by
h11's rules, so that a response reads the same whichever parser served the request. h11 is the
oracle here: for each request (method, version, keep-alive or not) and each response, an
``h11.Connection`` that received the request head sends the response, and the bytes it writes
and whether it keeps the connection (``DONE`` rather than ``MUST_CLOSE``) must be ours. Header
fields avoid ``Host``: h11 writes it first, ours keep the app's order, deliberately.
"""

from __future__ import annotations

import h11
import pytest

from trioquart.server.http_parser import keeps_alive
from trioquart.server.http_response import (
    REASONS,
    ResponseError,
    ResponseStart,
    header_block,
    start_response,
)

Headers = list[tuple[bytes, bytes]]


def request_head(method: bytes, version: bytes, close: bool) -> bytes:
    """A request head without a body."""
    target = b"a:443" if method == b"CONNECT" else b"/"
    connection = b"Connection: close\r\n" if close else b""
    return b"%s %s HTTP/%s\r\nHost: a\r\n%s\r\n" % (method, target, version, connection)


def by_h11(request: bytes, status: int, headers: Headers, body: list[bytes]) -> tuple[bytes, bool]:
    """The bytes h11 writes for the response, and whether it keeps the connection."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(request)
    event = conn.next_event()
    assert isinstance(event, h11.Request)
    assert isinstance(conn.next_event(), h11.EndOfMessage)
    response = h11.Response(status_code=status, headers=headers, reason=REASONS.get(status, b""))
    out = conn.send(response) or b""
    if event.method != b"HEAD" and status not in (204, 304):
        for piece in body:
            out += conn.send(h11.Data(data=piece)) or b""
    out += conn.send(h11.EndOfMessage()) or b""
    assert conn.our_state in (h11.DONE, h11.MUST_CLOSE)
    return out, conn.our_state is h11.DONE


def by_us(
    method: bytes, version: bytes, close: bool, status: int, headers: Headers, body: list[bytes]
) -> tuple[bytes, bool]:
    """The bytes ``start_response`` and its framing write, and whether the connection goes on."""
    request = [(b"host", b"a"), *([(b"connection", b"close")] if close else [])]
    start = start_response(
        status,
        list(headers),
        method=method,
        http_version=version,
        keep_alive=keeps_alive(version, request),
    )
    out = start.head
    if method != b"HEAD" and status not in (204, 304):
        for piece in body:
            out += start.body.data(piece)
    out += start.body.end()
    return out, start.keep_alive


#: Responses: status, header fields, body pieces.
RESPONSES: dict[str, tuple[int, Headers, list[bytes]]] = {
    "Content-Length": (
        200,
        [(b"Content-Type", b"text/plain"), (b"Content-Length", b"5")],
        [b"he", b"", b"llo"],
    ),
    "Content-Length zero": (200, [(b"content-length", b"0")], []),
    "streamed": (200, [(b"Content-Type", b"text/plain")], [b"hello", b"", b" world"]),
    "streamed, no fields": (200, [], [b"x"]),
    "app chunked": (200, [(b"Transfer-Encoding", b"chunked"), (b"X-A", b"1")], [b"ab", b"c"]),
    "app chunked, capitals": (200, [(b"transfer-encoding", b"Chunked")], [b"ab"]),
    "both framings": (
        200,
        [(b"content-length", b"2"), (b"transfer-encoding", b"chunked")],
        [b"ab"],
    ),
    "204 with a length": (204, [(b"content-length", b"3"), (b"X-A", b"1")], []),
    "304": (304, [(b"ETag", b'"x"'), (b"Content-Length", b"10")], []),
    "Connection: keep-alive, Foo": (
        200,
        [(b"connection", b"keep-alive, Foo"), (b"Content-Length", b"2")],
        [b"ok"],
    ),
    "Connection: keep-alive, streamed": (200, [(b"Connection", b"Keep-Alive")], [b"ok"]),
    "app Connection: close last": (200, [(b"content-length", b"0"), (b"Connection", b"close")], []),
    "unknown status, no reason": (299, [(b"Content-Length", b"1")], [b"x"]),
    "404 streamed": (404, [(b"X-A", b"1")], [b"nope"]),
}

REQUESTS = [
    (method, version, close)
    for method in (b"GET", b"HEAD", b"POST")
    for version in (b"1.0", b"1.1")
    for close in (False, True)
]


@pytest.mark.parametrize(("method", "version", "close"), REQUESTS)
@pytest.mark.parametrize("name", RESPONSES)
def test_same_as_h11(name: str, method: bytes, version: bytes, close: bool) -> None:
    status, headers, body = RESPONSES[name]
    theirs = by_h11(request_head(method, version, close), status, headers, body)
    ours = by_us(method, version, close, status, headers, body)
    assert ours == theirs


@pytest.mark.parametrize("version", [b"1.0", b"1.1"])
@pytest.mark.parametrize("close", [False, True])
@pytest.mark.parametrize("name", RESPONSES)
def test_connect_closes_after(name: str, version: bytes, close: bool) -> None:
    """A response to ``CONNECT`` is framed as to a ``GET`` with ``Connection: close``.

    h11 would switch protocols after a 2xx (a tunnel: no framing, the bytes after are not
    HTTP) and keep the connection after any other status. The server serves no tunnel and never
    reads HTTP after a ``CONNECT``, so it closes after the response, framed as any other.
    """
    status, headers, body = RESPONSES[name]
    theirs = by_h11(request_head(b"GET", version, True), status, headers, body)
    ours = by_us(b"CONNECT", version, close, status, headers, body)
    assert ours == theirs
    assert not ours[1]


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Connection", b"close"), (b"content-length", b"0")],
        [(b"connection", b"close"), (b"X-A", b"1"), (b"content-length", b"0")],
    ],
)
def test_app_connection_close_not_last(headers: Headers) -> None:
    """The app's ``Connection: close`` field stays where the app put it, as h11 keeps it."""
    theirs = by_h11(request_head(b"GET", b"1.1", False), 200, headers, [])
    ours = by_us(b"GET", b"1.1", False, 200, headers, [])
    assert ours == theirs


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Content-Length", b"2"), (b"X-A", b"1"), (b"content-length", b"2")],
        [(b"Content-Length", b"2, 2")],
    ],
)
def test_app_content_length_written_once(headers: Headers) -> None:
    """Equal ``Content-Length`` fields (or a list of one value) go out as one, as h11 has it."""
    theirs = by_h11(request_head(b"GET", b"1.1", False), 200, headers, [b"ab"])
    ours = by_us(b"GET", b"1.1", False, 200, headers, [b"ab"])
    assert ours == theirs


# The length of a whole body, known when the response starts.


@pytest.mark.parametrize(
    "headers",
    [[(b"Content-Type", b"text/plain")], [(b"Connection", b"keep-alive, Foo")]],
)
@pytest.mark.parametrize(("method", "version", "close"), REQUESTS)
def test_known_length_as_a_content_length(
    method: bytes, version: bytes, close: bool, headers: Headers
) -> None:
    """A body known whole gets a ``Content-Length``, as if the app had given one (with the
    app's own ``Connection`` field too, which takes the general rules)."""
    theirs = by_h11(
        request_head(method, version, close), 200, [*headers, (b"content-length", b"5")], [b"hello"]
    )
    request = [(b"host", b"a"), *([(b"connection", b"close")] if close else [])]
    start = start_response(
        200,
        list(headers),
        method=method,
        http_version=version,
        keep_alive=keeps_alive(version, request),
        length=5,
    )
    ours = start.head + (start.body.data(b"hello") if method != b"HEAD" else b"") + start.body.end()
    assert (ours, start.keep_alive) == theirs


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (200, [(b"Transfer-Encoding", b"chunked")]),
        (200, [(b"Content-Length", b"3")]),
        (204, []),
        (304, []),
    ],
)
def test_known_length_yields_to_the_app_and_to_no_body(status: int, headers: Headers) -> None:
    """``length`` is ignored when the app frames the body itself, or when there is no body."""
    given = start_response(
        status, list(headers), method=b"GET", http_version=b"1.1", keep_alive=True, length=3
    )
    without = start_response(
        status, list(headers), method=b"GET", http_version=b"1.1", keep_alive=True
    )
    assert given.head == without.head


def test_defaults_added_unless_the_app_has_them() -> None:
    defaults = [(b"server", b"trioquart"), (b"date", b"today")]
    start = start_response(
        200,
        [(b"Date", b"yesterday"), (b"content-length", b"0")],
        method=b"GET",
        http_version=b"1.1",
        keep_alive=True,
        defaults=defaults,
    )
    assert start.head == (
        b"HTTP/1.1 200 OK\r\nDate: yesterday\r\ncontent-length: 0\r\nserver: trioquart\r\n\r\n"
    )


# What the app cannot send.


def start(headers: Headers, status: int = 200) -> ResponseStart:
    """A response to a keep-alive HTTP/1.1 ``GET``."""
    return start_response(status, headers, method=b"GET", http_version=b"1.1", keep_alive=True)


@pytest.mark.parametrize(
    "headers",
    [
        [(b"x", b"a\r\nInjected: yes")],
        [(b"x", b"a\rb")],
        [(b"x", b"a\nb")],
        [(b"x", b"a\x00b")],
        [(b"x", b"a\r\n")],
        [(b"x\nInjected", b"yes")],
        [(b"x\r\nInjected", b"yes")],
        [(b"x y", b"z")],
        [(b"x:", b"z")],
        [(b"", b"z")],
        [(b"x", b" leading")],
        [(b"x", b"trailing ")],
        [(b"x", b"a\x7fb")],
    ],
)
def test_fields_http_does_not_allow(headers: Headers) -> None:
    with pytest.raises(ResponseError):
        start(headers)
    with pytest.raises(ResponseError):
        header_block(headers)


def test_fields_h11_allows() -> None:
    """Tabs and spaces inside a value, obs-text, an empty value: written as they are."""
    headers = [(b"x", b"a \t b"), (b"y", b"\xff"), (b"z", b""), (b"~!#$%&'*+-.^_`|", b"1")]
    assert header_block(headers) == b"x: a \t b\r\ny: \xff\r\nz: \r\n~!#$%&'*+-.^_`|: 1\r\n"
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(request_head(b"GET", b"1.1", False))
    conn.next_event()
    written = conn.send(
        h11.Response(status_code=200, headers=[*headers, (b"content-length", b"0")])
    )
    assert written is not None
    assert header_block(headers) in written


@pytest.mark.parametrize("status", [0, 100, 101, 199, 1000])
def test_status_out_of_range(status: int) -> None:
    with pytest.raises(ResponseError):
        start([], status)


def test_more_body_than_the_content_length() -> None:
    body = start([(b"content-length", b"3")]).body
    assert body.data(b"ab") == b"ab"
    with pytest.raises(ResponseError):
        body.data(b"cd")


def test_less_body_than_the_content_length() -> None:
    body = start([(b"content-length", b"3")]).body
    assert body.data(b"ab") == b"ab"
    with pytest.raises(ResponseError):
        body.end()


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Transfer-Encoding", b"gzip")],
        [(b"Transfer-Encoding", b"gzip, chunked")],
        [(b"Transfer-Encoding", b"chunked"), (b"transfer-encoding", b"chunked")],
    ],
)
def test_transfer_encoding_other_than_chunked(headers: Headers) -> None:
    with pytest.raises(ResponseError):
        start(headers)


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Content-Length", b"1"), (b"Content-Length", b"2")],
        [(b"Content-Length", b"1, 2")],
        [(b"Content-Length", b"x")],
        [(b"Content-Length", b"-1")],
        [(b"Content-Length", b"")],
        [(b"Content-Length", b"1" * 21)],
    ],
)
def test_bad_content_length(headers: Headers) -> None:
    with pytest.raises(ResponseError):
        start(headers)
