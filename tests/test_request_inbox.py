"""RequestInbox: how reading a request body goes through trio's scheduler."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing

from trioquart.asgi.request_inbox import ClientDisconnectedError, RequestInbox


class StepCounter(trio.abc.Instrument):
    """Counts the times one task is resumed by the scheduler."""

    def __init__(self, task: trio.lowlevel.Task) -> None:
        self.task = task
        self.steps = 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        if task is self.task:
            self.steps += 1


async def inbox_with(*messages: dict[str, Any]) -> RequestInbox:
    send_channel, receive_channel = trio.open_memory_channel[Any](len(messages))
    for message in messages:
        await send_channel.send(message)
    return RequestInbox(receive_channel.receive)


async def read_all(inbox: RequestInbox) -> list[bytes]:
    chunks = []
    while (chunk := await inbox.read_chunk()) is not None:
        chunks.append(chunk)
    return chunks


async def test_inbox_end_of_body_message_costs_no_extra_scheduler_trip() -> None:
    """A body followed by the server's empty closing message takes one trip per message
    received, and none more to report the end."""
    inbox = await inbox_with(
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": False},
    )
    counter = StepCounter(trio.lowlevel.current_task())
    trio.lowlevel.add_instrument(counter)
    try:
        chunks = await read_all(inbox)
    finally:
        trio.lowlevel.remove_instrument(counter)
    assert chunks == [b"abc"]
    assert counter.steps == 2


async def test_inbox_read_after_the_end_is_still_a_checkpoint() -> None:
    """Once the whole body was handed out, asking again returns None and is a checkpoint."""
    inbox = await inbox_with({"type": "http.request", "body": b"abc", "more_body": False})
    assert await read_all(inbox) == [b"abc"]
    with trio.CancelScope() as scope:
        scope.cancel()
        await inbox.read_chunk()
        raise AssertionError("read_chunk() did not checkpoint")  # pragma: no cover
    assert scope.cancelled_caught


async def test_inbox_read_rest_takes_one_scheduler_trip_per_message() -> None:
    """Reading the whole body at once costs no more trips than the messages it waits for."""
    inbox = await inbox_with(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": False},
    )
    chunks: list[bytes] = []
    counter = StepCounter(trio.lowlevel.current_task())
    trio.lowlevel.add_instrument(counter)
    try:
        await inbox.read_rest(chunks.append)
    finally:
        trio.lowlevel.remove_instrument(counter)
    assert chunks == [b"ab", b"cd"]
    assert counter.steps == 3


async def test_inbox_read_rest_of_a_body_already_in_is_still_a_checkpoint() -> None:
    inbox = await inbox_with({"type": "http.request", "body": b"abc", "more_body": False})
    assert await inbox.read_chunk() == b"abc"
    with trio.CancelScope() as scope:
        scope.cancel()
        await inbox.read_rest(lambda chunk: None)
        raise AssertionError("read_rest() did not checkpoint")  # pragma: no cover
    assert scope.cancelled_caught


async def test_inbox_read_rest_after_a_disconnect_without_a_scope_raises() -> None:
    """With no scope to cancel, a client that left mid-body is reported as such."""
    inbox = await inbox_with(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.disconnect"},
    )
    with pytest.raises(ClientDisconnectedError):
        await inbox.read_rest(lambda chunk: None)


async def test_inbox_read_rest_shares_the_receive_with_a_watcher() -> None:
    """A watcher already waiting in ``receive`` reads the body for the handler: nothing is
    lost, and the handler gets every chunk in order."""
    send_channel, receive_channel = trio.open_memory_channel[Any](0)
    inbox = RequestInbox(receive_channel.receive)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(inbox.watch)
        await trio.testing.wait_all_tasks_blocked()
        assert inbox.receiving  # the watcher holds the receive

        async def send_body() -> None:
            await trio.testing.wait_all_tasks_blocked()
            await send_channel.send({"type": "http.request", "body": b"ab", "more_body": True})
            await send_channel.send({"type": "http.request", "body": b"cd", "more_body": False})

        nursery.start_soon(send_body)
        chunks: list[bytes] = []
        await inbox.read_rest(chunks.append)
        assert chunks == [b"ab", b"cd"]
        nursery.cancel_scope.cancel()


async def test_inbox_read_rest_cancelled_loses_no_chunk() -> None:
    """Every chunk taken before the cancellation went to ``on_chunk``; the next read goes on
    from there."""
    send_channel, receive_channel = trio.open_memory_channel[Any](10)
    inbox = RequestInbox(receive_channel.receive)
    await send_channel.send({"type": "http.request", "body": b"ab", "more_body": True})
    chunks: list[bytes] = []
    scope = trio.CancelScope()

    async def read() -> None:
        with scope:
            await inbox.read_rest(chunks.append)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read)
        await trio.testing.wait_all_tasks_blocked()  # "ab" taken, waiting for more
        scope.cancel()
    assert scope.cancelled_caught
    assert chunks == [b"ab"]
    await send_channel.send({"type": "http.request", "body": b"cd", "more_body": False})
    await inbox.read_rest(chunks.append)
    assert chunks == [b"ab", b"cd"]


async def test_inbox_attach_after_a_disconnect_cancels_at_once() -> None:
    inbox = await inbox_with(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.disconnect"},
    )
    with pytest.raises(ClientDisconnectedError):
        await inbox.read_rest(lambda chunk: None)
    assert inbox.disconnected
    assert not inbox.body_complete
    with trio.CancelScope() as scope:
        inbox.attach(scope)
        assert scope.cancel_called
        await inbox.read_rest(lambda chunk: None)
        raise AssertionError("the scope was not cancelled")  # pragma: no cover
    assert scope.cancelled_caught
