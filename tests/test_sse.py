"""Server-sent events in process: the wire format, and ``event_stream`` through the test client.

What is sent is checked as an ``EventSource`` would read it (``tests/sse_parser.py``). Keep-alive
timing runs on ``autojump_clock`` (virtual time); ordering comes from ``trio.Event``s.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing
from hypothesis import given
from hypothesis import strategies as st

from trioquart import TrioQuart, request
from trioquart.sse import ServerSentEvent, event_stream
from trioquart.testing import TestClient

from .sse_parser import EventStreamParser, ReceivedEvent, parse_events

PING = b": ping\n\n"


def message(data: str, last_event_id: str = "", type: str = "message") -> ReceivedEvent:
    return ReceivedEvent(type, data, last_event_id)


# --- the wire format -----------------------------------------------------------------------


def test_sse_encode_data_only() -> None:
    assert ServerSentEvent("hello").encode() == b"data: hello\n\n"


def test_sse_encode_every_field_in_order() -> None:
    event = ServerSentEvent("x", event="update", id="7", retry=2500, comment="note")
    assert event.encode() == b": note\nevent: update\nid: 7\nretry: 2500\ndata: x\n\n"
    parsed = parse_events(event.encode().decode())
    assert parsed.events == [message("x", "7", "update")]
    assert (parsed.retry, parsed.comments) == (2500, [" note"])


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        ("a\nb", b"data: a\ndata: b\n"),
        ("a\r\nb", b"data: a\ndata: b\n"),
        ("a\rb", b"data: a\ndata: b\n"),
        ("a\n\nb", b"data: a\ndata:\ndata: b\n"),
        ("end\n", b"data: end\ndata:\n"),
        ("", b"data:\n"),
        ("  indented", b"data:   indented\n"),
        # Only CR and LF end lines in this format; Python's splitlines would split these.
        ("a\u2028b\x0bc\x85d", "data: a\u2028b\x0bc\x85d\n".encode()),
    ],
)
def test_sse_encode_line_breaks_in_data(data: str, lines: bytes) -> None:
    encoded = ServerSentEvent(data).encode()
    assert encoded == lines + b"\n"
    assert parse_events(encoded.decode()).events == [
        message(data.replace("\r\n", "\n").replace("\r", "\n"))
    ]


def test_sse_encode_unicode_as_utf8() -> None:
    text = "héllo ☃ 😀 中文"
    encoded = ServerSentEvent(text, event="née", id="ü").encode()
    assert encoded == f"event: née\nid: ü\ndata: {text}\n\n".encode()
    assert parse_events(encoded.decode("utf-8")).events == [message(text, "ü", "née")]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ({"b": 1, "a": "x\ny"}, b'data: {"a": "x\\ny", "b": 1}\n'),
        ([1, 2], b"data: [1, 2]\n"),
        (0, b"data: 0\n"),  # falsy values are data too
        (False, b"data: false\n"),
        ({}, b"data: {}\n"),
    ],
)
def test_sse_encode_non_str_data_as_one_json_line(data: Any, line: bytes) -> None:
    assert ServerSentEvent(data).encode() == line + b"\n"


def test_sse_encode_without_data_dispatches_no_event() -> None:
    """``id`` and ``retry`` alone still take effect in the browser, but fire no event."""
    encoded = ServerSentEvent(id="41", retry=0).encode()
    assert encoded == b"id: 41\nretry: 0\n\n"
    parsed = parse_events(encoded.decode())
    assert (parsed.events, parsed.last_event_id, parsed.retry) == ([], "41", 0)


def test_sse_encode_comments() -> None:
    assert ServerSentEvent(comment="keep-alive").encode() == b": keep-alive\n\n"
    assert ServerSentEvent(comment="").encode() == b":\n\n"
    encoded = ServerSentEvent(comment="one\r\ntwo\nthree\r").encode()
    assert encoded == b": one\n: two\n: three\n:\n\n"
    assert parse_events(encoded.decode()).events == []


def test_sse_encode_ids() -> None:
    assert ServerSentEvent("x", id=42).encode() == b"id: 42\ndata: x\n\n"
    # An empty id resets the browser's last event ID.
    parsed = parse_events(
        (ServerSentEvent("a", id="1").encode() + ServerSentEvent("b", id="").encode()).decode()
    )
    assert parsed.events == [message("a", "1"), message("b", "")]


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"event": "a\nb"}, ValueError, r"event must not contain '\\n'"),
        ({"event": "a\rb"}, ValueError, r"event must not contain '\\r'"),
        ({"id": "1\n2"}, ValueError, r"id must not contain '\\n'"),
        ({"id": "1\r"}, ValueError, r"id must not contain '\\r'"),
        ({"id": "1\0"}, ValueError, r"id must not contain '\\x00'.*ignores such an id"),
        ({"retry": -1}, ValueError, "retry must be 0 or more, not -1"),
        ({"retry": 1.5}, TypeError, "retry must be an int of milliseconds, not 1.5"),
        ({"retry": "100"}, TypeError, "retry must be an int"),
        ({"retry": True}, TypeError, "retry must be an int"),
        ({"id": 1.0}, TypeError, "id must be a str or int, not 1.0"),
        ({"id": False}, TypeError, "id must be a str or int"),
        ({"event": 3}, TypeError, "event must be a str, not 3"),
        ({"comment": b"x"}, TypeError, "comment must be a str"),
        ({}, ValueError, "needs data, event, id, retry or comment"),
    ],
)
def test_sse_invalid_fields_are_refused_when_made(
    fields: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ServerSentEvent(**fields)


def test_sse_encode_json_error_and_lone_surrogate() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        ServerSentEvent(object()).encode()
    with pytest.raises(UnicodeEncodeError):
        ServerSentEvent("\ud800").encode()


_text = st.text(st.characters(exclude_categories=["Cs"]))
_name = _text.filter(lambda text: "\r" not in text and "\n" not in text)


@given(
    data=_text,
    event=st.none() | _name,
    id=st.none() | _name.filter(lambda text: "\0" not in text),
    retry=st.none() | st.integers(min_value=0),
    comment=st.none() | _text,
)
def test_sse_encode_round_trips_through_a_client(
    data: str, event: str | None, id: str | None, retry: int | None, comment: str | None
) -> None:
    encoded = ServerSentEvent(data, event=event, id=id, retry=retry, comment=comment).encode()
    parsed = parse_events(encoded.decode("utf-8"))
    expected_data = data.replace("\r\n", "\n").replace("\r", "\n")
    expected_type = event or "message"
    assert parsed.events == [ReceivedEvent(expected_type, expected_data, id or "")]
    assert parsed.retry == retry


def test_sse_parser_reads_a_stream_in_any_pieces() -> None:
    """The test's own client: lines may end in CR LF, CR or LF, and split anywhere."""
    text = "event: a\r\ndata: 1\r\n\r\n: note\rid: 7\rdata: 2\r\rdata: 3\n\n"
    whole = parse_events(text)
    assert whole.events == [message("1", "", "a"), message("2", "7"), message("3", "7")]
    assert whole.comments == [" note"]
    parser = EventStreamParser()
    for character in text:
        parser.feed(character)
    assert parser.events == whole.events


