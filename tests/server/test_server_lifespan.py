"""The ASGI lifespan as the built-in server runs it: startup, shutdown, failure, no support."""

from __future__ import annotations

import logging

import pytest
import trio
import trio.testing

from trioquart.server import ServerConfig, serve
from trioquart.server.lifespan import LifespanStartupError
from trioquart.server.types import Receive, Scope, Send

from .conftest import RawClient, Running, get, respond, served


class LifespanApp:
    """An app whose lifespan answers with ``answers`` (one per event) and records what it got.

    Its requests answer with the keys of their scope's state, after adding one of their own.
    """

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.events: list[str] = []
        self.request_states: list[dict[str, object]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            scope["state"]["started"] = True
            for answer in self.answers:
                message = await receive()
                self.events.append(message["type"])
                if answer == "raise":
                    raise ValueError("lifespan broke")
                if answer == "return":
                    return
                if answer != "hang":
                    await send({"type": answer, "message": "why"})
                else:
                    await trio.sleep_forever()
        else:
            self.request_states.append(dict(scope["state"]))
            scope["state"]["mine"] = True
            await respond(send)


async def ask(running: Running, times: int = 1) -> None:
    """Make ``times`` requests on one connection."""
    async with RawClient.connect(running) as client:
        for _ in range(times):
            await client.send(get())
            assert (await client.response()).status == 200


async def test_startup_and_shutdown(nursery: trio.Nursery) -> None:
    app = LifespanApp("lifespan.startup.complete", "lifespan.shutdown.complete")
    async with served(nursery, app) as running:
        assert app.events == ["lifespan.startup"]
        await ask(running, 2)
    assert app.events == ["lifespan.startup", "lifespan.shutdown"]
    assert app.request_states == [{"started": True}, {"started": True}]


async def test_startup_failure_stops_the_server(caplog: pytest.LogCaptureFixture) -> None:
    app = LifespanApp("lifespan.startup.failed")
    config = ServerConfig(host="127.0.0.1", port=0)
    with pytest.raises(LifespanStartupError, match="the app's startup failed: why"):
        await serve(app, config)
    assert app.events == ["lifespan.startup"]


@pytest.mark.parametrize("answer", ["raise", "return"])
async def test_unsupported_lifespan(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture, answer: str
) -> None:
    caplog.set_level(logging.INFO, logger="trioquart.server")
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            if answer == "raise":
                raise ValueError("no lifespan here")
            return
        scopes.append(scope)
        await respond(send)

    async with served(nursery, app) as running:
        await ask(running)
    assert "state" not in scopes[0]
    assert f"ASGI lifespan not supported: the app {answer}" in caplog.text


async def test_wrong_lifespan_message(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trioquart.server")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await send({"type": "http.response.start", "status": 200})
        await respond(send)

    async with served(nursery, app) as running:
        await ask(running)
    assert "unexpected ASGI lifespan message 'http.response.start'" in caplog.text


async def test_shutdown_failure_is_logged(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    app = LifespanApp("lifespan.startup.complete", "lifespan.shutdown.failed")
    async with served(nursery, app):
        pass
    assert "the app's shutdown failed: why" in caplog.text


async def test_error_in_shutdown_is_logged(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    app = LifespanApp("lifespan.startup.complete", "raise")
    async with served(nursery, app):
        pass
    assert app.events == ["lifespan.startup", "lifespan.shutdown"]
    assert "ASGI lifespan error" in caplog.text
    assert "ValueError: lifespan broke" in caplog.text


async def test_lifespan_ended_after_startup(nursery: trio.Nursery) -> None:
    app = LifespanApp("lifespan.startup.complete")
    async with served(nursery, app) as running:
        await ask(running)
    assert app.events == ["lifespan.startup"]


async def test_shutdown_is_bounded(nursery: trio.Nursery, autojump_clock: trio.abc.Clock) -> None:
    app = LifespanApp("lifespan.startup.complete", "hang")
    async with served(nursery, app, graceful_timeout=4) as running:
        await ask(running)
        start = trio.current_time()
        running.stop.set()
        await running.finished.wait()
        assert trio.current_time() - start == pytest.approx(4, abs=0.1)
    assert app.events == ["lifespan.startup", "lifespan.shutdown"]
