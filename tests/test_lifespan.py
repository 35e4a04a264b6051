"""The lifespan: serving hooks, the app-wide nursery, and shutdown order (through test_app)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest
import trio
import trio.lowlevel
import trio.testing

from trioquart import TrioQuart, current_app
from trioquart.asgi.lifespan import NOT_TRIO_MESSAGE
from trioquart.testing import LifespanError


async def test_hooks_run_in_order(app: TrioQuart) -> None:
    log: list[str] = []

    @app.before_serving
    async def before() -> None:
        log.append(f"before {current_app.name}")

    @app.while_serving
    async def first() -> AsyncGenerator[None, None]:
        log.append("first up")
        yield
        log.append("first down")

    @app.while_serving
    async def second() -> AsyncGenerator[None, None]:
        log.append("second up")
        yield
        log.append("second down")

    @app.after_serving
    async def after() -> None:
        log.append("after")

    @app.get("/")
    async def index() -> str:
        return "served"

    async with app.test_app() as test_app:
        assert log == ["before conftest", "first up", "second up"]
        response = await test_app.test_client().get("/")
        assert await response.get_data(as_text=True) == "served"
    assert log[3:] == ["second down", "first down", "after"]


async def test_nursery_outside_the_lifespan_names_the_fix(app: TrioQuart) -> None:
    with pytest.raises(RuntimeError, match=r"test_app\(\)"):
        app.nursery  # noqa: B018


async def test_background_task_outlives_the_request(app: TrioQuart) -> None:
    done = trio.Event()
    results: list[str] = []

    async def job(name: str) -> None:
        await trio.lowlevel.checkpoint()
        results.append(name)
        done.set()

    @app.post("/jobs")
    async def start_job() -> tuple[str, int]:
        current_app.nursery.start_soon(job, "report")
        return "accepted", 202

    async with app.test_app() as test_app:
        response = await test_app.test_client().post("/jobs")
        assert response.status_code == 202
        await done.wait()
    assert results == ["report"]


async def test_shutdown_gives_background_tasks_a_deadline_then_cancels(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 3
    events: list[tuple[str, float]] = []

    async def forever() -> None:
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            events.append(("cancelled", trio.current_time()))
            raise

    @app.after_serving
    async def after() -> None:
        events.append(("after_serving", trio.current_time()))

    async with app.test_app():
        app.nursery.start_soon(forever)
        await trio.testing.wait_all_tasks_blocked()
        shutdown_started = trio.current_time()
    assert [name for name, _ in events] == ["cancelled", "after_serving"]
    assert events[0][1] - shutdown_started == pytest.approx(3)
    assert app.shutdown_event.is_set()


async def test_background_task_can_watch_the_shutdown_event(app: TrioQuart) -> None:
    stopped: list[str] = []

    async def polite() -> None:
        await app.shutdown_event.wait()
        stopped.append("stopped by itself")

    async with app.test_app():
        app.nursery.start_soon(polite)
    assert stopped == ["stopped by itself"]


async def test_crashing_background_task_is_logged_and_others_continue(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    survivor_ran = trio.Event()

    async def crash() -> None:
        raise ValueError("background bug")

    async def survivor() -> None:
        await trio.lowlevel.checkpoint()
        await trio.lowlevel.checkpoint()
        survivor_ran.set()

    async with app.test_app():
        app.nursery.start_soon(crash)
        app.nursery.start_soon(survivor)
        await survivor_ran.wait()
    assert "ValueError: background bug" in caplog.text


async def test_nursery_start_reports_the_started_value(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    async def service(task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started("ready")
        await trio.sleep_forever()

    async def broken(task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        raise OSError("cannot start")

    async with app.test_app():
        assert await app.nursery.start(service) == "ready"
        with pytest.raises(OSError, match="cannot start"):
            await app.nursery.start(broken)


async def test_startup_failure_is_reported(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    closed: list[str] = []

    @app.while_serving
    async def resource() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            closed.append("closed")

    @app.before_serving
    async def fails() -> None:
        raise ConnectionError("database down")

    with pytest.raises(LifespanError, match="ConnectionError: database down"):
        async with app.test_app():
            pass
    assert "Startup failed" in caplog.text
    assert closed == []  # before_serving runs first: the resource was never opened


async def test_while_serving_that_fails_at_startup_closes_the_others(app: TrioQuart) -> None:
    closed: list[str] = []

    @app.while_serving
    async def good() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            closed.append("good")

    @app.while_serving
    async def bad() -> AsyncGenerator[None, None]:
        if not closed:
            raise RuntimeError("cannot open")
        yield  # pragma: no cover - never reached

    with pytest.raises(LifespanError, match="cannot open"):
        async with app.test_app():
            pass
    assert closed == ["good"]


async def test_shutdown_failure_is_reported_and_after_serving_still_runs(app: TrioQuart) -> None:
    log: list[str] = []

    @app.while_serving
    async def breaks_on_the_way_down() -> AsyncGenerator[None, None]:
        yield
        raise RuntimeError("cleanup failed")

    @app.after_serving
    async def after() -> None:
        log.append("after")

    with pytest.raises(LifespanError, match="cleanup failed"):
        async with app.test_app():
            pass
    assert log == ["after"]


async def test_the_lifespan_can_run_again(app: TrioQuart) -> None:
    starts: list[int] = []

    @app.before_serving
    async def count() -> None:
        starts.append(len(starts))

    async with app.test_app():
        pass
    async with app.test_app():
        assert not app.shutdown_event.is_set()
    assert starts == [0, 1]


def test_an_asyncio_server_gets_a_startup_failure_naming_the_fix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = TrioQuart(__name__)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope: Any = {"type": "lifespan", "asgi": {"version": "3.0"}}
    asyncio.run(app(scope, receive, send))
    assert sent == [{"type": "lifespan.startup.failed", "message": NOT_TRIO_MESSAGE}]
    assert "--worker-class trio" in NOT_TRIO_MESSAGE


async def test_unknown_scope_type_is_an_error(app: TrioQuart) -> None:
    async def receive() -> Any:
        raise AssertionError("not called")

    async def send(message: Any) -> None:
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="Unknown ASGI scope type"):
        await app({"type": "telepathy"}, receive, send)  # type: ignore[arg-type]


async def test_lifespan_logs_use_the_trioquart_logger(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="trioquart")

    @app.after_serving
    async def after() -> None:
        raise KeyError("x")

    with pytest.raises(LifespanError):
        async with app.test_app():
            pass
    assert any(record.name == "trioquart" for record in caplog.records)


def add_ticking_service(app: TrioQuart, log: list[str]) -> None:
    """A while_serving generator that holds a nursery and a cancel scope across its yield."""

    async def tick(started: trio.Event) -> None:
        started.set()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            log.append("tick cancelled")
            raise

    @app.while_serving
    async def service() -> AsyncGenerator[None, None]:
        with trio.CancelScope() as deadline_scope:
            async with trio.open_nursery() as nursery:
                started = trio.Event()
                nursery.start_soon(tick, started)
                await started.wait()
                log.append("service up")
                yield
                log.append("service down")
                nursery.cancel_scope.cancel()
        log.append(f"scope closed, cancelled_caught={deadline_scope.cancelled_caught}")

    @app.get("/")
    async def index() -> str:
        return "served"


async def test_while_serving_may_hold_a_nursery_and_a_scope_across_its_yield(
    app: TrioQuart,
) -> None:
    """Driven as a context manager in one task: no "Nursery misnesting" at shutdown."""
    log: list[str] = []
    add_ticking_service(app, log)
    async with app.test_app() as test_app:
        assert log == ["service up"]
        response = await test_app.test_client().get("/")
        assert await response.get_data(as_text=True) == "served"
    assert log == [
        "service up",
        "service down",
        "tick cancelled",
        "scope closed, cancelled_caught=False",
    ]


async def test_while_serving_teardown_sees_the_startup_failure(app: TrioQuart) -> None:
    """A generator entered before a failing one gets the failure thrown in at its yield."""
    seen: list[str] = []

    @app.while_serving
    async def first() -> AsyncGenerator[None, None]:
        try:
            yield
        except RuntimeError as error:
            seen.append(f"saw {error}")
            raise

    @app.while_serving
    async def second() -> AsyncGenerator[None, None]:
        if not seen:
            raise RuntimeError("second cannot start")
        yield  # pragma: no cover - never reached

    with pytest.raises(LifespanError, match=r"^RuntimeError: second cannot start$"):
        async with app.test_app():
            pass
    assert seen == ["saw second cannot start"]


async def test_while_serving_that_yields_twice_is_a_shutdown_failure(app: TrioQuart) -> None:
    @app.while_serving
    async def twice() -> AsyncGenerator[None, None]:
        yield
        yield

    with pytest.raises(LifespanError, match=r"^RuntimeError: generator didn't stop$"):
        async with app.test_app():
            pass


async def test_while_serving_teardown_is_bounded_per_generator(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """A generator that never stops is cancelled after its bound; the ones registered before
    it (resumed after it) still stop normally."""
    log: list[str] = []

    @app.while_serving
    async def first() -> AsyncGenerator[None, None]:
        yield
        log.append("first teardown")

    @app.while_serving
    async def stuck() -> AsyncGenerator[None, None]:
        yield
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            log.append(f"stuck cancelled at {trio.current_time() - started:.0f} s")
            raise

    with pytest.raises(
        LifespanError,
        match=r"^while_serving test_while_serving_teardown_is_bounded_per_generator\.<locals>"
        r"\.stuck took over 10\.0 s to stop and was cancelled$",
    ):
        async with app.test_app():
            started = trio.current_time()
    assert log == ["stuck cancelled at 10 s", "first teardown"]


async def test_while_serving_service_that_fails_while_serving_is_reported_at_shutdown(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    """A task of a nursery held across the yield fails: its generator ends (logged), the
    lifespan and the app's other services go on, and the shutdown reports the failure."""
    failed = trio.Event()
    log: list[str] = []

    async def worker() -> None:
        await trio.lowlevel.checkpoint()
        raise ConnectionError("broker gone")

    @app.while_serving
    async def steady() -> AsyncGenerator[None, None]:
        yield
        log.append("steady down")

    @app.while_serving
    async def fragile() -> AsyncGenerator[None, None]:
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(worker)
                yield
        finally:
            failed.set()

    @app.get("/")
    async def index() -> str:
        return "still served"

    served: list[str] = []

    async def serve_after_the_failure() -> None:
        async with app.test_app() as test_app:
            await failed.wait()
            response = await test_app.test_client().get("/")
            served.append(await response.get_data(as_text=True))
            served.append(f"shutting down: {app.shutdown_event.is_set()}")

    with pytest.raises(LifespanError, match=r"^ExceptionGroup: .*\(1 sub-exception\)$"):
        await serve_after_the_failure()
    assert served == ["still served", "shutting down: False"]
    assert log == ["steady down"]
    assert "Error in a while_serving function" in caplog.text
    assert "broker gone" in caplog.text


async def test_app_nursery_kept_past_shutdown_refuses_new_tasks(app: TrioQuart) -> None:
    async with app.test_app():
        kept = app.nursery
        assert not kept.cancel_scope.cancel_called
    with pytest.raises(
        RuntimeError, match=r"^The app-wide nursery is closed: the app is no longer served\.$"
    ):
        kept.start_soon(trio.lowlevel.checkpoint)
