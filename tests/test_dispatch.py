"""The pipeline's shortcut for views that cannot wait (``Waits.NEVER``, see test_view_waits.py).

Such a view runs before the request's cancel scope is entered; everything that may still wait
(hooks, error handlers, a streamed body) must behave exactly as on the ordinary path, and a
disconnect must still cancel it.
"""

from __future__ import annotations

from typing import Any

import trio
import trio.testing

from trioquart import TrioQuart, g, request
from trioquart.testing import TestClient


async def test_dispatch_view_that_cannot_wait_still_gets_hooks_that_wait(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []

    @app.before_request
    async def before() -> None:
        await trio.lowlevel.checkpoint()
        g.user = "ann"

    @app.after_request
    async def after(response: Any) -> Any:
        await trio.lowlevel.checkpoint()
        response.headers["X-After"] = "yes"
        return response

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(repr(error))

    @app.get("/")
    async def view() -> str:
        return f"hello {g.user}"

    response = await client.get("/")
    assert await response.get_data(as_text=True) == "hello ann"
    assert response.headers["X-After"] == "yes"
    assert record == ["None"]


async def test_dispatch_view_that_cannot_wait_raises_into_a_waiting_error_handler(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []

    @app.get("/")
    async def view() -> str:
        raise KeyError("missing")

    @app.errorhandler(KeyError)
    async def handle(error: KeyError) -> Any:
        await trio.lowlevel.checkpoint()
        return {"error": str(error)}, 409

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"{error!r} {request.path}")

    response = await client.get("/")
    assert response.status_code == 409
    assert await response.get_json() == {"error": "'missing'"}
    assert record == ["None /"]


async def test_dispatch_disconnect_cancels_the_error_handler_of_a_view_that_cannot_wait(
    app: TrioQuart, client: TestClient
) -> None:
    """The view ran outside the request's cancel scope; its error handler waits inside it."""
    record: list[str] = []
    entered = trio.Event()

    @app.get("/")
    async def view() -> str:
        raise KeyError("missing")

    @app.errorhandler(KeyError)
    async def handle(error: KeyError) -> str:
        entered.set()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            record.append("error handler cancelled")
            raise

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {type(error).__name__}")

    with trio.fail_after(5):
        async with client.request("/") as connection:
            await entered.wait()
            await connection.disconnect()
            await connection.app_finished.wait()
            assert not connection.response_started
    assert record == ["error handler cancelled", "teardown Cancelled"]


async def test_dispatch_view_that_cannot_wait_answers_head_and_options(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def view() -> str:
        return "body"

    head = await client.head("/")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == "4"
    assert await head.get_data() == b""
    options = await client.options("/")
    assert options.headers["Allow"] == "GET, HEAD, OPTIONS"
