"""``HttptoolsConnection`` against ``h11.Connection``: the same bytes in, the same events out.

Each request is driven through both with the same responses, and what each does is logged:
events (type and fields), both states after each, trailing data, and the bytes written. The
logs must be equal, fed whole and byte by byte.
"""

from __future__ import annotations

from collections.abc import Callable

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trioquart.server.httptools_protocol import HttptoolsConnection

Connection = h11.Connection | HttptoolsConnection
Responder = Callable[[h11.Request], list[h11.Event]]


def respond(request: h11.Request) -> list[h11.Event]:
    """A response chosen by the request's path, without a body for ``HEAD``."""
    events = respond_get(request)
    if request.method == b"HEAD":
        return [event for event in events if not isinstance(event, h11.Data)]
    return events


def respond_get(request: h11.Request) -> list[h11.Event]:
    """A response chosen by the request's path."""
    path = request.target
    if path.startswith(b"/stream"):
        extra = [(b"connection", b"keep-alive, Foo")] if path == b"/stream/ka" else []
        return [
            h11.Response(status_code=200, headers=[(b"Content-Type", b"text/plain"), *extra]),
            h11.Data(data=b"hello"),
            h11.Data(data=b""),
            h11.Data(data=b" world"),
            h11.EndOfMessage(),
        ]
    if path == b"/empty":
        return [
            h11.Response(status_code=204, headers=[(b"content-length", b"3")]),
            h11.EndOfMessage(),
        ]
    if path == b"/close":
        return [
            h11.Response(
                status_code=200, headers=[(b"connection", b"close"), (b"content-length", b"0")]
            ),
            h11.EndOfMessage(),
        ]
    if path == b"/connection-first":
        return [
            h11.Response(
                status_code=200, headers=[(b"Connection", b"keep-alive"), (b"content-length", b"2")]
            ),
            h11.Data(data=b"ab"),
            h11.EndOfMessage(),
        ]
    if path == b"/te":
        return [
            h11.Response(
                status_code=200,
                headers=[(b"content-length", b"2"), (b"transfer-encoding", b"chunked")],
                reason=b"OK",
            ),
            h11.Data(data=b"ab"),
            h11.EndOfMessage(headers=[(b"x-trailer", b"1"), (b"Host", b"h")]),
        ]
    return [
        h11.Response(
            status_code=200,
            headers=[(b"Content-Length", b"2"), (b"X-Ok", b"yes"), (b"Host", b"h")],
            reason=b"OK",
        ),
        h11.Data(data=b"hi"),
        h11.EndOfMessage(),
    ]


def summary(event: object) -> object:
    """An event as comparable fields."""
    if isinstance(event, h11.Request):
        return (
            "request",
            event.method,
            event.target,
            event.http_version,
            event.headers.raw_items(),
        )
    if isinstance(event, h11.Data):
        return ("data", bytes(event.data), event.chunk_start, event.chunk_end)
    if isinstance(event, h11.EndOfMessage):
        return ("end", event.headers.raw_items())
    return event if event in (h11.NEED_DATA, h11.PAUSED) else type(event).__name__


def drive(
    conn: Connection, data: bytes, *, step: int = 0, close: bool = True, reply: Responder = respond
) -> list[object]:
    """Feed ``data`` (``step`` bytes at a time, 0 for all) and answer each request: the log."""
    step = step or max(1, len(data))
    pieces = [data[i : i + step] for i in range(0, len(data), step)] + ([b""] if close else [])
    log: list[object] = []
    request: h11.Request | None = None
    for _ in range(100_000):
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            log.append(("error", exc.error_status_hint))
            break
        log.append(summary(event))
        log.append((conn.their_state, conn.our_state, conn.they_are_waiting_for_100_continue))
        if isinstance(event, h11.Request):
            request = event
            log.append(conn.trailing_data)
        elif event is h11.NEED_DATA:
            if not pieces:
                break
            conn.receive_data(pieces.pop(0))
        elif isinstance(event, h11.ConnectionClosed):
            break
        elif request is not None and conn.their_state is not h11.SEND_BODY:
            for reply_event in reply(request):
                try:
                    log.append(conn.send(reply_event))
                except h11.LocalProtocolError as exc:
                    log.append(("local error", exc.error_status_hint))
                    break
            request = None
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
            log.append("next cycle")
        elif event is h11.PAUSED:
            break
    else:
        pytest.fail("the connection never ran out of events")
    log.append((conn.their_state, conn.our_state, conn.trailing_data))
    return log


