"""The DisconnectWatch service on its own, with stand-in connections: calls that find nothing
to do, and errors of the watchers it started."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from trioquart.asgi.disconnect_watch import open_disconnect_watch


class Connection:
    """A stand-in for a request or websocket inbox; its watcher raises ``error`` at once, if
    given, else waits until cancelled."""

    def __init__(self, error: Exception | None = None) -> None:
        self.watch_scope: trio.CancelScope | None = None
        self.idle_ticks = 0
        self.receiving = False
        self.watched = 0
        self._error = error

    async def watch(self) -> None:
        self.watched += 1
        assert self.watch_scope is not None
        if self._error is not None:
            raise self._error
        with self.watch_scope:
            await trio.sleep_forever()


async def test_watch_now_and_unregister_leave_unknown_connections_alone() -> None:
    async with open_disconnect_watch(1.0) as watch:
        stranger = Connection()
        watch.watch_now(stranger)
        watch.unregister(stranger)
        await trio.testing.wait_all_tasks_blocked()
        assert stranger.watched == 0
        assert stranger.watch_scope is None


async def test_a_started_watcher_is_started_once_and_cancelled_at_unregister() -> None:
    async with open_disconnect_watch(1.0) as watch:
        connection = Connection()
        watch.register(connection)
        watch.watch_now(connection)
        watch.watch_now(connection)  # already watched: nothing more
        await trio.testing.wait_all_tasks_blocked()
        assert connection.watched == 1
        watch.unregister(connection)
        assert connection.watch_scope is not None
        await trio.testing.wait_all_tasks_blocked()
        assert connection.watch_scope.cancelled_caught


async def test_errors_of_several_watchers_come_out_as_a_group() -> None:
    async def two_failing_watchers() -> None:
        async with open_disconnect_watch(1.0) as watch:
            for error in (ValueError("first"), KeyError("second")):
                connection = Connection(error)
                watch.register(connection)
                watch.watch_now(connection)
            await trio.sleep_forever()

    with pytest.raises(BaseExceptionGroup) as caught:
        await two_failing_watchers()
    errors = caught.value.exceptions
    assert sorted(type(error).__name__ for error in errors) == ["KeyError", "ValueError"]


async def test_an_error_of_the_block_comes_out_as_itself() -> None:
    with pytest.raises(ValueError, match="from the block"):
        async with open_disconnect_watch(1.0):
            raise ValueError("from the block")
