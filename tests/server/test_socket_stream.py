"""``DirectSocketStream`` keeps trio's contract for a stream, on real sockets.

trio's own conformance checks (``trio.testing.check_half_closeable_stream``) run on a Unix
socket pair and on a TCP connection; the tests after them pin down what those checks leave
open: checkpoints when no wait is needed, cancelled calls that do nothing, a peer that resets,
and taking a socket over from ``trio.SocketStream``.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Awaitable, Callable

import pytest
import trio
import trio.testing

from trioquart.server import socket_stream
from trioquart.server.socket_stream import DirectSocketStream

Pair = tuple[DirectSocketStream, DirectSocketStream]
Maker = Callable[[], Awaitable[Pair]]


async def unix_pair() -> Pair:
    """Two connected streams over a Unix socket pair."""
    left, right = socket.socketpair()
    return DirectSocketStream(left), DirectSocketStream(right)


async def tcp_pair() -> Pair:
    """Two connected streams over TCP on 127.0.0.1, the server side taken over from trio."""
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    async with listener:
        client = await trio.open_tcp_stream("127.0.0.1", listener.socket.getsockname()[1])
        accepted = await listener.accept()
    server = DirectSocketStream.taking_over(accepted)
    return server, DirectSocketStream.taking_over(client)


async def fill(stream: DirectSocketStream) -> None:
    """Send until the socket's buffers are full (the send then waits)."""
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:

            async def cancel_once_blocked() -> None:
                await trio.testing.wait_all_tasks_blocked()
                scope.cancel()

            nursery.start_soon(cancel_once_blocked)
            while True:
                await stream.send_all(b"x" * 65536)


def clogged(make: Maker) -> Maker:
    """``make``, with both directions' buffers full."""

    async def clogged_pair() -> Pair:
        left, right = await make()
        await fill(left)
        await fill(right)
        return left, right

    return clogged_pair


@pytest.mark.parametrize("make", [unix_pair, tcp_pair])
async def test_trio_stream_conformance(make: Maker) -> None:
    await trio.testing.check_half_closeable_stream(make, clogged(make))


async def test_calls_that_need_no_wait_are_checkpoints() -> None:
    left, right = await unix_pair()
    async with left, right:
        with trio.testing.assert_checkpoints():
            await left.send_all(b"ready")
        await trio.testing.wait_all_tasks_blocked()
        with trio.testing.assert_checkpoints():
            assert await right.receive_some() == b"ready"


async def test_cancelled_calls_do_nothing() -> None:
    left, right = await unix_pair()
    async with left, right:
        with trio.CancelScope() as scope:
            scope.cancel()
            await left.send_all(b"not sent")
        assert scope.cancelled_caught
        await left.send_all(b"sent")
        with trio.CancelScope() as scope:
            scope.cancel()
            await right.receive_some()
        assert scope.cancelled_caught
        assert await right.receive_some() == b"sent"


async def test_send_all_while_send_eof_is_at_its_checkpoint_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at_checkpoint, release = trio.Event(), trio.Event()

    async def held_checkpoint() -> None:
        at_checkpoint.set()
        await release.wait()

    monkeypatch.setattr(socket_stream, "checkpoint", held_checkpoint)
    left, right = await unix_pair()
    async with left, right, trio.open_nursery() as nursery:
        nursery.start_soon(left.send_eof)
        await at_checkpoint.wait()
        try:
            with pytest.raises(trio.BusyResourceError):
                await left.send_all(b"x")
        finally:
            release.set()


async def test_max_bytes_must_be_positive() -> None:
    left, right = await unix_pair()
    async with left, right:
        with pytest.raises(ValueError, match="at least 1"):
            await left.receive_some(0)


async def reset_by_peer() -> tuple[DirectSocketStream, socket.socket]:
    """A TCP stream and its peer's socket, set to reset the connection when closed."""
    server, client = await tcp_pair()
    peer = client.socket.dup()
    await client.aclose()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return server, peer


async def test_a_reset_while_nothing_is_waiting_is_a_broken_stream() -> None:
    server, peer = await reset_by_peer()
    async with server:
        peer.close()
        with pytest.raises(trio.BrokenResourceError):
            await server.receive_some()
        with pytest.raises(trio.BrokenResourceError):
            await server.send_all(b"gone")
        with pytest.raises(trio.BrokenResourceError):
            await server.send_eof()


async def once_blocked(action: Callable[[], object]) -> None:
    """Wait until every other task is blocked, then call ``action``."""
    await trio.testing.wait_all_tasks_blocked()
    action()


async def test_a_reset_while_waiting_to_receive_is_a_broken_stream() -> None:
    server, peer = await reset_by_peer()
    async with server, trio.open_nursery() as nursery:
        nursery.start_soon(once_blocked, peer.close)
        with pytest.raises(trio.BrokenResourceError):
            await server.receive_some()


async def test_a_peer_gone_while_waiting_to_send_the_rest_is_a_broken_stream() -> None:
    left, right = await unix_pair()
    async with left, trio.open_nursery() as nursery:
        nursery.start_soon(once_blocked, right.socket.close)  # nobody waits on it
        with pytest.raises(trio.BrokenResourceError):
            await left.send_all(b"x" * 4 * 1024 * 1024)  # more than the buffers hold


async def test_a_large_send_arrives_whole() -> None:
    data = bytes(range(256)) * 16 * 1024  # 4 MiB: many waits for room
    left, right = await tcp_pair()
    async with left, right:
        received = bytearray()

        async def receive_all() -> None:
            while len(received) < len(data):
                received.extend(await right.receive_some())

        async with trio.open_nursery() as nursery:
            nursery.start_soon(receive_all)
            await left.send_all(bytearray(data))
        assert received == data


async def test_taking_over_leaves_trio_stream_without_a_socket() -> None:
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    async with listener:
        client = await trio.open_tcp_stream("127.0.0.1", listener.socket.getsockname()[1])
        accepted = await listener.accept()
    async with client:
        stream = DirectSocketStream.taking_over(accepted)
        async with stream:
            assert accepted.socket.fileno() == -1
            await accepted.aclose()  # closes nothing: the connection is the new stream's
            assert stream.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            await client.send_all(b"still here")
            assert await stream.receive_some() == b"still here"
            await stream.send_all(b"and back")
            assert await client.receive_some() == b"and back"