def both(
    data: bytes, *, step: int = 0, close: bool = True, max_size: int = 16 * 1024
) -> tuple[list[object], list[object]]:
    """The logs of h11 and of ours for ``data``."""
    theirs = h11.Connection(h11.SERVER, max_incomplete_event_size=max_size)
    ours = HttptoolsConnection(max_incomplete_event_size=max_size)
    return drive(theirs, data, step=step, close=close), drive(ours, data, step=step, close=close)


GET = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
CHUNKED = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
CORPUS = {
    "simple GET": GET,
    "keep-alive, two GETs, then half a head": GET + GET + b"GET / HT",
    "pipelined": GET + b"GET /stream HTTP/1.1\r\nhost: a\r\nX-A: 1\r\n\r\n" + GET,
    "POST Content-Length": b"POST /p?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
    b"hello world" + GET,
    "chunked, extensions, trailers": CHUNKED
    + b"5;name=value\r\nhello\r\n6 \r\n world\r\n0\r\nX-Trailer: a\r\nX-More:  b \r\n\r\n"
    + GET,
    "chunked, folded trailer": CHUNKED + b"1\r\na\r\n0\r\nX-T: a\r\n  b\r\n\n",
    "chunked, LF trailers": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
    b"0\r\nX: 1\n\n" + GET,
    "chunked, empty trailer by LF": CHUNKED + b"0\r\n\n",
    "HTTP/1.0": b"GET / HTTP/1.0\r\n\r\n",
    "HTTP/1.0 keep-alive, streamed": b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "HTTP/1.0 HEAD, streamed": b"HEAD /stream HTTP/1.0\r\n\r\n",
    "HTTP/1.0 expect": b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
    "Connection: close": b"GET /stream/ka HTTP/1.1\r\nHost: a\r\nConnection: Foo, close\r\n\r\n"
    + GET,
    "closing request, response with Connection first": b"GET /connection-first HTTP/1.1\r\n"
    b"Host: a\r\nConnection: close\r\n\r\n",
    "response closes": b"GET /close HTTP/1.1\r\nHost: a\r\n\r\n" + GET,
    "streamed response": b"GET /stream/ka HTTP/1.1\r\nHost: a\r\n\r\n" + GET,
    "204 response": b"GET /empty HTTP/1.1\r\nHost: a\r\n\r\n" + GET,
    "both framings in a response": b"GET /te HTTP/1.1\r\nHost: a\r\n\r\n",
    "HEAD": b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" + b"HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\n",
    "Expect 100-continue": b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
    b"Content-Length: 2\r\n\r\nab",
    "websocket upgrade with bytes after": b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n\x81\x05hello",
    "upgrade header alone": b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n" + GET,
    "CONNECT": b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" + GET,
    "unknown method, lowercase method": b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n"
    b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
    "bare LF line endings": b"GET / HTTP/1.1\nHost: a\n\n",
    "obsolete line folding": b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    "duplicate equal Content-Length": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
    b"Content-Length: 1\r\n\r\nx",
    "control characters h11 allows": b"GET / HTTP/1.1\r\nHost: a\x01b\x7f\r\n\r\n",
    "obs-text and whitespace": b"GET / HTTP/1.1\r\nHost: a\r\nX:\t \xff b \t\r\nY:\r\n\r\n",
    "HTTP/2.0 and HTTP/1.5": b"GET / HTTP/2.0\r\nHost: a\r\n\r\nGET / HTTP/1.5\r\nHost: a\r\n\r\n",
    "absolute target, fragment": b"GET http://a/b#c HTTP/1.1\r\nHost: a\r\n\r\n",
    "body cut short": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
    "chunked cut short": CHUNKED + b"5\r\nab",
    "closed between requests": GET,
    "data after a closing request": b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + GET,
}

