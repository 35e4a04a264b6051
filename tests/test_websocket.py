"""Websocket semantics (docs/websockets.md) through the in-process test client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.lowlevel
import trio.testing
from werkzeug.exceptions import BadRequest

from trioquart import Response, TrioQuart, abort, g, websocket
from trioquart.testing import TestClient, WebsocketDisconnectError, WebsocketResponseError

from .conftest import wait_until_cancelled


@pytest.fixture(params=["no lifespan", "lifespan"])
async def client(request: pytest.FixtureRequest, app: TrioQuart) -> AsyncIterator[TestClient]:
    """Each test runs twice: without the lifespan (the connection runs a disconnect watch
    service of its own) and with it (the app's one service; see asgi/disconnect_watch.py)."""
    if request.param == "no lifespan":
        yield app.test_client()
    else:
        async with app.test_app() as test_app:
            yield test_app.test_client()


async def rejected(client: TestClient, path: str) -> Response:
    """The response that refused a websocket handshake (entering the block raises it)."""
    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket(path):
            pass
    return caught.value.response


def add_echo(app: TrioQuart, rule: str = "/ws") -> None:
    @app.websocket(rule)
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())


# Routing ----------------------------------------------------------------------------------


async def test_text_and_bytes_keep_their_type(app: TrioQuart, client: TestClient) -> None:
    add_echo(app)
    async with client.websocket("/ws") as ws:
        messages: list[str | bytes] = ["hi", b"\x00\xff", "", b"", "é" * 3]
        for message in messages:
            await ws.send(message)
            received = await ws.receive()
            assert received == message
            assert type(received) is type(message)


async def test_unknown_path_is_rejected_with_404(client: TestClient) -> None:
    rejection = await rejected(client, "/nowhere")
    assert rejection.status_code == 404


async def test_websocket_to_http_only_route_is_400(app: TrioQuart, client: TestClient) -> None:
    @app.get("/page")
    async def page() -> str:
        return "page"

    rejection = await rejected(client, "/page")
    assert rejection.status_code == 400


async def test_http_to_websocket_only_route(app: TrioQuart, client: TestClient) -> None:
    add_echo(app)
    assert (await client.get("/ws")).status_code == 400
    assert (await client.head("/ws")).status_code == 400
    response = await client.post("/ws")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


async def test_missing_trailing_slash_redirects_to_ws_url(
    app: TrioQuart, client: TestClient
) -> None:
    add_echo(app, "/room/")
    rejection = await rejected(client, "/room")
    response = rejection
    assert response.status_code == 308
    assert response.headers["Location"] == "ws://localhost/room/"


async def test_mixed_routes_on_one_path(app: TrioQuart, client: TestClient) -> None:
    @app.get("/chat")
    async def page() -> str:
        return "the page"

    @app.websocket("/chat", endpoint="chat_socket")
    async def socket() -> None:
        await websocket.send("the socket")

    assert await (await client.get("/chat")).get_data(as_text=True) == "the page"
    async with client.websocket("/chat") as ws:
        assert await ws.receive() == "the socket"


