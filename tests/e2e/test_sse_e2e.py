"""Server-sent events over a real Hypercorn trio server on 127.0.0.1.

The stream is read as it arrives and parsed as ``EventSource`` would (``tests/sse_parser.py``).
Streams read to their end use httpx; a client that leaves mid-stream is an h11 client on a raw
socket (httpx's chain of body generators, abandoned halfway, is only finalized by the garbage
collector, with a ``ResourceWarning``).
Every wait is bounded by ``trio.fail_after``; ordering comes from ``trio.Event``s shared by the
test and the view (both run in the same trio run), never from sleeps. The ``server`` fixture
checks that no task or file is left once the clients are gone.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import Any

import h11
import httpx
import trio

from trioquart import TrioQuart, request
from trioquart.sse import ServerSentEvent, event_stream

from ..sse_parser import EventStreamParser, ReceivedEvent
from .conftest import RunningServer, serve_app


async def _read_until(
    chunks: AsyncIterator[str], parser: EventStreamParser, events: int = 0, comments: int = 0
) -> None:
    """Feed ``parser`` from ``chunks`` until it holds ``events`` events and ``comments``
    comments (at least)."""
    while len(parser.events) < events or len(parser.comments) < comments:
        parser.feed(await anext(chunks))


@asynccontextmanager
async def _open_raw_stream(
    server: RunningServer, path: str, headers: list[tuple[str, str]] | None = None
) -> AsyncIterator[tuple[h11.Response, AsyncIterator[str]]]:
    """GET ``path`` with h11 over a new connection: the response head and the body's text as
    it arrives. Leaving the block closes the connection, wherever the body is."""
    stream = await trio.open_tcp_stream(server.host, server.port)
    async with stream:
        connection = h11.Connection(h11.CLIENT)
        all_headers = [("Host", "x"), ("Accept", "text/event-stream"), *(headers or [])]
        await stream.send_all(
            connection.send(h11.Request(method="GET", target=path, headers=all_headers))
        )
        await stream.send_all(connection.send(h11.EndOfMessage()))

        async def next_event() -> h11.Event:
            while True:
                event = connection.next_event()
                if event is not h11.NEED_DATA:
                    assert isinstance(event, h11.Event)
                    return event
                connection.receive_data(await stream.receive_some(65536))

        response = await next_event()
        assert isinstance(response, h11.Response)

        async def texts() -> AsyncGenerator[str, None]:
            while isinstance(event := await next_event(), h11.Data):
                yield bytes(event.data).decode()  # events arrive whole, so no split characters

        async with aclosing(texts()) as chunks:
            yield response, chunks


async def test_sse_e2e_events_arrive_as_they_are_produced(
    app: TrioQuart, server: RunningServer
) -> None:
    may_continue = trio.Event()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[ServerSentEvent | str]:
            yield ServerSentEvent(retry=1500)
            yield ServerSentEvent("line one\nline two", event="note", id="1")
            await may_continue.wait()
            yield ServerSentEvent({"text": "héllo ☃"}, id=2)
            yield "plain"

        return event_stream(generate())

    parser = EventStreamParser()
    with trio.fail_after(10):
        async with (
            httpx.AsyncClient(base_url=server.url) as http,
            http.stream("GET", "/events") as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert response.headers["cache-control"] == "no-cache"
            assert response.headers["x-accel-buffering"] == "no"
            assert response.headers["transfer-encoding"] == "chunked"
            chunks = response.aiter_text()
            await _read_until(chunks, parser, events=1)
            # The first event arrived while the view waits to produce the second.
            assert parser.events == [ReceivedEvent("note", "line one\nline two", "1")]
            assert parser.retry == 1500
            may_continue.set()
            async for text in chunks:
                parser.feed(text)
    assert parser.events[1:] == [
        ReceivedEvent("message", '{"text": "héllo ☃"}', "2"),
        ReceivedEvent("message", "plain", "2"),
    ]
    assert parser.last_event_id == "2"


async def test_sse_e2e_keep_alive_comments_while_idle(
    app: TrioQuart, server: RunningServer
) -> None:
    go_on = trio.Event()

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            yield "first"
            await go_on.wait()
            yield "second"

        return event_stream(generate(), ping_interval=0.01)

    parser = EventStreamParser()
    with trio.fail_after(10):
        async with (
            httpx.AsyncClient(base_url=server.url) as http,
            http.stream("GET", "/events") as response,
        ):
            chunks = response.aiter_text()
            await _read_until(chunks, parser, events=1, comments=2)
            go_on.set()
            async for text in chunks:
                parser.feed(text)
    assert [event.data for event in parser.events] == ["first", "second"]
    assert set(parser.comments) == {" ping"}


async def test_sse_e2e_client_leaving_mid_stream_cancels_the_generator(
    app: TrioQuart, server: RunningServer
) -> None:
    """The server-side generator sees the client go (``trio.Cancelled`` where it waits), its
    ``finally`` runs, the request's teardown runs, and nothing is left behind."""
    record: list[str] = []
    finished = trio.Event()

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[ServerSentEvent]:
            number = request.headers.get("Last-Event-ID", 0, type=int)
            try:
                while True:
                    number += 1
                    yield ServerSentEvent(f"event {number}", id=number)
                    if number % 2 == 0:
                        await trio.sleep_forever()  # until the client leaves
            except BaseException as error:
                record.append(f"generator {type(error).__name__}")
                raise
            finally:
                record.append("generator finally")

        return event_stream(generate())

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {type(error).__name__}")
        finished.set()

    parser = EventStreamParser()
    with trio.fail_after(10):
        # Reconnecting as EventSource does, from the last ID it saw.
        headers = [("Last-Event-ID", "40")]
        async with _open_raw_stream(server, "/events", headers) as (response, chunks):
            assert response.status_code == 200
            await _read_until(chunks, parser, events=2)
        # Leaving the block closed the connection mid-stream.
        await finished.wait()
    assert parser.events == [
        ReceivedEvent("message", "event 41", "41"),
        ReceivedEvent("message", "event 42", "42"),
    ]
    assert record == ["generator Cancelled", "generator finally", "teardown Cancelled"]


