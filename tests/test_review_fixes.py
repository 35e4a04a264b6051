"""Behaviour a review of the simplified core found missing, each against Flask's or trio's rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing
from werkzeug.exceptions import HTTPException, NotFound

from trioquart import Blueprint, Response, TrioQuart, abort, has_request_context, request
from trioquart.testing import TestClient


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


def _bp_app(register: Any) -> TrioQuart:
    app = TrioQuart(__name__)
    blueprint = Blueprint("bp", __name__)

    @blueprint.get("/missing")
    async def missing() -> str:
        abort(404)

    register(app, blueprint)
    app.register_blueprint(blueprint, url_prefix="/bp")
    return app


@pytest.mark.parametrize(
    ("register", "expected"),
    [
        pytest.param(
            lambda app, bp: (
                bp.errorhandler(NotFound)(_answer("bp NotFound")),
                app.errorhandler(404)(_answer("app 404")),
            ),
            "bp NotFound",
            id="a class handler counts as its code: the blueprint's wins",
        ),
        pytest.param(
            lambda app, bp: (
                bp.errorhandler(HTTPException)(_answer("bp HTTPException")),
                app.errorhandler(NotFound)(_answer("app NotFound")),
            ),
            "app NotFound",
            id="handlers for the code come before handlers for any code",
        ),
    ],
)
async def test_error_handler_order_is_flasks(register: Any, expected: str) -> None:
    response = await _bp_app(register).test_client().get("/bp/missing")
    assert (response.status_code, await response.get_data(as_text=True)) == (418, expected)


def _answer(text: str) -> Any:
    async def handler(error: Exception) -> tuple[str, int]:
        return text, 418

    return handler


async def test_redirects_and_abort_with_a_response_bypass_error_handlers(
    app: TrioQuart, client: TestClient
) -> None:
    @app.errorhandler(HTTPException)
    async def any_http_error(error: HTTPException) -> tuple[str, int]:
        return "handler", 418

    @app.get("/dir/")
    async def directory() -> str:
        return "dir"

    @app.get("/custom")
    async def custom() -> str:
        abort(Response("custom", status=404))

    redirect = await client.get("/dir")
    assert redirect.status_code == 308
    assert redirect.headers["Location"].endswith("/dir/")
    response = await client.get("/custom")
    assert (response.status_code, await response.get_data(as_text=True)) == (404, "custom")
    missing = await client.get("/nowhere")
    assert missing.status_code == 418


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
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            record.append("cancelled")
            raise

    with trio.fail_after(60):
        async with app.test_client().request("/", "POST") as connection:
            await connection.send(b"a" * 70_000)
            await trio.sleep(5)  # the view gave up reading and waits
            await connection.disconnect()
    assert record == ["cancelled"]
