"""Quart's behaviour on the same input, over a real Hypercorn server: HTTP/1.0 without Host,
absolute-form targets, a root path, RESPONSE_TIMEOUT, propagated errors and signals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import trio
import trio.testing

from trioquart import TrioQuart, request
from trioquart.signals import request_finished

from .conftest import RunningServer, served


async def raw_exchange(server: RunningServer, data: bytes) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    stream = await trio.open_tcp_stream(server.host, server.port)
    async with stream:
        await stream.send_all(data)
        received = b""
        with trio.fail_after(5):
            while chunk := await stream.receive_some():
                received += chunk
    return received


@pytest.fixture
def app() -> TrioQuart:
    app = TrioQuart(__name__)

    @app.get("/")
    async def index() -> str:
        return f"host={request.host} path={request.path} root={request.root_path}"

    return app


async def test_http_1_0_without_host_is_served_with_the_servers_address(
    server: RunningServer,
) -> None:
    answer = await raw_exchange(server, b"GET / HTTP/1.0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == f"host={server.host}:{server.port} path=/ root=".encode()


async def test_an_absolute_form_target_routes_by_its_path(server: RunningServer) -> None:
    answer = await raw_exchange(
        server,
        b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == b"host=example.com path=/ root="


async def test_paths_outside_hypercorns_root_path_are_not_found(
    app: TrioQuart, nursery: trio.Nursery
) -> None:
    async with (
        served(nursery, app, root_path="/app") as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        inside = await client.get("/app/")
        outside = await client.get("/")
    assert inside.status_code == 200
    assert inside.text.endswith("path=/ root=/app")
    assert outside.status_code == 404


@pytest.fixture
def steerable_clock() -> trio.testing.MockClock:
    """Real time, which the test can also move forward (``jump``)."""
    return trio.testing.MockClock(rate=1)


async def test_a_client_that_stalls_past_response_timeout_loses_the_response(
    app: TrioQuart,
    nursery: trio.Nursery,
    caplog: pytest.LogCaptureFixture,
    steerable_clock: trio.testing.MockClock,
) -> None:
    """Hypercorn shields its socket writes, so the app cannot interrupt a send that waits on
    the client: the response is abandoned when that send returns (docs/porting.md)."""
    app.config["RESPONSE_TIMEOUT"] = 30
    gave_up = trio.Event()

    @app.get("/flood")
    async def flood() -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            while True:
                yield b"x" * 65536

        return chunks()

    @app.teardown_request
    async def done(error: BaseException | None) -> None:
        if isinstance(error, trio.Cancelled):
            gave_up.set()

    async def read_all(stream: trio.SocketStream) -> None:
        while await stream.receive_some():
            pass

    async with served(nursery, app) as server:
        stream = await trio.open_tcp_stream(server.host, server.port)
        async with stream:
            await stream.send_all(b"GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
            # Not reading: the socket buffers fill, and the server's send waits on the client.
            await trio.testing.wait_all_tasks_blocked(cushion=0.05)
            steerable_clock.jump(31)
            with trio.fail_after(10), caplog.at_level(logging.WARNING):
                async with trio.open_nursery() as reading:
                    reading.start_soon(read_all, stream)
                    await gave_up.wait()
                    reading.cancel_scope.cancel()
    assert "within RESPONSE_TIMEOUT (30 s)" in caplog.text


async def test_testing_errors_reach_hypercorn_which_answers_500(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    app = TrioQuart(__name__)
    app.testing = True

    @app.get("/bug")
    async def bug() -> str:
        raise ZeroDivisionError("propagated")

    @app.get("/fine")
    async def fine() -> str:
        return "fine"

    async with (
        served(nursery, app) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        with caplog.at_level(logging.ERROR):
            assert (await client.get("/bug")).status_code == 500
        assert (await client.get("/fine")).text == "fine"
    assert "ZeroDivisionError: propagated" in caplog.text


async def test_signals_see_each_response(app: TrioQuart, server: RunningServer) -> None:
    statuses: list[int] = []

    async def record(sender: TrioQuart, response: Any) -> None:
        statuses.append(response.status_code)

    with request_finished.connected_to(record, sender=app):
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get("/")).status_code == 200
            assert (await client.get("/missing")).status_code == 404
    assert statuses == [200, 404]
