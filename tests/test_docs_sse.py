"""The examples of ``docs/sse.md`` (``docs/examples/sse_*.py``), run as the page describes them.

Streams are read as ``EventSource`` reads them (``tests/sse_parser.py``); time is virtual
(``autojump_clock``).
"""

from __future__ import annotations

import datetime

import pytest
import trio
import trio.testing

from docs.examples import sse_app, sse_clock
from trioquart.testing import TestHTTPConnection

from .sse_parser import EventStreamParser, ReceivedEvent


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch) -> sse_app.Room:
    """A fresh room for the example app (its views read the module's ``room``)."""
    fresh = sse_app.Room()
    monkeypatch.setattr(sse_app, "room", fresh)
    return fresh


async def _read(connection: TestHTTPConnection, parser: EventStreamParser, events: int) -> None:
    while len(parser.events) < events:
        parser.feed((await connection.receive_chunk()).decode())


def _said(text: str, id: int) -> ReceivedEvent:
    return ReceivedEvent("message", f'{{"text": "{text}"}}', str(id))


async def test_docs_sse_clock_ticks_once_a_second(autojump_clock: trio.testing.MockClock) -> None:
    parser = EventStreamParser()
    with trio.fail_after(100):  # virtual seconds
        async with sse_clock.app.test_client().request("/clock") as connection:
            status, headers = await connection.wait_for_headers()
            assert (status, headers["Content-Type"]) == (200, "text/event-stream; charset=utf-8")
            start = trio.current_time()
            await _read(connection, parser, 3)
            assert trio.current_time() - start == pytest.approx(2)
    assert [(event.type, event.last_event_id) for event in parser.events] == [
        ("tick", "1"),
        ("tick", "2"),
        ("tick", "3"),
    ]
    for event in parser.events:
        assert datetime.datetime.fromisoformat(event.data).tzinfo == datetime.UTC


async def test_docs_sse_page_uses_event_source(room: sse_app.Room) -> None:
    response = await sse_app.app.test_client().get("/")
    page = await response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'new EventSource("/events")' in page
    assert 'fetch("/say"' in page


async def test_docs_sse_room_pushes_messages_to_every_listener(
    room: sse_app.Room, autojump_clock: trio.testing.MockClock
) -> None:
    client = sse_app.app.test_client()
    first, second = EventStreamParser(), EventStreamParser()
    with trio.fail_after(5):
        async with client.request("/events") as one, client.request("/events") as two:
            await trio.testing.wait_all_tasks_blocked()
            assert len(room.listeners) == 2
            response = await client.post("/say", json={"text": "hello"})
            assert (response.status_code, await response.get_json()) == (201, {"id": 1})
            await client.post("/say", json={"text": "  trimmed  "})
            await _read(one, first, 2)
            await _read(two, second, 2)
        await trio.testing.wait_all_tasks_blocked()
    assert first.events == second.events == [_said("hello", 1), _said("trimmed", 2)]
    assert first.retry == 2000
    # The pages left: their streams ended and unsubscribed.
    assert room.listeners == set()


async def test_docs_sse_room_catches_up_from_last_event_id(
    room: sse_app.Room, autojump_clock: trio.testing.MockClock
) -> None:
    client = sse_app.app.test_client()
    for text in ("one", "two", "three"):
        await client.post("/say", json={"text": text})
    parser = EventStreamParser()
    with trio.fail_after(5):
        async with client.request("/events", headers={"Last-Event-ID": "1"}) as connection:
            await _read(connection, parser, 2)
            await client.post("/say", json={"text": "four"})
            await _read(connection, parser, 3)
    assert parser.events == [_said("two", 2), _said("three", 3), _said("four", 4)]
    assert parser.last_event_id == "4"


async def test_docs_sse_room_without_or_with_a_bad_last_event_id(
    room: sse_app.Room, autojump_clock: trio.testing.MockClock
) -> None:
    client = sse_app.app.test_client()
    await client.post("/say", json={"text": "before"})
    for headers in ({}, {"Last-Event-ID": "not a number"}):
        parser = EventStreamParser()
        async with client.request("/events", headers=headers) as connection:
            await _read(connection, parser, 1)
        assert parser.events == [_said("before", 1)]


async def test_docs_sse_room_refuses_empty_messages(room: sse_app.Room) -> None:
    client = sse_app.app.test_client()
    for body in ({"text": "   "}, {}, ["text"]):
        assert (await client.post("/say", json=body)).status_code == 400
    assert room.last_id == 0


async def test_docs_sse_room_drops_a_listener_that_falls_behind() -> None:
    """Its stream ends (the browser then reconnects and catches up with Last-Event-ID)."""
    room = sse_app.Room(backlog=2)
    with room.subscribe() as messages:
        for number in range(3):
            room.post(str(number))
        assert room.listeners == set()
        assert [message.text async for message in messages] == ["0", "1"]
    assert [message.id for message in room.since(1)] == [2, 3]