MALFORMED = {
    "duplicate differing Content-Length": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
    b"Content-Length: 2\r\n\r\nxx",
    "Content-Length list differing": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n",
    "Content-Length with non-digits": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1a\r\n\r\n",
    "Content-Length signed": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n",
    "Content-Length too long": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
    + b"1" * 21
    + b"\r\n\r\n",
    "TE gzip": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
    "TE gzip, chunked": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "TE chunked twice": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n",
    "TE chunked, chunked": b"POST / HTTP/1.1\r\nHost: a\r\n"
    b"Transfer-Encoding: chunked, chunked\r\n\r\n",
    "obs-fold first": b"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
    "space before colon": b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "NUL in a value": b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
    "VT in a value": b"GET / HTTP/1.1\r\nHost: a\x0bb\r\n\r\n",
    "CR alone": b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
    "invalid method characters": b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
    "two spaces": b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
    "HTTP/0.9": b"GET /\r\n\r\n",
    "target with obs-text": b"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n",
    "no Host": b"GET / HTTP/1.1\r\n\r\n",
    "two Hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "leading CRLF": b"\r\n" + GET,
    "leading LF": b"\n" + GET,
    "leading space": b" GET / HTTP/1.1\r\n",
    "absurdly long head": b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 20_000,
    "bad chunk size": CHUNKED + b"zz\r\n",
    "chunk size too long": CHUNKED + b"0" * 21 + b"\r\n",
    "bad chunk footer": CHUNKED + b"1\r\naXY",
    "bad trailer": CHUNKED + b"0\r\nnocolon\r\n\r\n",
    "trailer fold first": CHUNKED + b"0\r\n x\r\n\r\n",
    "trailer NUL": CHUNKED + b"0\r\nX: \x00\r\n\r\n",
}


@pytest.mark.parametrize("step", [0, 1, 7])
@pytest.mark.parametrize("name", CORPUS)
def test_same_as_h11(name: str, step: int) -> None:
    theirs, ours = both(
        CORPUS[name], step=step, close=name != "keep-alive, two GETs, then half a head"
    )
    assert ours == theirs


@pytest.mark.parametrize("step", [0, 1])
@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_refused_as_h11_does(name: str, step: int) -> None:
    theirs, ours = both(MALFORMED[name], step=step)
    assert ours == theirs
    assert ours[-2] in (("error", 400), ("error", 431), ("error", 501))


def test_content_length_with_transfer_encoding_is_refused() -> None:
    """Deliberately stricter than h11, which reads such a body as chunked."""
    data = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    theirs, ours = both(data + b"0\r\n\r\n")
    assert summary(h11_request(data)) == theirs[2]
    assert ours[2] == ("error", 400)
    assert ours[-1] == (h11.ERROR, h11.IDLE, (b"0\r\n\r\n", False))


