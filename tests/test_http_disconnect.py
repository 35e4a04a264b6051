"""A client that leaves cancels its request, with and without the lifespan running.

A ``DisconnectWatch`` service hands a watcher to requests that run longer than
``DISCONNECT_WATCH_DELAY``: the app's one service with the lifespan (``app.test_app()``), one
of the request's own without it. Both must cancel the handler where it waits and still run
``teardown_request``. Timing uses ``autojump_clock`` (virtual time), never real sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

from trioquart import TrioQuart, has_request_context, request
from trioquart.asgi.request_inbox import ClientDisconnectedError, RequestInbox
from trioquart.testing import TestClient
from trioquart.typing import ASGIReceiveCallable, ASGIReceiveEvent, ASGISendCallable, Scope

from .conftest import wait_until_cancelled


def _add_waiting_routes(app: TrioQuart, record: list[str], entered: trio.Event) -> None:
    @app.get("/wait")
    async def wait() -> str:
        entered.set()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            record.append("handler cancelled")
            raise

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        # A checkpoint here would raise Cancelled if teardown were not shielded.
        await trio.lowlevel.checkpoint()
        record.append(f"teardown {type(error).__name__} {request.path}")


async def _leave_while_waiting(
    client: TestClient, entered: trio.Event, linger: float, record: list[str]
) -> float:
    """GET /wait, stay ``linger`` seconds once the handler waits (nothing may happen
    meanwhile), then disconnect; the seconds from the handler waiting to the app finishing."""
    with trio.fail_after(5):
        async with client.request("/wait") as connection:
            await entered.wait()
            start = trio.current_time()
            if linger:
                await trio.sleep(linger)
                assert record == []
            await connection.disconnect()
            await connection.app_finished.wait()
            return trio.current_time() - start
    raise AssertionError("unreachable")


async def test_http_disconnect_cancels_handler_without_lifespan(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []
    entered = trio.Event()
    _add_waiting_routes(app, record, entered)

    with trio.fail_after(5):
        async with client.request("/wait") as connection:
            await entered.wait()
            await trio.testing.wait_all_tasks_blocked()
            assert record == []
            await connection.disconnect()
            await connection.app_finished.wait()
            assert not connection.response_started
    assert record == ["handler cancelled", "teardown Cancelled /wait"]


async def test_http_disconnect_cancels_handler_with_lifespan(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """The request outlives DISCONNECT_WATCH_DELAY, so the DisconnectWatch service watches it."""
    record: list[str] = []
    entered = trio.Event()
    _add_waiting_routes(app, record, entered)

    delay = app.config["DISCONNECT_WATCH_DELAY"]
    async with app.test_app() as test_app:
        # Several watch ticks pass (virtual time) with the client still there.
        elapsed = await _leave_while_waiting(test_app.test_client(), entered, 10 * delay, record)
        # Cancelled promptly: no extra ticks once a watcher is running.
        assert elapsed < 11 * delay
        assert record == ["handler cancelled", "teardown Cancelled /wait"]


async def test_http_disconnect_right_away_with_lifespan(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """A disconnect before the watch service has looked at the request is still noticed."""
    record: list[str] = []
    entered = trio.Event()
    _add_waiting_routes(app, record, entered)

    async with app.test_app() as test_app:
        await _leave_while_waiting(test_app.test_client(), entered, 0, record)
        assert record == ["handler cancelled", "teardown Cancelled /wait"]


async def test_http_disconnect_fast_requests_with_lifespan_are_not_cancelled(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """Requests that end before the watch delay never get cancelled, and teardown sees None."""
    record: list[str] = []

    @app.post("/echo")
    async def echo() -> Any:
        return {"body": (await request.get_data()).decode()}

    @app.get("/slow")
    async def slow() -> str:
        await trio.sleep(1)
        return "slow"

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(repr(error))

    async with app.test_app() as test_app:
        client = test_app.test_client()
        for index in range(3):
            response = await client.post("/echo", data=str(index))
            assert await response.get_json() == {"body": str(index)}
        response = await client.get("/slow")
        assert await response.get_data(as_text=True) == "slow"
    assert record == ["None"] * 4


async def test_http_disconnect_mid_stream_cancels_the_generator(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []

    @app.get("/stream")
    async def stream() -> AsyncIterator[bytes]:
        async def generate() -> AsyncIterator[bytes]:
            yield b"first"
            try:
                await trio.sleep_forever()
            except trio.Cancelled:
                record.append("generator cancelled")
                raise

        return generate()

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {type(error).__name__}")

    with trio.fail_after(5):
        async with client.request("/stream") as connection:
            assert await connection.receive_chunk() == b"first"
            await trio.testing.wait_all_tasks_blocked()
            await connection.disconnect()
            await connection.app_finished.wait()
            assert connection.response_started
            assert not connection.response_complete
    assert record == ["generator cancelled", "teardown Cancelled"]


async def test_http_disconnect_mid_stream_with_lifespan(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    record: list[str] = []
    produced = trio.Event()

    @app.get("/stream")
    async def stream() -> AsyncIterator[bytes]:
        async def generate() -> AsyncIterator[bytes]:
            for number in range(1_000_000):
                yield f"{number}\n".encode()
                produced.set()
                try:
                    await trio.sleep(1)
                except trio.Cancelled:
                    record.append(f"generator cancelled after {number}")
                    raise

        return generate()

    async with app.test_app() as test_app:
        client = test_app.test_client()
        with trio.fail_after(100):
            async with client.request("/stream") as connection:
                assert await connection.receive_chunk() == b"0\n"
                assert await connection.receive_chunk() == b"1\n"
                await connection.disconnect()
                await connection.app_finished.wait()
    assert produced.is_set()
    assert record == ["generator cancelled after 1"]


async def test_http_response_complete_then_disconnect_is_not_an_error(
    app: TrioQuart, client: TestClient
) -> None:
    """Regression: the server's ``http.disconnect`` after a complete response (which every
    request gets) must not cancel the request's last send or reach teardown as an error."""
    errors: list[BaseException | None] = []

    @app.get("/")
    async def index() -> str:
        return "done"

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        errors.append(error)

    for _ in range(3):
        assert (await client.get("/")).status_code == 200
        assert (await client.head("/")).status_code == 200
    assert errors == [None] * 6


