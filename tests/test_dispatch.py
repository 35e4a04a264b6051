"""The pipeline's shortcut for views that cannot wait (``never_waits``).

Such a view runs before the request's cancel scope is entered; everything that may still wait
(hooks, error handlers, a streamed body) must behave exactly as on the ordinary path, and a
disconnect must still cancel it.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

from trioquart import TrioQuart, g, request, view_waits
from trioquart.testing import TestClient
from trioquart.view_waits import never_waits


async def _no_wait() -> str:
    return "x"


async def _awaits() -> None:
    await trio.lowlevel.checkpoint()


async def _async_for(items: Any) -> None:
    async for _ in items:
        pass


async def _async_with(manager: Any) -> None:
    async with manager:
        pass


async def _async_comprehension(items: Any) -> list[Any]:
    return [item async for item in items]


async def _returns_a_generator() -> AsyncIterator[bytes]:
    async def generate() -> AsyncIterator[bytes]:
        await trio.lowlevel.checkpoint()
        yield b"x"

    return generate()


def _sync() -> str:
    return "x"


class _CallableObject:
    async def __call__(self) -> str:
        return "x"


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (_no_wait, True),
        (_returns_a_generator, True),
        (_awaits, False),
        (_async_for, False),
        (_async_with, False),
        (_async_comprehension, False),
        (_sync, False),
        (functools.partial(_no_wait), False),
        (_CallableObject(), False),
    ],
)
def test_dispatch_never_waits(view: Any, expected: bool) -> None:
    assert never_waits(view) is expected


def test_dispatch_never_waits_forgets_views_beyond_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answers are remembered per function, up to a bound (views made on the fly must
    not grow the memory without end); past it the memory starts again, answers unchanged."""
    monkeypatch.setattr(view_waits, "_MAX_REMEMBERED_VIEWS", 2)
    monkeypatch.setattr(view_waits, "_waits_by_function", {})

    def make() -> Any:
        async def view() -> str:
            return "x"

        return view

    views = [make() for _ in range(5)]
    assert [never_waits(view) for view in views] == [True] * 5
    assert len(view_waits._waits_by_function) <= 2
    assert never_waits(_awaits) is False


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
