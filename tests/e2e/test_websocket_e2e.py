"""Websockets end to end: Hypercorn's trio worker on 127.0.0.1, trio-websocket as the client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed, ConnectionRejected, wrap_client_stream

from trioquart import TrioQuart, websocket

from .conftest import RunningServer, close_code, close_reason, open_websocket


def add_echo(app: TrioQuart) -> None:
    @app.websocket("/echo")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())


async def test_echo_keeps_str_and_bytes(app: TrioQuart, server: RunningServer) -> None:
    add_echo(app)
    async with open_websocket(server, "/echo") as connection:
        messages: list[str | bytes] = ["text", b"\x00binary", "", b""]
        for message in messages:
            await connection.send_message(message)
            received = await connection.get_message()
            assert received == message
            assert type(received) is type(message)


async def test_rejection_status_headers_and_body(app: TrioQuart, server: RunningServer) -> None:
    @app.websocket("/private")
    async def private() -> Any:
        return "Invalid password", 403, {"X-Why": "password"}

    with pytest.raises(ConnectionRejected) as caught:
        async with open_websocket(server, "/private"):
            pass
    assert caught.value.status_code == 403
    assert caught.value.body == b"Invalid password"
    assert (b"x-why", b"password") in caught.value.headers


@pytest.mark.parametrize(("path", "status"), [("/nowhere", 404), ("/page", 400), ("/room", 308)])
async def test_routing_rejections(
    app: TrioQuart, server: RunningServer, path: str, status: int
) -> None:
    @app.get("/page")
    async def page() -> str:
        return "page"

    @app.websocket("/room/")
    async def room() -> None:
        await websocket.accept()

    with pytest.raises(ConnectionRejected) as caught:
        async with open_websocket(server, path):
            pass
    assert caught.value.status_code == status
    if status == 308:
        headers = dict(caught.value.headers)
        assert headers[b"location"] == f"{server.ws_url}/room/".encode()


async def test_plain_http_to_a_websocket_route_is_400(
    app: TrioQuart, server: RunningServer
) -> None:
    add_echo(app)
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/echo")).status_code == 400
        response = await http.post("/echo")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


async def test_close_before_accept_is_403(app: TrioQuart, server: RunningServer) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.close(1000)

    with pytest.raises(ConnectionRejected) as caught:
        async with open_websocket(server, "/ws"):
            pass
    assert caught.value.status_code == 403


async def test_close_code_and_reason_reach_the_client(
    app: TrioQuart, server: RunningServer
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.close(4001, "see you")

    async with open_websocket(server, "/ws") as connection:
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    assert close_code(caught.value) == 4001
    assert close_reason(caught.value) == "see you"


async def test_clean_finish_closes_1000(app: TrioQuart, server: RunningServer) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("only message")

    async with open_websocket(server, "/ws") as connection:
        assert await connection.get_message() == "only message"
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    assert close_code(caught.value) == 1000


async def test_handler_error_closes_1011_and_server_keeps_serving(
    app: TrioQuart, server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/broken")
    async def broken() -> None:
        await websocket.accept()
        raise ValueError("boom")

    add_echo(app)
    async with open_websocket(server, "/broken") as connection:
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    assert close_code(caught.value) == 1011
    assert "ValueError: boom" in caplog.text
    async with open_websocket(server, "/echo") as connection:
        await connection.send_message("still here")
        assert await connection.get_message() == "still here"


async def test_too_large_message_closes_1009(app: TrioQuart, server: RunningServer) -> None:
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 1000
    add_echo(app)
    async with open_websocket(server, "/echo") as connection:
        await connection.send_message("x" * 1000)
        assert await connection.get_message() == "x" * 1000
        await connection.send_message("x" * 1001)
        with pytest.raises(ConnectionClosed) as caught:
            await connection.get_message()
    assert close_code(caught.value) == 1009


async def test_subprotocol_and_accept_headers(app: TrioQuart, server: RunningServer) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        chosen = "v2" if "v2" in websocket.requested_subprotocols else None
        await websocket.accept(headers={"X-Server": "trioquart"}, subprotocol=chosen)
        await websocket.send(",".join(websocket.requested_subprotocols))

    async with open_websocket(server, "/ws", subprotocols=["v1", "v2"]) as connection:
        assert connection.subprotocol == "v2"
        assert (b"x-server", b"trioquart") in connection.handshake_headers
        assert await connection.get_message() == "v1,v2"


async def _wait_for_cancellation(app: TrioQuart) -> tuple[list[Any], trio.Event]:
    seen: list[Any] = []
    cancelled = trio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("ready")
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            seen.append((websocket.close_code, websocket.close_reason))
            cancelled.set()
            raise

    return seen, cancelled


async def test_orderly_close_is_seen_server_side_within_a_second(
    app: TrioQuart, server: RunningServer, server_kind: str
) -> None:
    seen, cancelled = await _wait_for_cancellation(app)
    async with open_websocket(server, "/ws") as connection:
        assert await connection.get_message() == "ready"
        await connection.aclose(4002, "leaving")
    with trio.fail_after(1):
        await cancelled.wait()
    # Hypercorn 0.18 never forwards the client's close code: it reports 1006. trioquart's
    # server (and the in-process test client, see tests/test_websocket.py) forward it.
    assert seen == ([(1006, "")] if server_kind == "hypercorn" else [(4002, "leaving")])


async def test_abrupt_disconnect_is_seen_server_side_within_a_second(
    app: TrioQuart, server: RunningServer, nursery: trio.Nursery
) -> None:
    _seen, cancelled = await _wait_for_cancellation(app)
    stream = await trio.open_tcp_stream(server.host, server.port)
    connection = await wrap_client_stream(nursery, stream, server.host, "/ws")
    assert await connection.get_message() == "ready"
    await stream.aclose()  # no close frame: the TCP connection just goes away
    with trio.fail_after(1):
        await cancelled.wait()


async def test_independent_send_and_receive_with_the_nursery(
    app: TrioQuart, server: RunningServer
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        async def producer() -> None:
            for number in range(3):
                await websocket.send(f"tick {number}")

        websocket.nursery.start_soon(producer)
        reply = await websocket.receive()
        await websocket.send(f"got {reply!s}")

    async with open_websocket(server, "/ws") as connection:
        await connection.send_message("hello")
        received = {await connection.get_message() for _ in range(4)}
    assert received == {"tick 0", "tick 1", "tick 2", "got hello"}
