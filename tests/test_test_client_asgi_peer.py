"""The test client as a strict ASGI peer: messages a server would refuse from an app, and how
a connection ends when the app or the test fails or is cancelled.

Most apps here are raw ASGI callables: a ``TrioQuart`` app never sends these messages.
"""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing

from trioquart import TrioQuart, websocket
from trioquart.testing import TestClient, TestHTTPConnection, WebsocketResponseError

from .conftest import wait_until_cancelled

Message = dict[str, Any]


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions in ``error``, a group or not."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def http_app(*messages: Message) -> Any:
    """An ASGI app that sends ``messages`` to any HTTP request."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in messages:
            await send(message)

    return app


START: Message = {"type": "http.response.start", "status": 200, "headers": []}
BODY: Message = {"type": "http.response.body", "body": b"done", "more_body": False}


@pytest.mark.parametrize(
    ("messages", "complaint"),
    [
        ([START, START], "http.response.start sent twice"),
        ([BODY], "http.response.body sent before http.response.start"),
        ([START, BODY, BODY], "http.response.body sent after the response was complete"),
        ([START, {"type": "websocket.accept"}], "Unexpected ASGI message for an HTTP request"),
    ],
    ids=["start-twice", "body-first", "body-after-end", "not-http"],
)
async def test_http_messages_out_of_order_are_runtime_errors(
    messages: list[Message], complaint: str
) -> None:
    with pytest.raises(RuntimeError, match=complaint):
        await TestClient(http_app(*messages)).get("/")


async def test_http_receive_after_the_disconnect_is_another_disconnect() -> None:
    received: list[Message] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        received.append(await receive())
        received.append(await receive())

    async with TestClient(app).request("/") as connection:
        await connection.disconnect()
        with trio.fail_after(5):
            await connection.app_finished.wait()
    assert received == [{"type": "http.disconnect"}, {"type": "http.disconnect"}]


async def test_http_errors_of_the_test_and_the_app_come_out_together() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        try:
            await trio.sleep_forever()
        finally:
            raise ValueError("the app failed while cancelled")

    connections: list[TestHTTPConnection] = []

    async def failing_test() -> None:
        async with TestClient(app).request("/") as connection:
            connections.append(connection)
            await trio.testing.wait_all_tasks_blocked()
            raise KeyError("the test failed")

    with pytest.raises(BaseExceptionGroup) as caught:
        await failing_test()
    assert sorted(type(error).__name__ for error in leaves(caught.value)) == [
        "KeyError",
        "ValueError",
    ]
    assert connections[0].app_finished.is_set()


def websocket_app(*messages: Message) -> Any:
    """An ASGI app that sends ``messages`` to a websocket connection, then waits for the
    client to leave."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        for message in messages:
            await send(message)
        while (await receive())["type"] != "websocket.disconnect":
            pass

    return app


ACCEPT: Message = {"type": "websocket.accept"}


@pytest.mark.parametrize(
    ("messages", "complaint"),
    [
        ([{"type": "websocket.send", "text": "hi"}], "before accepting"),
        ([{"type": "websocket.http.response.body", "body": b""}], "before its start message"),
        ([ACCEPT, ACCEPT], "'websocket.accept' after the handshake was answered"),
        ([ACCEPT, {"type": "http.response.start"}], "Unexpected ASGI message for a websocket"),
    ],
    ids=["send-first", "body-first", "accept-twice", "not-websocket"],
)
async def test_websocket_messages_out_of_order_are_runtime_errors(
    messages: list[Message], complaint: str
) -> None:
    # The error ends the app; before an accept the client also sees the 500 a server sends
    # for a handshake left unanswered, so both may come out, in a group.
    with pytest.raises(BaseException) as caught:  # noqa: PT011 - checked just below
        async with TestClient(websocket_app(*messages)).websocket("/ws") as connection:
            await connection.send("hello")
    errors = leaves(caught.value)
    assert any(isinstance(error, RuntimeError) and complaint in str(error) for error in errors), (
        errors
    )


async def test_websocket_close_before_accept_is_a_403_rejection() -> None:
    app = websocket_app({"type": "websocket.close", "code": 1000})
    with pytest.raises(WebsocketResponseError) as caught:
        async with TestClient(app).websocket("/ws"):
            pass
    assert caught.value.response.status_code == 403


async def test_websocket_handshake_the_app_never_answered_is_a_500() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    with pytest.raises(WebsocketResponseError) as caught:
        async with TestClient(app).websocket("/ws"):
            pass
    assert caught.value.response.status_code == 500


async def test_websocket_send_takes_only_text_or_bytes(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def accept_only() -> None:
        await websocket.accept()
        await trio.sleep_forever()

    async with client.websocket("/ws") as connection:
        with pytest.raises(TypeError, match="send\\(\\) takes str or bytes, not int"):
            await connection.send(42)  # type: ignore[arg-type]


async def test_websocket_test_cancelled_during_the_handshake_stops_the_app(
    app: TrioQuart, client: TestClient
) -> None:
    record: list[str] = []
    entered = trio.Event()

    @app.websocket("/ws")
    async def never_answers() -> None:
        await wait_until_cancelled(record, entered)

    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:

            async def cancel_once_entered() -> None:
                await entered.wait()
                scope.cancel()

            nursery.start_soon(cancel_once_entered)
            async with client.websocket("/ws"):
                raise AssertionError("the handshake was never answered")
    assert scope.cancelled_caught
    assert record == ["cancelled"]