async def test_http_disconnect_watch_skips_requests_shorter_than_the_delay(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """A request that ends within DISCONNECT_WATCH_DELAY never gets a watcher task (which would
    read its ``receive``), even when it starts just before the watch service's next tick."""
    delay = app.config["DISCONNECT_WATCH_DELAY"]
    read_by: list[str] = []

    @app.get("/long")
    async def long() -> str:
        await trio.sleep(100 * delay)
        return "long"

    @app.get("/short")
    async def short() -> str:
        await trio.sleep(0.9 * delay)
        return "short"

    async def observed_app(scope: Any, receive: Any, send: Any) -> None:
        async def observed_receive() -> Any:
            read_by.append(scope["path"])
            return await receive()

        await app(scope, observed_receive, send)

    async with app.test_app(), trio.open_nursery() as nursery:
        client = TestClient(observed_app)
        # The long request wakes the service, whose first tick comes one delay later; the
        # short one starts half-way there and must not be watched at that tick.
        nursery.start_soon(client.get, "/long")
        await trio.sleep(0.5 * delay)
        assert (await client.get("/short")).status_code == 200
        assert read_by == []
        await trio.sleep(2 * delay)
        # The long request has outlived two ticks: its watcher reads its receive.
        assert read_by[0] == "/long"
        assert set(read_by) == {"/long"}
        nursery.cancel_scope.cancel(reason="test finished")


async def test_http_disconnect_failing_receive_counts_as_a_disconnect(app: TrioQuart) -> None:
    """A server whose ``receive`` fails has lost the connection: the handler is cancelled."""
    record: list[str] = []
    entered = trio.Event()
    _add_waiting_routes(app, record, entered)
    calls = 0

    async def broken_connection(
        scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        async def failing_receive() -> ASGIReceiveEvent:
            nonlocal calls
            calls += 1
            if calls == 1:
                return await receive()
            raise OSError("connection lost")

        await app(scope, failing_receive, send)

    with trio.fail_after(5):
        async with TestClient(broken_connection).request("/wait") as connection:
            await connection.send_complete()
            await connection.app_finished.wait()
    assert record == ["handler cancelled", "teardown Cancelled /wait"]


async def test_http_view_that_cannot_wait_raising_base_exception_reaches_teardown(
    app: TrioQuart, client: TestClient
) -> None:
    """A ``BaseException`` from a view run before the request's scope is entered still
    reaches ``teardown_request`` and propagates."""
    record: list[str] = []

    class Stop(BaseException):
        pass

    @app.get("/")
    async def view() -> str:
        raise Stop

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(type(error).__name__)

    with pytest.raises(Stop):
        await client.get("/")
    assert record == ["Stop"]


async def test_http_failing_send_of_an_at_once_response_is_a_disconnect(app: TrioQuart) -> None:
    """The server's ``send`` failing (``OSError``: the client has gone) for a response built
    without waiting: the request ends as if the client had disconnected, and teardown sees
    that cancellation; nothing reaches the server."""
    record: list[str] = []

    @app.get("/")
    async def view() -> str:
        return "body"

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(type(error).__name__)

    async def receive() -> Any:
        await trio.sleep_forever()

    async def failing_send(message: Any) -> None:
        raise OSError("connection lost")

    scope: Any = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    with trio.fail_after(5):
        await app(scope, receive, failing_send)
    assert record == ["Cancelled"]


async def test_http_inbox_without_a_scope_yet_records_a_disconnect() -> None:
    """Nothing reads a request's ``receive`` before its scope exists; if something did, a
    disconnect would be recorded without cancelling anything."""

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    inbox = RequestInbox(receive)
    with pytest.raises(ClientDisconnectedError):
        await inbox.read_chunk()
    assert inbox.disconnected


async def test_streamed_body_is_closed_in_the_request_when_the_client_leaves(
    app: TrioQuart, client: TestClient
) -> None:
    """The client leaves while the stream waits in ``send`` (the body itself never waits):
    the body's ``finally`` runs in the request's task and context, before teardown, not later
    in trio's collector of abandoned generators."""
    app.config["DISCONNECT_WATCH_DELAY"] = 0.005
    record: list[str] = []

    @app.get("/stream")
    async def stream() -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                for _ in range(10**7):
                    yield b"x"
            finally:
                record.append(f"body closed, in the request: {has_request_context()}")

        return chunks()

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {type(error).__name__}")

    with trio.fail_after(5):
        async with client.request("/stream") as connection:
            await connection.send_complete()
            assert await connection.receive_chunk() == b"x"
            await connection.disconnect()
    assert record == ["body closed, in the request: True", "teardown Cancelled"]


async def test_teardown_gets_the_clients_cancellation_not_a_group(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []
    entered = trio.Event()

    @app.get("/")
    async def view() -> str:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.sleep_forever)
            nursery.start_soon(trio.sleep_forever)
            entered.set()
        return "never"  # pragma: no cover - cancelled above

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(type(error).__name__)

    with trio.fail_after(5):
        async with client.request("/") as connection:
            await connection.send_complete()
            await entered.wait()
            await connection.disconnect()
    assert record == ["Cancelled"]


async def test_cancelled_from_outside_comes_out_as_cancelled(app: TrioQuart) -> None:
    """Without a lifespan the connection runs a watch service of its own; a cancellation of
    the server's task comes out of the app as one ``trio.Cancelled``, not a group."""
    caught: list[type[BaseException]] = []

    @app.get("/")
    async def view() -> str:
        await trio.sleep_forever()

    async def receive() -> Any:
        await trio.sleep_forever()

    async def send(message: Any) -> None:
        raise AssertionError("nothing is sent")  # pragma: no cover - nothing is sent

    scope: Any = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    with trio.move_on_after(0.2):
        try:
            await app(scope, receive, send)
        except BaseException as error:
            caught.append(type(error))
            raise
    assert caught == [trio.Cancelled]


async def test_a_reader_cancelled_in_receive_wakes_the_watcher(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """The watcher, paused after reading 64 KiB ahead, waits while the view reads the rest;
    the view's read times out inside the server's receive. The watcher must then read on,
    and see the client leave (the request is cancelled, not left running)."""
    record: list[str] = []

    @app.post("/")
    async def view() -> str:
        await trio.sleep(1)  # busy elsewhere: a watcher reads ahead 64 KiB, then pauses
        with trio.move_on_after(1):  # the view's own read times out inside receive()
            await request.get_data()
        await wait_until_cancelled(record)

    with trio.fail_after(60):
        async with app.test_client().request("/", "POST") as connection:
            await connection.send(b"a" * 70_000)
            await trio.sleep(5)  # the view gave up reading and waits
            await connection.disconnect()
    assert record == ["cancelled"]


async def test_a_send_the_server_refuses_ends_the_stream_as_a_disconnect(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    """ASGI 2.4: a server may raise an ``OSError`` from ``send`` once the client has gone
    (trioquart's own server does). The streamed body is then closed, the
    teardown gets the cancellation, and nothing is logged as an error."""
    record: list[str] = []

    @app.get("/stream")
    async def stream() -> Any:
        async def body() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"tick"
                    await trio.lowlevel.checkpoint()
            finally:
                record.append("body closed")

        return body()

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {type(error).__name__}")

    sent: list[Any] = []

    async def receive() -> Any:
        await trio.sleep_forever()

    async def send(message: Any) -> None:
        if len(sent) == 2:
            raise ConnectionResetError("the client has gone")
        sent.append(message)

    scope: Any = {
        "type": "http",
        "method": "GET",
        "path": "/stream",
        "headers": [],
        "query_string": b"",
    }
    with trio.fail_after(5):
        await app(scope, receive, send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert record == ["body closed", "teardown Cancelled"]
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