def h11_request(data: bytes) -> object:
    """The request h11 reads from ``data``."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    return conn.next_event()


@pytest.mark.parametrize("step", [0, 1])
def test_head_over_the_limit(step: int) -> None:
    head = b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 200 + b"\r\n\r\n"
    theirs, ours = both(head, step=step, max_size=100)
    assert ours == theirs
    if step:
        assert ("error", 431) in ours


def test_errors_stick() -> None:
    conn = HttptoolsConnection()
    conn.receive_data(b"\x00")
    for _ in range(2):
        with pytest.raises(h11.RemoteProtocolError):
            conn.next_event()
    assert conn.their_state is h11.ERROR


def test_no_data_after_close() -> None:
    conn = HttptoolsConnection()
    conn.receive_data(b"")
    with pytest.raises(RuntimeError):
        conn.receive_data(b"x")


def test_start_next_cycle_needs_both_done() -> None:
    conn = HttptoolsConnection()
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()


def pair(data: bytes) -> tuple[h11.Connection, HttptoolsConnection]:
    """Both connections, each having read the request in ``data``."""
    theirs, ours = h11.Connection(h11.SERVER), HttptoolsConnection()
    for conn in (theirs, ours):
        conn.receive_data(data)
        assert isinstance(conn.next_event(), h11.Request)
    return theirs, ours


def send_both(pair_: tuple[h11.Connection, HttptoolsConnection], event: h11.Event) -> bytes:
    """Send ``event`` through both; the bytes (or errors) must be the same."""
    results: list[object] = []
    for conn in pair_:
        try:
            results.append(conn.send(event))
        except h11.LocalProtocolError:
            results.append(None)
        results.append((conn.our_state, conn.their_state))
    assert results[2:] == results[:2]
    assert results[0] is None or isinstance(results[0], bytes)
    return results[0] or b""


def test_100_continue_then_response_before_body() -> None:
    conns = pair(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert all(conn.they_are_waiting_for_100_continue for conn in conns)
    assert send_both(conns, h11.InformationalResponse(status_code=100, headers=[])) == (
        b"HTTP/1.1 100 \r\n\r\n"
    )
    assert not any(conn.they_are_waiting_for_100_continue for conn in conns)
    send_both(conns, h11.Response(status_code=200, headers=[(b"content-length", b"1")]))
    send_both(conns, h11.Data(data=b"xy"))  # too much
    send_both(conns, h11.Data(data=b"x"))  # our state is ERROR
    for conn in conns:
        conn.receive_data(b"ab")
        assert isinstance(conn.next_event(), h11.Data)
        assert isinstance(conn.next_event(), h11.EndOfMessage)
        assert conn.their_state is h11.MUST_CLOSE


@pytest.mark.parametrize(
    "events",
    [
        [h11.Data(data=b"x")],
        [h11.EndOfMessage()],
        [h11.InformationalResponse(status_code=101, headers=[])],
        [h11.Response(status_code=200, headers=[(b"content-length", b"2")]), h11.EndOfMessage()],
        [
            h11.Response(status_code=200, headers=[(b"content-length", b"0")]),
            h11.EndOfMessage(headers=[(b"x", b"y")]),
        ],
        [h11.Response(status_code=200, headers=[]), h11.Response(status_code=200, headers=[])],
        [h11.Response(status_code=200, headers=[], http_version=b"1.0")],
        [h11.ConnectionClosed()],
    ],
)
def test_send_errors_as_h11(events: list[h11.Event]) -> None:
    conns = pair(GET)
    for event in events:
        send_both(conns, event)


def test_http10_trailers_refused() -> None:
    conns = pair(b"GET / HTTP/1.0\r\n\r\n")
    send_both(conns, h11.Response(status_code=200, headers=[]))
    send_both(conns, h11.EndOfMessage(headers=[(b"x", b"y")]))


def test_101_switches_an_upgrade() -> None:
    conns = pair(
        b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nrest"
    )
    for conn in conns:
        assert conn.next_event() == h11.EndOfMessage()
    head = send_both(
        conns, h11.InformationalResponse(status_code=101, headers=[(b"upgrade", b"websocket")])
    )
    assert head == b"HTTP/1.1 101 \r\nupgrade: websocket\r\n\r\n"
    for conn in conns:
        assert conn.next_event() is h11.PAUSED
        assert conn.trailing_data == (b"rest", False)
        assert conn.their_state is h11.SWITCHED_PROTOCOL


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([(b"x", b"a\r\nInjected: yes")], b""),
        ([(b"x\nInjected", b"yes")], b""),
        ([(b"x", b"a\rb")], b""),
        ([(b"x", b"a\x00b")], b""),
        ([], b"OK\r\nInjected: yes"),
    ],
)
def test_injection_refused(headers: list[tuple[bytes, bytes]], reason: bytes) -> None:
    """Responses built with ``_parsed=True`` skip h11's checks: CR, LF and NUL are still refused."""
    conn = pair(GET)[1]
    response = h11.Response(status_code=200, headers=headers, reason=reason, _parsed=True)
    with pytest.raises(h11.LocalProtocolError):
        conn.send(response)
    assert conn.our_state is h11.ERROR
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.EndOfMessage())