# --- event_stream --------------------------------------------------------------------------


async def test_sse_stream_headers_and_events(app: TrioQuart, client: TestClient) -> None:
    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[ServerSentEvent | str]:
            yield "plain"
            yield ServerSentEvent({"n": 1}, event="tick", id=1)
            yield ServerSentEvent(retry=1000)

        return event_stream(generate())

    response = await client.get("/events")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "Content-Length" not in response.headers
    body = await response.get_data(as_text=True)
    assert body == 'data: plain\n\nevent: tick\nid: 1\ndata: {"n": 1}\n\nretry: 1000\n\n'
    parsed = parse_events(body)
    assert parsed.events == [message("plain"), message('{"n": 1}', "1", "tick")]
    assert parsed.retry == 1000


async def test_sse_stream_extra_headers_replace_by_name(app: TrioQuart, client: TestClient) -> None:
    @app.get("/events")
    async def events() -> Any:
        return event_stream(_items("x"), headers={"cache-control": "no-store", "X-Room": "lobby"})

    response = await client.get("/events")
    assert response.headers.getlist("Cache-Control") == ["no-store"]
    assert response.headers["X-Room"] == "lobby"
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"


async def _items(*items: ServerSentEvent | str) -> AsyncIterator[ServerSentEvent | str]:
    for item in items:
        yield item