async def test_sse_e2e_server_keeps_serving_after_streams_end(
    app: TrioQuart, server: RunningServer
) -> None:
    """Several streams, finished and abandoned, on one client; then an ordinary request."""

    @app.get("/events/<int:count>")
    async def events(count: int) -> Any:
        async def generate() -> AsyncIterator[str]:
            for number in range(count):
                yield str(number)
            await trio.sleep_forever()

        return event_stream(generate())

    @app.get("/")
    async def index() -> str:
        return "still here"

    with trio.fail_after(10):
        async with httpx.AsyncClient(base_url=server.url) as http:
            for count in (1, 3, 5):
                parser = EventStreamParser()
                async with _open_raw_stream(server, f"/events/{count}") as (_, chunks):
                    await _read_until(chunks, parser, events=count)
                assert [event.data for event in parser.events] == [
                    str(number) for number in range(count)
                ]
            assert (await http.get("/")).text == "still here"


async def test_sse_e2e_server_shutdown_ends_open_streams(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    """Streams never end by themselves: when the server starts to shut down they end, as a
    finished response (not cut off by the graceful timeout), and their generators see the
    cancellation."""
    record: list[str] = []

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[str]:
            try:
                yield "open"
                await trio.sleep_forever()
            except BaseException as error:
                record.append(f"generator {type(error).__name__}")
                raise

        return event_stream(generate())

    running = await serve_app(nursery, app)
    parser = EventStreamParser()
    with trio.fail_after(10):
        async with _open_raw_stream(running, "/events") as (_, chunks):
            await _read_until(chunks, parser, events=1)
            async with trio.open_nursery() as stopping:
                stopping.start_soon(running.stop)
                rest = [chunk async for chunk in chunks]  # ends: the response is complete
    assert "".join(rest) == ""
    assert record == ["generator Cancelled"]
