"""RESPONSE_TIMEOUT: a client that stops taking the response loses it; a slow stream does not.

The app is driven as a server would drive it, with a ``send`` that stalls when told to (a
client that no longer reads), on trio's virtual clock.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

from trioquart import Response, TrioQuart


class StallingClient:
    """ASGI ``receive``/``send`` of a client that stops reading after ``reads`` messages."""

    def __init__(self, reads: int) -> None:
        self.reads = reads
        self.messages: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        await trio.sleep_forever()  # the client neither sends more nor leaves
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(self, message: Any) -> None:
        if len(self.messages) >= self.reads:
            await trio.sleep_forever()
        self.messages.append(message)


async def serve_once(app: TrioQuart, client: StallingClient, path: str = "/") -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        # A GET has an empty body: the first read gives it, the next waits (the client stays).
        if not getattr(receive, "done", False):
            receive.done = True  # type: ignore[attr-defined]
            return {"type": "http.request", "body": b"", "more_body": False}
        return await client.receive()

    await app(scope, receive, client.send)  # type: ignore[arg-type]


async def test_a_client_that_stops_reading_loses_the_response(
    app: TrioQuart, autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["RESPONSE_TIMEOUT"] = 30
    torn_down: list[type[BaseException] | None] = []

    @app.get("/")
    async def stream() -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            while True:
                yield b"x" * 1024

        return chunks()

    @app.teardown_request
    async def record(error: BaseException | None) -> None:
        torn_down.append(None if error is None else type(error))

    client = StallingClient(reads=3)
    start = trio.current_time()
    with trio.fail_after(1000), caplog.at_level(logging.WARNING):
        await serve_once(app, client)
    assert trio.current_time() - start == pytest.approx(30)
    assert [message["type"] for message in client.messages] == [
        "http.response.start",
        "http.response.body",
        "http.response.body",
    ]
    assert torn_down == [trio.Cancelled]
    assert "within RESPONSE_TIMEOUT (30 s)" in caplog.text


async def test_a_stream_waiting_for_its_next_chunk_is_not_timed(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["RESPONSE_TIMEOUT"] = 5

    @app.get("/")
    async def slow_events() -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            for number in range(3):
                await trio.sleep(60)  # far longer than the timeout, between chunks
                yield f"{number}\n".encode()

        return chunks()

    client = StallingClient(reads=100)
    with trio.fail_after(1000):
        await serve_once(app, client)
    assert b"".join(m.get("body", b"") for m in client.messages) == b"0\n1\n2\n"
    assert client.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


@pytest.mark.parametrize("setting", ["config", "response"])
async def test_none_means_no_limit(
    app: TrioQuart, autojump_clock: trio.testing.MockClock, setting: str
) -> None:
    app.config["RESPONSE_TIMEOUT"] = None if setting == "config" else 5

    @app.get("/")
    async def page() -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"page"

        response = Response(chunks())
        if setting == "response":
            response.timeout = None
        return response

    client = StallingClient(reads=1)  # takes the start, never the body
    with trio.move_on_after(3600) as waited:
        await serve_once(app, client)
    assert waited.cancelled_caught  # still waiting on the client an hour later


async def test_a_response_sets_its_own_timeout(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["RESPONSE_TIMEOUT"] = None

    @app.get("/")
    async def page() -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"page"

        response = Response(chunks())
        response.timeout = 2
        return response

    client = StallingClient(reads=1)
    start = trio.current_time()
    with trio.fail_after(100):
        await serve_once(app, client)
    assert trio.current_time() - start == pytest.approx(2)
    assert [message["type"] for message in client.messages] == ["http.response.start"]


async def test_a_stream_without_a_timeout_is_sent_whole(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["RESPONSE_TIMEOUT"] = None

    @app.route("/", methods=["GET", "HEAD"])
    async def stream() -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        return chunks()

    client = StallingClient(reads=100)
    await serve_once(app, client)
    assert b"".join(m.get("body", b"") for m in client.messages) == b"ab"


async def test_a_bytes_body_is_handed_to_the_server_without_a_timer(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """Its two messages go at once; only the server can time out writing them."""
    app.config["RESPONSE_TIMEOUT"] = 5

    @app.get("/")
    async def page() -> str:
        return "page"

    client = StallingClient(reads=1)  # takes the start, never the body
    with trio.move_on_after(3600) as waited:
        await serve_once(app, client)
    assert waited.cancelled_caught
