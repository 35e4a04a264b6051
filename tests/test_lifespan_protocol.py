"""The ASGI lifespan as messages: what the app does with an unexpected first message or an
outside cancellation, and how ``TestApp`` reports an app that breaks the protocol."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing

from trioquart import TrioQuart
from trioquart.testing import LifespanError, TestApp

LIFESPAN_SCOPE: Any = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}}


async def test_lifespan_that_does_not_start_with_startup_is_left_at_once(app: TrioQuart) -> None:
    started: list[str] = []
    sent: list[Any] = []

    @app.before_serving
    async def before() -> None:
        started.append("before_serving")

    async def receive() -> Any:
        return {"type": "lifespan.shutdown"}

    async def send(message: Any) -> None:
        sent.append(message)

    with trio.fail_after(5):
        await app(LIFESPAN_SCOPE, receive, send)
    assert sent == []
    assert started == []


async def test_lifespan_cancelled_from_outside_comes_out_as_one_cancelled(
    app: TrioQuart,
) -> None:
    stopped: list[str] = []

    async def service() -> None:
        try:
            await trio.sleep_forever()
        finally:
            stopped.append("background task")

    @app.before_serving
    async def start_service() -> None:
        app.nursery.start_soon(service)

    messages = iter([{"type": "lifespan.startup"}])

    async def receive() -> Any:
        try:
            return next(messages)
        except StopIteration:
            await trio.sleep_forever()

    async def send(message: Any) -> None:
        assert message == {"type": "lifespan.startup.complete"}

    caught: list[BaseException] = []
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:

            async def run() -> None:
                try:
                    await app(LIFESPAN_SCOPE, receive, send)
                except BaseException as error:
                    caught.append(error)
                    raise

            nursery.start_soon(run)
            await trio.testing.wait_all_tasks_blocked()
            scope.cancel()
    assert [type(error) for error in caught] == [trio.Cancelled]
    assert stopped == ["background task"]
    assert app.background_tasks is None


async def test_test_app_reports_an_app_that_finishes_without_answering() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    with pytest.raises(LifespanError, match=r"finished without answering 'lifespan\.startup'"):
        async with TestApp(app):
            pass


async def test_test_app_startup_timeout_and_the_apps_own_error_come_out_together(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        try:
            await trio.sleep_forever()
        finally:
            raise ValueError("the app failed while cancelled")

    with pytest.raises(BaseExceptionGroup) as caught:
        async with TestApp(app, startup_timeout=1):
            pass
    kinds = sorted(type(error).__name__ for error in caught.value.exceptions)
    assert kinds == ["TooSlowError", "ValueError"]