async def test_converters_and_request_attributes(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/rooms/<int:room>")
    async def room(room: int) -> None:
        await websocket.send_json(
            {
                "room": room,
                "view_args": websocket.view_args,
                "path": websocket.path,
                "full_path": websocket.full_path,
                "args": websocket.args.to_dict(),
                "header": websocket.headers.get("X-Token"),
                "cookie": websocket.cookies.get("session"),
                "scheme": websocket.scheme,
                "host": websocket.host,
                "remote_addr": websocket.remote_addr,
                "user": websocket.authorization.username if websocket.authorization else None,
            }
        )

    client.set_cookie("localhost", "session", "abc")
    headers = {"X-Token": "t", "Authorization": "Basic dXNlcjpwdw=="}
    async with client.websocket("/rooms/7?x=1", headers=headers) as ws:
        data = await ws.receive_json()
    assert data == {
        "room": 7,
        "view_args": {"room": 7},
        "path": "/rooms/7",
        "full_path": "/rooms/7?x=1",
        "args": {"x": "1"},
        "header": "t",
        "cookie": "abc",
        "scheme": "ws",
        "host": "localhost",
        "remote_addr": "127.0.0.1",
        "user": "user",
    }


# Sending and receiving ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, None, {"a": 1}, ["x"], 1.5])
async def test_send_of_a_wrong_type_is_a_type_error_and_sends_nothing(
    app: TrioQuart, client: TestClient, value: Any
) -> None:
    errors: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            await websocket.send(value)
        except TypeError as error:
            errors.append(str(error))
        await websocket.send("after")

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "after"
    assert errors
    assert "str or bytes" in errors[0]


async def test_bytearray_and_memoryview_are_sent_as_bytes(
    app: TrioQuart, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send(bytearray(b"ab"))
        await websocket.send(memoryview(b"cd"))

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == b"ab"
        assert await ws.receive() == b"cd"


async def test_json_helpers(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        data = await websocket.receive_json()
        await websocket.send_json({"got": data})

    async with client.websocket("/ws") as ws:
        await ws.send_json([1, "two"])
        assert await ws.receive_json() == {"got": [1, "two"]}


async def test_send_json_takes_jsonifys_arguments(app: TrioQuart, client: TestClient) -> None:
    """As Quart's: one value as itself, several as a list, keywords as an object, and the
    text is the app's ``json.dumps`` (sorted keys, ``json.dumps``'s separators)."""

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send_json({"b": 1, "a": "é"})
        await websocket.send_json(1, "two")
        await websocket.send_json(b=2, a=1)
        await websocket.send_json()
        with pytest.raises(
            TypeError,
            match=r"^send_json\(\) takes positional arguments or keyword arguments, not both$",
        ):
            await websocket.send_json(1, a=2)
        with pytest.raises(TypeError, match="is not JSON serializable"):
            await websocket.send_json(object())
        await websocket.send_json(None)  # the connection is still usable

    async with client.websocket("/ws") as ws:
        received = [await ws.receive() for _ in range(5)]
    assert received == ['{"a": "\\u00e9", "b": 1}', '[1, "two"]', '{"a": 1, "b": 2}', "{}", "null"]


async def test_invalid_json_is_a_bad_request_the_handler_can_catch(
    app: TrioQuart, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        try:
            await websocket.receive_json()
        except BadRequest as error:
            await websocket.send(f"bad: {error.description}")

    async with client.websocket("/ws") as ws:
        await ws.send("{not json")
        reply = await ws.receive()
    assert isinstance(reply, str)
    assert reply.startswith("bad: The websocket message is not valid JSON")


# Accepting ---------------------------------------------------------------------------------


async def test_explicit_accept_with_subprotocol_and_headers(
    app: TrioQuart, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        assert websocket.requested_subprotocols == ["chat.v2", "chat.v1"]
        await websocket.accept(headers={"X-Hello": "there"}, subprotocol="chat.v1")
        await websocket.accept()  # a second call is a no-op
        await websocket.send(websocket.subprotocol or "")

    async with client.websocket("/ws", subprotocols=["chat.v2", "chat.v1"]) as ws:
        assert await ws.receive() == "chat.v1"
        assert ws.subprotocol == "chat.v1"
        assert ws.accept_headers["X-Hello"] == "there"


async def test_accept_with_an_unrequested_subprotocol_is_a_value_error(
    app: TrioQuart, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        with pytest.raises(ValueError, match="requested"):
            await websocket.accept(subprotocol="nope")
        await websocket.send("still connecting, then accepted")

    async with client.websocket("/ws", subprotocols=["chat"]) as ws:
        assert await ws.receive() == "still connecting, then accepted"
        assert ws.subprotocol is None


async def test_two_children_accept_only_once(app: TrioQuart, client: TestClient) -> None:
    accepts: list[dict[str, Any]] = []

    @app.websocket("/ws")
    async def handler() -> None:
        websocket.nursery.start_soon(websocket.send, "a")
        websocket.nursery.start_soon(websocket.send, "b")

    original = TrioQuart.__call__

    async def counting_app(scope: Any, receive: Any, send: Any) -> None:
        async def spy(message: Any) -> None:
            if message["type"] == "websocket.accept":
                accepts.append(dict(message))
            await send(message)

        await original(app, scope, receive, spy)

    async with TestClient(counting_app).websocket("/ws") as ws:
        assert {await ws.receive(), await ws.receive()} == {"a", "b"}
    assert len(accepts) == 1


# Rejecting ---------------------------------------------------------------------------------


async def test_returning_a_response_before_accept_rejects(
    app: TrioQuart, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def handler() -> Any:
        return "Invalid password", 403, {"X-Reason": "password"}

    rejection = await rejected(client, "/ws")
    response = rejection
    assert response.status_code == 403
    assert response.headers["X-Reason"] == "password"
    assert await response.get_data() == b"Invalid password"


async def test_entering_raises_the_rejection_before_the_block_runs(
    app: TrioQuart, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def handler() -> Any:
        return "go away", 401

    ran: list[bool] = []
    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket("/ws"):
            ran.append(True)
    assert caught.value.response.status_code == 401
    assert ran == []


async def test_abort_rejects(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        abort(403)

    rejection = await rejected(client, "/ws")
    assert rejection.status_code == 403


async def test_before_websocket_hook_can_reject(app: TrioQuart, client: TestClient) -> None:
    add_echo(app)

    @app.before_websocket
    async def check_token() -> Any:
        if websocket.args.get("token") != "secret":
            return "bad token", 401
        return None

    rejection = await rejected(client, "/ws")
    assert rejection.status_code == 401
    assert await rejection.get_data(as_text=True) == "bad token"
    async with client.websocket("/ws?token=secret") as ws:
        await ws.send("in")
        assert await ws.receive() == "in"


async def test_close_before_accept_is_http_403(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.close(1000)

    rejection = await rejected(client, "/ws")
    assert rejection.status_code == 403


async def test_handler_that_never_accepts_gets_500_and_a_log(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def lazy() -> None:
        return None

    rejection = await rejected(client, "/ws")
    assert rejection.status_code == 500
    assert "finished without accepting" in caplog.text


async def test_error_before_accept_is_a_500_rejection(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def broken() -> None:
        raise KeyError("missing")

    rejection = await rejected(client, "/ws")
    assert rejection.status_code == 500
    assert "KeyError" in caplog.text


async def test_error_handler_answers_before_accept(app: TrioQuart, client: TestClient) -> None:
    class ForbiddenError(Exception):
        pass

    @app.errorhandler(ForbiddenError)
    async def forbidden(error: ForbiddenError) -> Any:
        return "not for you", 403

    @app.websocket("/ws")
    async def handler() -> None:
        raise ForbiddenError

    rejection = await rejected(client, "/ws")
    assert rejection.status_code == 403
    assert await rejection.get_data() == b"not for you"


async def test_rejection_without_the_response_extension_is_a_close(app: TrioQuart) -> None:
    @app.websocket("/ws")
    async def handler() -> Any:
        return "no", 401

    sent: list[Any] = []
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": "/ws",
        "raw_path": b"/ws",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
        "subprotocols": [],
    }
    messages: list[dict[str, Any]] = [{"type": "websocket.connect"}]

    async def receive() -> Any:
        if messages:
            return messages.pop()
        await trio.sleep_forever()

    async def send(message: Any) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":  # as a server reports the end of it
            messages.append({"type": "websocket.disconnect", "code": 1000})

    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent == [{"type": "websocket.close", "code": 1000}]


# Closing -----------------------------------------------------------------------------------


async def test_finishing_after_accept_closes_with_1000(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("bye")

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "bye"
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
        assert caught.value.code == 1000
        with pytest.raises(WebsocketDisconnectError):
            await ws.receive()  # and it keeps saying so


async def test_explicit_close_code_and_reason(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.close(4000, "done here")
        await websocket.close(4001)  # a second close is a no-op

    async with client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert (caught.value.code, caught.value.reason) == (4000, "done here")


async def test_send_after_close_is_an_error(app: TrioQuart, client: TestClient) -> None:
    from trioquart import WebsocketClosedError

    outcome: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.close()
        try:
            await websocket.send("late")
        except WebsocketClosedError as error:
            outcome.append(str(error))

    async with client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError):
            await ws.receive()
    assert outcome == ["Cannot send: the websocket is closed"]


async def test_error_after_accept_closes_with_1011_and_logs(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("first")
        raise ValueError("handler bug")

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "first"
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1011
    assert "ValueError: handler bug" in caplog.text
    # The app keeps serving.
    add_echo(app, "/echo")
    async with client.websocket("/echo") as ws:
        await ws.send("again")
        assert await ws.receive() == "again"


async def test_error_in_a_child_closes_with_1011(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def child() -> None:
        await websocket.receive()
        raise RuntimeError("child bug")

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        websocket.nursery.start_soon(child)
        await trio.sleep_forever()

    async with client.websocket("/ws") as ws:
        await ws.send("go")
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1011
    assert "RuntimeError: child bug" in caplog.text


async def test_several_errors_are_logged_as_a_group(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    go = trio.Event()

    async def fail(message: str) -> None:
        await go.wait()
        raise ValueError(message)  # both are woken by the same event: both raise

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        websocket.nursery.start_soon(fail, "one")
        websocket.nursery.start_soon(fail, "two")
        await trio.testing.wait_all_tasks_blocked()
        go.set()
        await trio.sleep_forever()

    async with client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1011
    assert "ExceptionGroup" in caplog.text
    assert "ValueError: one" in caplog.text
    assert "ValueError: two" in caplog.text


async def test_value_returned_after_accept_is_logged_and_closes_1000(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def handler() -> str:
        await websocket.accept()
        return "too late"

    async with client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1000
    assert "returned a value after accepting" in caplog.text


# The connection nursery and disconnects -----------------------------------------------------


async def test_connection_lives_while_children_run(app: TrioQuart, client: TestClient) -> None:
    async def ticker(count: int) -> None:
        for number in range(count):
            await websocket.send(str(number))

    @app.websocket("/ws")
    async def handler() -> None:
        websocket.nursery.start_soon(ticker, 3)
        # Returning here does not end the connection: the child still runs.

    async with client.websocket("/ws") as ws:
        assert [await ws.receive() for _ in range(3)] == ["0", "1", "2"]
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
        assert caught.value.code == 1000


async def test_children_see_the_websocket_context(app: TrioQuart, client: TestClient) -> None:
    async def child() -> None:
        # No copy_current_websocket_context needed: trio copies the context into children.
        await websocket.send(f"{websocket.path} {g.user}")

    @app.websocket("/ws")
    async def handler() -> None:
        g.user = "ada"
        websocket.nursery.start_soon(child)

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "/ws ada"


@pytest.mark.parametrize("waiting_on", ["receive", "sleep", "event", "child"])
async def test_client_disconnect_cancels_wherever_the_handler_waits(
    app: TrioQuart, client: TestClient, waiting_on: str
) -> None:
    cancelled: list[str] = []
    finished = trio.Event()
    close_info: list[tuple[int | None, str]] = []

    async def wait() -> None:
        try:
            if waiting_on == "receive":
                await websocket.receive()
            elif waiting_on == "sleep":
                await trio.sleep(3600)
            else:
                await trio.Event().wait()
        except trio.Cancelled:
            cancelled.append(waiting_on)
            close_info.append((websocket.close_code, websocket.close_reason))
            raise

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        try:
            if waiting_on == "child":
                websocket.nursery.start_soon(wait)
                await trio.sleep_forever()
            else:
                await wait()
        finally:
            finished.set()

    async with client.websocket("/ws") as ws:
        await trio.testing.wait_all_tasks_blocked()
        await ws.close(4321, "bye now")
        with trio.fail_after(5):
            await finished.wait()
    assert cancelled == [waiting_on]
    assert close_info == [(4321, "bye now")]


async def test_leaving_the_block_disconnects(app: TrioQuart, client: TestClient) -> None:
    seen: list[int | None] = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            while True:
                await websocket.send(await websocket.receive())
        except trio.Cancelled:
            seen.append(websocket.close_code)
            raise

    async with client.websocket("/ws") as ws:
        await ws.send("x")
        assert await ws.receive() == "x"
    assert seen == [1000]


async def test_teardown_runs_shielded_after_a_disconnect(
    app: TrioQuart, client: TestClient
) -> None:
    log: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await trio.sleep_forever()

    @app.teardown_websocket
    async def teardown(error: BaseException | None) -> None:
        await trio.sleep(0.001)  # awaiting works although the connection was cancelled
        log.append(f"teardown {websocket.close_code}")

    @app.after_websocket
    async def after(response: Any) -> Any:
        log.append("after")  # not after a disconnect: the handler did not complete
        return response

    async with client.websocket("/ws") as ws:
        await trio.testing.wait_all_tasks_blocked()
        await ws.close(1001)
    assert log == ["teardown 1001"]


async def test_hooks_order_on_a_clean_finish(app: TrioQuart, client: TestClient) -> None:
    log: list[str] = []

    @app.before_websocket
    async def before() -> None:
        log.append("before")

    @app.websocket("/ws")
    async def handler() -> None:
        log.append("handler")
        await websocket.send("x")

    @app.after_websocket
    async def after(response: Any) -> Any:
        log.append(f"after {response}")
        return response

    @app.teardown_websocket
    async def teardown(error: BaseException | None) -> None:
        log.append(f"teardown {error}")

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "x"
    assert log == ["before", "handler", "after None", "teardown None"]


async def test_teardown_gets_the_error(app: TrioQuart, client: TestClient) -> None:
    errors: list[BaseException | None] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        raise LookupError("bad")

    @app.teardown_websocket
    async def teardown(error: BaseException | None) -> None:
        errors.append(error)

    async with client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError):
            await ws.receive()
    assert len(errors) == 1
    assert isinstance(errors[0], LookupError)  # a lone error as itself, not in a group


# Limits ------------------------------------------------------------------------------------


async def test_too_large_message_closes_with_1009(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 10
    cancelled = trio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            while True:
                await websocket.send(await websocket.receive())
        except trio.Cancelled:
            cancelled.set()
            raise

    async with client.websocket("/ws") as ws:
        await ws.send("small")
        assert await ws.receive() == "small"
        await ws.send(b"x" * 11)
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1009
    assert cancelled.is_set()
    assert "MAX_WEBSOCKET_MESSAGE_SIZE" in caplog.text


async def test_full_queue_applies_backpressure_then_closes_with_1008(
    app: TrioQuart, client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["WEBSOCKET_MAX_QUEUE"] = 2
    app.config["WEBSOCKET_QUEUE_TIMEOUT"] = 10
    cancelled_at: list[float] = []

    @app.websocket("/ws")
    async def never_reads() -> None:
        await websocket.accept()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            cancelled_at.append(trio.current_time())
            raise

    async with client.websocket("/ws") as ws:
        await trio.testing.wait_all_tasks_blocked()
        started = trio.current_time()
        for number in range(4):
            await ws.send(str(number))
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1008
    assert cancelled_at
    assert cancelled_at[0] - started == pytest.approx(10, abs=0.5)


async def test_slow_reader_loses_nothing(
    app: TrioQuart, client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    app.config["WEBSOCKET_MAX_QUEUE"] = 1

    @app.websocket("/ws")
    async def slow() -> None:
        received = []
        for _ in range(20):
            received.append(await websocket.receive())
            await trio.sleep(1)  # well within WEBSOCKET_QUEUE_TIMEOUT per message
        await websocket.send_json(received)

    async with client.websocket("/ws") as ws:
        for number in range(20):
            await ws.send(str(number))
        assert await ws.receive_json() == [str(number) for number in range(20)]


async def test_messages_before_accept_are_not_lost(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await trio.lowlevel.checkpoint()
        await websocket.send(await websocket.receive())

    async with client.websocket("/ws") as ws:
        await ws.send("early")
        assert await ws.receive() == "early"


async def test_websocket_global_outside_a_connection() -> None:
    with pytest.raises(RuntimeError, match="websocket context"):
        websocket.path  # noqa: B018


async def test_logging_names_the_endpoint(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="trioquart")

    @app.websocket("/ws", endpoint="named_socket")
    async def handler() -> None:
        await websocket.accept()
        raise ValueError

    async with client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError):
            await ws.receive()
    assert "'named_socket'" in caplog.text


async def test_accepted_stays_true_after_the_client_leaves(
    app: TrioQuart, client: TestClient
) -> None:
    seen: list[tuple[str, bool]] = []

    @app.websocket("/ws")
    async def handler() -> None:
        seen.append(("before", websocket.accepted))
        await websocket.accept()
        seen.append(("after accept", websocket.accepted))
        try:
            await websocket.receive()
        except trio.Cancelled:
            seen.append(("after the client left", websocket.accepted))
            raise

    async with client.websocket("/ws"):
        await trio.testing.wait_all_tasks_blocked()
    assert seen == [("before", False), ("after accept", True), ("after the client left", True)]


async def test_an_error_in_the_test_body_stops_the_app_and_is_raised_as_itself(
    app: TrioQuart, client: TestClient
) -> None:
    cancelled: list[bool] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            cancelled.append(True)
            raise

    with pytest.raises(LookupError, match="from the test"):
        async with client.websocket("/ws"):
            raise LookupError("from the test")
    assert cancelled == [True]


async def test_close_all_cancels_a_connection_not_yet_accepted_without_sending_a_close(
    app: TrioQuart,
) -> None:
    """At shutdown a handshake still pending is cancelled; a close frame (with no code) would
    be a protocol error, so nothing is sent for it."""
    entered = trio.Event()
    record: list[str] = []

    @app.websocket("/ws")
    async def slow_to_accept() -> None:
        await wait_until_cancelled(record, entered)

    sent: list[dict[str, object]] = []
    to_app, from_client = trio.open_memory_channel[dict[str, object]](10)
    to_app.send_nowait({"type": "websocket.connect"})

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope: Any = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "path": "/ws",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
    }
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(app, scope, from_client.receive, send)
            await entered.wait()
            assert len(app.connected_websockets) == 1
            await app.connected_websockets.close_all(1001, "server shutting down")
    assert record == ["cancelled"]
    assert [message["type"] for message in sent] == []
    assert len(app.connected_websockets) == 0
