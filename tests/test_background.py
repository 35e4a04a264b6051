"""The app-wide nursery (``app.nursery``): failures of tasks started with ``start``."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing

from trioquart import TrioQuart


async def test_a_task_failing_after_it_started_is_logged_and_others_go_on(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    fail_now = trio.Event()
    still_running: list[str] = []

    async def service(task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started("up")
        await fail_now.wait()
        raise RuntimeError("service broke after starting")

    async def neighbour() -> None:
        await fail_now.wait()
        # Past the checkpoints where a failure spreading through a nursery would cancel it.
        for _ in range(3):
            await trio.lowlevel.checkpoint()
        still_running.append("neighbour")

    async with app.test_app():
        assert await app.nursery.start(service) == "up"
        app.nursery.start_soon(neighbour)
        fail_now.set()
        await trio.testing.wait_all_tasks_blocked()
        assert still_running == ["neighbour"]
    [record] = [record for record in caplog.records if record.name == "trioquart"]
    assert record.getMessage().startswith("Background task")
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "service broke after starting"
