"""Blinker signals, sent where Quart sends them, to async and plain receivers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import trio
from blinker import NamedSignal

from trioquart import (
    TrioQuart,
    flash,
    render_template_string,
    stream_template_string,
    websocket,
)
from trioquart.signals import (
    before_render_template,
    got_background_exception,
    got_request_exception,
    got_websocket_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
    template_rendered,
    websocket_finished,
    websocket_received,
    websocket_sent,
    websocket_started,
    websocket_tearing_down,
)
from trioquart.testing import TestClient, WebsocketResponseError


@contextmanager
def recording(signal: NamedSignal, log: list[tuple[str, Any, dict[str, Any]]]) -> Iterator[None]:
    """Connect an async receiver that appends (signal name, sender, kwargs) to ``log``."""

    async def receiver(sender: Any, **kwargs: Any) -> None:
        log.append((signal.name, sender, kwargs))

    with signal.connected_to(receiver):
        yield


async def test_request_signals_in_order(app: TrioQuart, client: TestClient) -> None:
    log: list[tuple[str, Any, dict[str, Any]]] = []

    @app.get("/")
    async def index() -> str:
        log.append(("view", None, {}))
        return "hi"

    with (
        recording(request_started, log),
        recording(request_finished, log),
        recording(request_tearing_down, log),
    ):
        response = await client.get("/")
    assert [entry[0] for entry in log] == [
        "request-started",
        "view",
        "request-finished",
        "request-tearing-down",
    ]
    assert all(sender is app for name, sender, _ in log if name != "view")
    assert log[2][2]["response"].status_code == response.status_code == 200
    assert log[3][2] == {"exc": None}


async def test_got_request_exception_for_unhandled_errors_only(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[tuple[str, Any, dict[str, Any]]] = []

    @app.get("/bug")
    async def bug() -> str:
        raise ZeroDivisionError("bug")

    @app.get("/missing")
    async def missing() -> str:
        raise LookupError("missing")

    @app.errorhandler(LookupError)
    async def handled(error: LookupError) -> tuple[str, int]:
        return "handled", 404

    with recording(got_request_exception, log), recording(request_tearing_down, log):
        with caplog.at_level(logging.ERROR):
            assert (await client.get("/bug")).status_code == 500
        assert (await client.get("/missing")).status_code == 404
        assert (await client.get("/nowhere")).status_code == 404
    exceptions = [kwargs["exception"] for name, _, kwargs in log if name == "got-request-exception"]
    assert [type(error) for error in exceptions] == [ZeroDivisionError]
    teardowns = [kwargs["exc"] for name, _, kwargs in log if name == "request-tearing-down"]
    assert [type(error) for error in teardowns] == [type(None), type(None), type(None)]


async def test_plain_receivers_run_in_a_worker_thread(app: TrioQuart, client: TestClient) -> None:
    threads: list[threading.Thread] = []

    @app.get("/")
    async def index() -> str:
        return "hi"

    def receiver(sender: Any, **kwargs: Any) -> None:
        threads.append(threading.current_thread())

    with request_started.connected_to(receiver):
        assert (await client.get("/")).status_code == 200
    assert len(threads) == 1
    assert threads[0] is not threading.current_thread()


async def test_a_receiver_that_raises_is_the_requests_error(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/")
    async def index() -> str:  # pragma: no cover - the signal fails first
        return "hi"

    async def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("receiver failed")

    with request_started.connected_to(broken), caplog.at_level(logging.ERROR):
        assert (await client.get("/")).status_code == 500
    assert "receiver failed" in caplog.text


async def test_a_failing_tearing_down_receiver_is_logged(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/")
    async def index() -> str:
        return "hi"

    async def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("teardown receiver failed")

    with request_tearing_down.connected_to(broken), caplog.at_level(logging.ERROR):
        assert (await client.get("/")).status_code == 200
    assert "teardown receiver failed" in caplog.text


async def test_websocket_signals(app: TrioQuart, client: TestClient) -> None:
    log: list[tuple[str, Any, dict[str, Any]]] = []

    @app.websocket("/ws")
    async def echo() -> None:
        message = await websocket.receive()
        assert isinstance(message, str)
        await websocket.send(f"echo {message}")

    with (
        recording(websocket_started, log),
        recording(websocket_received, log),
        recording(websocket_sent, log),
        recording(websocket_finished, log),
        recording(websocket_tearing_down, log),
    ):
        async with client.websocket("/ws") as ws:
            await ws.send("hi")
            assert await ws.receive() == "echo hi"
    assert [(name, sender) for name, sender, _ in log] == [
        ("websocket-started", app),
        ("websocket-received", "hi"),
        ("websocket-sent", "echo hi"),
        ("websocket-finished", app),
        ("websocket-tearing-down", app),
    ]
    assert log[3][2] == {"response": None}
    assert log[4][2] == {"exc": None}


async def test_websocket_rejection_and_exception_signals(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[tuple[str, Any, dict[str, Any]]] = []

    @app.websocket("/refuse")
    async def refuse() -> tuple[str, int]:
        return "no", 403

    @app.websocket("/bug")
    async def bug() -> None:
        raise ZeroDivisionError("ws bug")

    with recording(websocket_finished, log), recording(got_websocket_exception, log):
        with pytest.raises(WebsocketResponseError):
            async with client.websocket("/refuse"):
                pass  # pragma: no cover - refused
        with pytest.raises(WebsocketResponseError), caplog.at_level(logging.ERROR):
            async with client.websocket("/bug"):
                pass  # pragma: no cover - refused
    [finished] = [kwargs for name, _, kwargs in log if name == "websocket-finished"]
    assert finished["response"].status_code == 403
    [failed] = [kwargs for name, _, kwargs in log if name == "got-websocket-exception"]
    assert isinstance(failed["exception"], ZeroDivisionError)


async def test_websocket_error_after_accept_is_signalled(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[tuple[str, Any, dict[str, Any]]] = []

    @app.websocket("/ws")
    async def bug() -> None:
        await websocket.accept()
        raise ZeroDivisionError("after accept")

    with recording(got_websocket_exception, log), caplog.at_level(logging.ERROR):
        async with client.websocket("/ws") as ws:
            with pytest.raises(Exception, match="1011"):
                await ws.receive()
    assert [type(kwargs["exception"]) for _, _, kwargs in log] == [ZeroDivisionError]
    assert "closing with 1011" in caplog.text


async def test_template_signals(app: TrioQuart, client: TestClient) -> None:
    log: list[tuple[str, Any, dict[str, Any]]] = []

    @app.get("/")
    async def page() -> str:
        return await render_template_string("Hello {{ name }}", name="Ada")

    @app.get("/stream")
    async def streamed() -> Any:
        return await stream_template_string("Hi {{ name }}", name="Bo")

    with recording(before_render_template, log), recording(template_rendered, log):
        assert await (await client.get("/")).get_data(as_text=True) == "Hello Ada"
        assert await (await client.get("/stream")).get_data(as_text=True) == "Hi Bo"
    assert [name for name, _, _ in log] == [
        "before-render-template",
        "template-rendered",
        "before-render-template",
        "template-rendered",
    ]
    assert [kwargs["context"]["name"] for _, _, kwargs in log] == ["Ada", "Ada", "Bo", "Bo"]


async def test_message_flashed(app: TrioQuart, client: TestClient) -> None:
    log: list[tuple[str, Any, dict[str, Any]]] = []
    app.secret_key = "flash-key"

    @app.post("/")
    async def save() -> str:
        await flash("Saved.", "info")
        return "ok"

    with recording(message_flashed, log):
        assert (await client.post("/")).status_code == 200
    assert log == [("message-flashed", app, {"message": "Saved.", "category": "info"})]


async def test_got_background_exception(app: TrioQuart, caplog: pytest.LogCaptureFixture) -> None:
    log: list[tuple[str, Any, dict[str, Any]]] = []
    failed = trio.Event()

    async def job() -> None:
        raise ValueError("job failed")

    async def receiver(sender: Any, **kwargs: Any) -> None:
        log.append(("got-background-exception", sender, kwargs))
        failed.set()

    with got_background_exception.connected_to(receiver), caplog.at_level(logging.ERROR):
        async with app.test_app():
            app.add_background_task(job)
            with trio.fail_after(5):
                await failed.wait()
    [(_, sender, kwargs)] = log
    assert sender is app
    assert isinstance(kwargs["exception"], ValueError)
    assert "Background task" in caplog.text


async def test_a_failing_background_exception_receiver_is_logged(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    async def job() -> None:
        raise ValueError("job failed")

    called = trio.Event()

    async def broken(sender: Any, **kwargs: Any) -> None:
        called.set()
        raise RuntimeError("receiver failed")

    with got_background_exception.connected_to(broken), caplog.at_level(logging.ERROR):
        async with app.test_app():
            app.add_background_task(job)
            with trio.fail_after(5):
                await called.wait()
    # Logged as the receiver raised, before the task could be cancelled.
    assert "A receiver of got_background_exception failed" in caplog.text