async def test_sse_stream_each_event_is_sent_before_the_next_is_asked_for(
    app: TrioQuart,
) -> None:
    """The view's generator is never ahead of the server: it is asked for an event only once
    the previous one was handed over, so an item it takes from a queue is not lost if the
    client leaves meanwhile."""
    produced: list[int] = []

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            for number in range(3):
                produced.append(number)
                yield str(number)

        return event_stream(generate())

    # A server whose send of each chunk waits for the test: a client that reads slowly.
    gate_send, gate_receive = trio.open_memory_channel[None](0)

    async def slow_client_app(scope: Any, receive: Any, send: Any) -> None:
        async def gated_send(message: Any) -> None:
            if message.get("more_body"):
                await gate_receive.receive()
            await send(message)

        await app(scope, receive, gated_send)

    with trio.fail_after(5):
        async with TestClient(slow_client_app).request("/events") as connection:
            for number in range(3):
                await trio.testing.wait_all_tasks_blocked()
                assert produced == list(range(number + 1))
                await gate_send.send(None)
                assert await connection.receive_chunk() == f"data: {number}\n\n".encode()
            with pytest.raises(trio.EndOfChannel):
                await connection.receive_chunk()
            assert connection.response_complete


async def test_sse_stream_keep_alive_when_idle(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    go_on = trio.Event()

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            yield "first"
            await go_on.wait()
            yield "second"
            await trio.sleep(14)
            yield "third"
            await trio.sleep(14)
            yield "fourth"
            await trio.sleep_forever()

        return event_stream(generate(), ping_interval=15)

    client = app.test_client()
    with trio.fail_after(100):  # virtual seconds
        async with client.request("/events") as connection:
            assert await connection.receive_chunk() == b"data: first\n\n"
            start = trio.current_time()
            assert await connection.receive_chunk() == PING
            assert trio.current_time() - start == pytest.approx(15)
            assert await connection.receive_chunk() == PING
            assert trio.current_time() - start == pytest.approx(30)
            go_on.set()
            # Events 14 s apart: no ping, as the interval counts from the last thing sent.
            for data in ("second", "third", "fourth"):
                assert await connection.receive_chunk() == f"data: {data}\n\n".encode()
            assert trio.current_time() - start == pytest.approx(58)
            assert await connection.receive_chunk() == PING
            assert trio.current_time() - start == pytest.approx(73)
    assert parse_events("data: x\n\n" + PING.decode()).events == [message("x")]


async def test_sse_stream_without_keep_alive(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            await trio.sleep(1000)
            yield "late"

        return event_stream(generate(), ping_interval=None)

    with trio.fail_after(2000):  # virtual seconds
        async with app.test_client().request("/events") as connection:
            start = trio.current_time()
            assert await connection.receive_chunk() == b"data: late\n\n"
            assert trio.current_time() - start == pytest.approx(1000)


@pytest.mark.parametrize("interval", [0, -1, float("inf"), float("nan")])
def test_sse_stream_bad_ping_interval(interval: float) -> None:
    with pytest.raises(ValueError, match="ping_interval must be a positive number"):
        event_stream(_items(), ping_interval=interval)


def test_sse_stream_needs_an_async_iterable() -> None:
    with pytest.raises(TypeError):
        event_stream(["sync", "list"])  # type: ignore[arg-type]


async def test_sse_stream_disconnect_cancels_the_generator_where_it_waits(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            try:
                yield "hello"
                await trio.sleep_forever()
            except BaseException as error:
                record.append(f"generator {type(error).__name__}")
                raise
            finally:
                record.append("generator finally")

        return event_stream(generate())

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {type(error).__name__}")

    with trio.fail_after(5):
        async with client.request("/events") as connection:
            assert await connection.receive_chunk() == b"data: hello\n\n"
            await trio.testing.wait_all_tasks_blocked()
            assert record == []
            await connection.disconnect()
            await connection.app_finished.wait()
            assert not connection.response_complete
    assert record == ["generator Cancelled", "generator finally", "teardown Cancelled"]


async def test_sse_stream_disconnect_closes_a_generator_paused_at_yield(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """While an event goes out the generator is paused at its ``yield``: a client that leaves
    then closes it there (``GeneratorExit``), and its ``finally`` runs too."""
    record: list[str] = []
    stuck = trio.Event()

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            try:
                yield "one"
                yield "two"  # never asked for: the client stops reading after "one"
            except BaseException as error:
                record.append(f"generator {type(error).__name__}")
                raise

        return event_stream(generate())

    async def observed(scope: Any, receive: Any, send: Any) -> None:
        async def stuck_send(message: Any) -> None:
            if message.get("body") == b"data: one\n\n":
                stuck.set()
                await trio.sleep_forever()  # a client that does not read
            await send(message)

        await app(scope, receive, stuck_send)

    with trio.fail_after(100):  # virtual seconds
        async with TestClient(observed).request("/events") as connection:
            await stuck.wait()
            await trio.testing.wait_all_tasks_blocked()
            assert record == []
            await connection.disconnect()
            await connection.app_finished.wait()
    assert record == ["generator GeneratorExit"]


async def test_sse_stream_last_event_id_and_request_in_the_generator(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/events")
    async def events() -> Any:
        start = request.headers.get("Last-Event-ID", 0, type=int)

        async def generate() -> AsyncIterator[ServerSentEvent]:
            # The request context is there in the generator too.
            seen = request.headers.get("Last-Event-ID", "none")
            for number in range(start + 1, start + 3):
                yield ServerSentEvent(f"{number} after {seen}", id=number)

        return event_stream(generate())

    parsed = parse_events(await (await client.get("/events")).get_data(as_text=True))
    assert parsed.events == [message("1 after none", "1"), message("2 after none", "2")]
    response = await client.get("/events", headers={"Last-Event-ID": "41"})
    parsed = parse_events(await response.get_data(as_text=True))
    assert parsed.events == [message("42 after 41", "42"), message("43 after 41", "43")]
    assert parsed.last_event_id == "43"


async def test_sse_stream_json_uses_the_app_settings(app: TrioQuart, client: TestClient) -> None:
    app.json.sort_keys = False  # type: ignore[attr-defined]

    @app.get("/events")
    async def events() -> Any:
        return event_stream(_items(ServerSentEvent({"b": 2, "a": 1})))

    response = await client.get("/events")
    assert await response.get_data() == b'data: {"b": 2, "a": 1}\n\n'


@pytest.mark.parametrize(
    ("items", "error_type", "text"),
    [
        ((), RuntimeError, "the generator broke"),
        (("ok", b"bytes"), TypeError, "sends ServerSentEvent or str items, not bytes"),
        (("ok", ServerSentEvent(object())), TypeError, "not JSON serializable"),
    ],
)
async def test_sse_stream_errors_end_the_response_and_are_logged(
    app: TrioQuart,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    items: tuple[Any, ...],
    error_type: type[Exception],
    text: str,
) -> None:
    closed: list[str] = []

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[Any]:
            try:
                yield "first"
                for item in items:
                    yield item
                if not items:
                    raise RuntimeError("the generator broke")
            finally:
                closed.append("closed")

        return event_stream(generate())

    with caplog.at_level(logging.ERROR, logger="trioquart"), trio.fail_after(5):
        async with client.request("/events") as connection:
            assert await connection.receive_chunk() == b"data: first\n\n"
            await connection.app_finished.wait()
            assert not connection.response_complete  # truncated, not ended as if complete
    assert closed == ["closed"]
    [record] = [r for r in caplog.records if "Error while streaming" in r.getMessage()]
    assert record.exc_info is not None
    assert type(record.exc_info[1]) is error_type  # itself, not in a nursery's group
    assert text in str(record.exc_info[1])


async def test_sse_stream_head_does_not_start_the_generator(
    app: TrioQuart, client: TestClient
) -> None:
    started: list[str] = []

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            started.append("started")  # pragma: no cover - never run
            yield "x"  # pragma: no cover

        return event_stream(generate())

    response = await client.head("/events")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert await response.get_data() == b""
    assert started == []


# --- the body on its own: closing and cancelling it -----------------------------------------


async def test_sse_body_closed_early_closes_the_generator() -> None:
    record: list[str] = []

    async def generate() -> AsyncIterator[str]:
        try:
            yield "one"
            yield "two"
        except BaseException as error:
            record.append(type(error).__name__)
            raise

    body = event_stream(generate()).iter_body()
    assert await body.__anext__() == b"data: one\n\n"
    await body.aclose()
    assert record == ["GeneratorExit"]


async def test_sse_body_cancelled_from_outside_raises_cancelled_itself(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The body's nursery does not turn a cancellation into an exception group, and the
    generator sees the cancellation where it waits."""
    record: list[str] = []

    async def generate() -> AsyncIterator[str]:
        yield "one"
        try:
            await trio.sleep_forever()
        except BaseException as error:
            record.append(type(error).__name__)
            raise

    raised: list[type[BaseException]] = []
    body = event_stream(generate()).iter_body()
    # Iterated within one cancel scope, as the request's driver does (the body keeps a
    # nursery open between its chunks).
    with trio.move_on_after(1) as scope:
        try:
            assert await body.__anext__() == b"data: one\n\n"
            await body.__anext__()
        except BaseException as error:
            raised.append(type(error))
            raise
        finally:
            with trio.CancelScope(shield=True):
                await body.aclose()
    assert scope.cancelled_caught
    assert raised == [trio.Cancelled]
    assert record == ["Cancelled"]


async def test_sse_body_a_whole_finite_stream() -> None:
    response = event_stream(_items("a", ServerSentEvent("b", event="x")))
    assert await response.get_data() == b"data: a\n\nevent: x\ndata: b\n\n"
    assert response.mimetype == "text/event-stream"


async def test_sse_streams_end_when_the_server_starts_shutting_down(app: TrioQuart) -> None:
    record: list[str] = []

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            try:
                yield "open"
                await trio.sleep_forever()
            finally:
                record.append("generator closed")

        return event_stream(generate(), ping_interval=None)

    async with app.test_app() as test_app, test_app.test_client().request("/events") as stream:
        await stream.send_complete()
        await stream.wait_for_headers()
        assert await stream.receive_chunk() == b"data: open\n\n"
        app.shutdown_event.set()  # what serve() does first when asked to stop
        with pytest.raises(trio.EndOfChannel):
            await stream.receive_chunk()  # the response ended, complete
        assert stream.response_complete
    assert record == ["generator closed"]


async def test_sse_events_from_an_iterator_without_aclose(
    client: TestClient, app: TrioQuart
) -> None:
    class Countdown:
        """An async iterator that is not a generator (nothing to close)."""

        def __init__(self) -> None:
            self.left = 2

        def __aiter__(self) -> Countdown:
            return self

        async def __anext__(self) -> str:
            await trio.lowlevel.checkpoint()
            if not self.left:
                raise StopAsyncIteration
            self.left -= 1
            return str(self.left)

    @app.get("/countdown")
    async def countdown() -> Any:
        return event_stream(Countdown(), ping_interval=None)

    response = await client.get("/countdown")
    assert await response.get_data() == b"data: 1\n\ndata: 0\n\n"