def test_injection_in_trailers_refused() -> None:
    conn = pair(GET)[1]
    conn.send(h11.Response(status_code=200, headers=[]))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.EndOfMessage(headers=[(b"x", b"a\nb")], _parsed=True))


def test_connect_switches() -> None:
    conns = pair(b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n")
    send_both(conns, h11.Response(status_code=200, headers=[]))
    for conn in conns:
        assert conn.next_event() == h11.EndOfMessage()
        assert conn.their_state is h11.SWITCHED_PROTOCOL


def test_connect_refused_keeps_going() -> None:
    conns = pair(b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n")
    send_both(conns, h11.Response(status_code=407, headers=[(b"content-length", b"0")]))
    send_both(conns, h11.EndOfMessage())
    for conn in conns:
        assert conn.next_event() == h11.EndOfMessage()
        assert conn.their_state is h11.DONE


REQUESTS = [
    GET,
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
    CHUNKED + b"3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"HEAD /stream HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requests=st.lists(st.sampled_from(REQUESTS), min_size=1, max_size=3),
    edits=st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 2), st.binary(min_size=1, max_size=3)),
        max_size=3,
    ),
    step=st.integers(0, 9),
    close=st.booleans(),
)
def test_mutated_requests_same_as_h11(
    requests: list[bytes], edits: list[tuple[int, int, bytes]], step: int, close: bool
) -> None:
    data = bytearray(b"".join(requests))
    for at, removed, inserted in edits:
        at %= len(data) + 1
        data[at : at + removed] = inserted
    theirs, ours = both(bytes(data), step=step, close=close)
    assert ours == theirs or both_refused_cl_te(bytes(data), ours)


def both_refused_cl_te(data: bytes, ours: list[object]) -> bool:
    """Whether the difference is our refusing ``Content-Length`` with ``Transfer-Encoding``."""
    lowered = data.lower()
    return (
        b"content-length" in lowered and b"transfer-encoding" in lowered and ("error", 400) in ours
    )


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200), step=st.integers(0, 9))
def test_random_bytes_same_as_h11(data: bytes, step: int) -> None:
    theirs, ours = both(data, step=step)
    assert ours == theirs


FIELDS = [
    (b"Content-Length", b"3"),
    (b"content-length", b"0"),
    (b"Transfer-Encoding", b"chunked"),
    (b"Connection", b"keep-alive"),
    (b"connection", b"Upgrade, Close"),
    (b"Host", b"h"),
    (b"X-A", b"1"),
]
HEADS = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"HEAD / HTTP/1.0\r\n\r\n",
    b"CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\n\r\n",
]


@settings(max_examples=400, deadline=None)
@given(
    request=st.sampled_from(HEADS),
    status=st.sampled_from([200, 204, 304, 404]),
    fields=st.lists(st.sampled_from(FIELDS), max_size=4),
    body=st.lists(st.sampled_from([b"", b"abc", b"x"]), max_size=3),
    trailers=st.booleans(),
)
def test_responses_same_as_h11(
    request: bytes,
    status: int,
    fields: list[tuple[bytes, bytes]],
    body: list[bytes],
    trailers: bool,
) -> None:
    conns = pair(request)
    try:
        response = h11.Response(status_code=status, headers=fields)
    except h11.LocalProtocolError:
        return
    send_both(conns, response)
    for piece in body:
        send_both(conns, h11.Data(data=piece))
    send_both(conns, h11.EndOfMessage(headers=[(b"x-t", b"1")] if trailers else []))
    for conn in conns:
        conn.receive_data(b"")
    assert summary(conns[1].next_event()) == summary(conns[0].next_event())
    assert (conns[1].their_state, conns[1].our_state) == (conns[0].their_state, conns[0].our_state)
