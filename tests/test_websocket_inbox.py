"""How the client is read: directly by a receiving handler, or by a reader task.

With the lifespan running (``test_app``), the disconnect-watch service runs, and a handler that
keeps receiving reads the client itself; one busy elsewhere for a tick gets a reader task.
These tests drive that mode in-process, on trio's mock clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio
import trio.testing

from trioquart import TrioQuart, websocket
from trioquart.asgi.websocket_inbox import QUEUED_MESSAGES_GRACE
from trioquart.testing import TestClient, WebsocketDisconnectError
from trioquart.wrappers.websocket import Websocket


@pytest.fixture
async def served_client(app: TrioQuart) -> AsyncIterator[TestClient]:
    """A client of ``app`` with its lifespan (and so the watch service) running."""
    async with app.test_app() as test_app:
        yield test_app.test_client()


def route_busy_handler(app: TrioQuart) -> list[float]:
    """Route ``/ws`` to a handler that accepts, then sleeps without receiving; the times at
    which it was cancelled."""
    cancelled_at: list[float] = []

    @app.websocket("/ws")
    async def busy() -> None:
        await websocket.accept()
        try:
            await trio.sleep(3600)
        except trio.Cancelled:
            cancelled_at.append(trio.current_time())
            raise

    return cancelled_at


def only_connection(app: TrioQuart) -> Websocket:
    [connection] = app.connected_websockets
    return connection


async def test_a_receiving_handler_reads_directly_without_a_task(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    async with served_client.websocket("/ws") as ws:
        messages: list[str | bytes] = ["a", b"b", "", b""]
        for message in messages:
            await ws.send(message)
            assert await ws.receive() == message
        await trio.sleep(1)  # many ticks, with the handler waiting in receive()
        assert only_connection(app).statistics().reading == "direct"
        await ws.send("still direct")
        assert await ws.receive() == "still direct"


async def test_disconnect_while_busy_elsewhere_cancels_within_two_ticks(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    delay = app.config["DISCONNECT_WATCH_DELAY"]
    cancelled_at = route_busy_handler(app)

    async with served_client.websocket("/ws") as ws:
        await trio.testing.wait_all_tasks_blocked()
        left_at = trio.current_time()
        await ws.close(1001)
    assert len(cancelled_at) == 1
    assert cancelled_at[0] - left_at <= 2 * delay + 1e-6


async def test_disconnect_while_receiving_cancels_at_once(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    codes: list[int | None] = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            await websocket.receive()
        except trio.Cancelled:
            codes.append(websocket.close_code)
            raise

    async with served_client.websocket("/ws") as ws:
        await trio.testing.wait_all_tasks_blocked()
        started = trio.current_time()
        await ws.close(4004)
        await trio.testing.wait_all_tasks_blocked()
        assert trio.current_time() == started
    assert codes == [4004]


async def test_two_receivers_switch_to_the_reader_and_lose_nothing(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    received: list[str | bytes] = []

    async def collect(count: int) -> None:
        for _ in range(count):
            received.append(await websocket.receive())

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        websocket.nursery.start_soon(collect, 5)
        websocket.nursery.start_soon(collect, 5)

    async with served_client.websocket("/ws") as ws:
        for number in range(10):
            await ws.send(str(number))
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
        assert caught.value.code == 1000
    assert sorted(received) == [str(number) for number in range(10)]


async def test_a_handler_that_stops_reading_is_closed_with_1008(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["WEBSOCKET_MAX_QUEUE"] = 2
    app.config["WEBSOCKET_QUEUE_TIMEOUT"] = 5

    @app.websocket("/ws")
    async def stops_reading() -> None:
        await websocket.receive()
        await trio.sleep_forever()

    async with served_client.websocket("/ws") as ws:
        for number in range(5):
            await ws.send(str(number))
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1008


async def test_too_big_message_read_directly_closes_with_1009(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 4
    cancelled = trio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            while True:
                await websocket.receive()
        except trio.Cancelled:
            cancelled.set()
            raise

    async with served_client.websocket("/ws") as ws:
        await ws.send("12345")
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1009
    assert cancelled.is_set()


async def test_receive_after_this_side_closed_is_an_error(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    from trioquart import WebsocketClosedError

    errors: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.close(1000)
        try:
            await websocket.receive()
        except WebsocketClosedError as error:
            errors.append(str(error))

    async with served_client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError):
            await ws.receive()
    assert errors == ["Cannot receive: the websocket is closed"]


async def test_own_close_with_a_full_queue_is_not_a_1008(
    app: TrioQuart,
    client: TestClient,
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config["WEBSOCKET_MAX_QUEUE"] = 1
    app.config["WEBSOCKET_QUEUE_TIMEOUT"] = 5
    cleaned_up: list[bool] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await trio.sleep(1)  # the reader fills the queue and waits on it
        await websocket.close(1000)  # this side closes: the queue's reading end is closed
        await trio.sleep(1)  # cleanup that must not be cancelled by a spurious 1008
        cleaned_up.append(True)

    async with client.websocket("/ws") as ws:
        for number in range(4):
            await ws.send(str(number))
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
        assert caught.value.code == 1000
        await trio.sleep(2)
    assert cleaned_up == [True]
    assert "not reading" not in caplog.text


async def test_a_reader_started_for_a_second_receiver_survives_the_client_leaving(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    @app.websocket("/ws")
    async def two_receivers() -> None:
        await websocket.accept()
        websocket.nursery.start_soon(websocket.receive)
        await websocket.receive()

    @app.websocket("/echo")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    for _ in range(20):
        async with served_client.websocket("/ws") as ws:
            await trio.sleep(0.001)
            await ws.close(1001)
    # The watch service, shared by every connection, is still serving.
    async with served_client.websocket("/echo") as ws:
        await ws.send("still here")
        assert await ws.receive() == "still here"


async def test_statistics_report_the_mode_and_the_queue(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["WEBSOCKET_MAX_QUEUE"] = 4
    seen: list[tuple[str, int, int]] = []

    @app.websocket("/ws")
    async def handler() -> None:
        connection = only_connection(app)
        stats = connection.statistics()
        seen.append((stats.reading, stats.queued_messages, stats.max_queue))
        await websocket.accept()
        await trio.sleep(1)  # away from receive() long enough to get a reader
        stats = connection.statistics()
        seen.append((stats.reading, stats.queued_messages, stats.max_queue))

    async with served_client.websocket("/ws") as ws:
        await ws.send("a")
        await ws.send("b")
        with pytest.raises(WebsocketDisconnectError):
            await ws.receive()
    assert seen == [("direct", 0, 4), ("reader", 2, 4)]


async def test_messages_queued_when_the_client_leaves_reach_the_handler_first(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    """The reader queued two messages, then the client left: the handler still gets both, and
    is cancelled once it has taken the last one (before, the cancellation dropped them)."""
    back = trio.Event()
    received: list[str | bytes] = []
    ended: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await back.wait()  # away from receive() long enough to get a reader
        try:
            while True:
                received.append(await websocket.receive())
        except trio.Cancelled:
            ended.append("cancelled")
            raise

    async with served_client.websocket("/ws") as ws:
        await trio.sleep(1)
        assert only_connection(app).statistics().reading == "reader"
        await ws.send("a")
        await ws.send(b"b")
        await trio.testing.wait_all_tasks_blocked()
        assert only_connection(app).statistics().queued_messages == 2
        await ws.close(1000)
        await trio.testing.wait_all_tasks_blocked()
        back.set()
    await trio.testing.wait_all_tasks_blocked()
    assert received == ["a", b"b"]
    assert ended == ["cancelled"]


async def test_a_handler_that_does_not_take_the_queued_messages_is_cancelled_after_a_grace(
    app: TrioQuart, served_client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    cancelled_at = route_busy_handler(app)

    async with served_client.websocket("/ws") as ws:
        await trio.sleep(1)
        await ws.send("never taken")
        await trio.testing.wait_all_tasks_blocked()
        left_at = trio.current_time()
        await ws.close(1000)
    await trio.testing.wait_all_tasks_blocked()
    assert cancelled_at[0] - left_at == pytest.approx(QUEUED_MESSAGES_GRACE)
