"""The pipeline's steps are methods of the app, so a subclass can override one (as in Quart)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from trioquart import Request, Response, TrioQuart, Websocket, websocket
from trioquart.pipeline import Pipeline


class TimingApp(TrioQuart):
    """Adds a header to every response and wraps every view's return value."""

    async def dispatch_request(self, request: Request) -> Any:
        rv = await super().dispatch_request(request)
        return f"[{rv}]" if isinstance(rv, str) else rv

    async def process_response(self, response: Response, request: Request) -> Response:
        response = await super().process_response(response, request)
        response.headers["X-Served-By"] = "TimingApp"
        return response

    async def dispatch_websocket(self, websocket: Websocket) -> Any:
        await websocket.send("overridden")
        return await super().dispatch_websocket(websocket)


async def test_pipeline_steps_can_be_overridden_by_a_subclass() -> None:
    app = TimingApp(__name__)

    @app.get("/")
    async def index() -> str:
        return "hello"

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    client = app.test_client()
    response = await client.get("/")
    assert await response.get_data(as_text=True) == "[hello]"
    assert response.headers["X-Served-By"] == "TimingApp"
    missing = await client.get("/missing")  # error responses pass through process_response too
    assert missing.status_code == 404
    assert missing.headers["X-Served-By"] == "TimingApp"
    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "overridden"
        await ws.send("hi")
        assert await ws.receive() == "hi"


async def test_pipeline_handle_exception_override_sees_view_errors() -> None:
    seen: list[str] = []

    class Recording(TrioQuart):
        async def handle_exception(self, error: Exception, connection: Any) -> Response:
            seen.append(type(error).__name__)
            return await super().handle_exception(error, connection)

    recording = Recording(__name__)

    @recording.get("/")
    async def broken() -> str:
        raise KeyError("x")

    response = await recording.test_client().get("/")
    assert response.status_code == 500
    assert seen == ["KeyError"]


@pytest.mark.parametrize(
    "name",
    [
        name
        for name, member in vars(Pipeline).items()
        if inspect.isfunction(member) and not name.startswith("_") and name != "match_request"
    ],
)
def test_pipeline_every_step_that_waits_is_a_coroutine_function(name: str) -> None:
    assert inspect.iscoroutinefunction(getattr(TrioQuart, name))


@pytest.mark.parametrize(
    "method",
    [
        Websocket.receive,
        Websocket.send,
        Websocket.receive_json,
        Websocket.send_json,
        Websocket.accept,
        Websocket.close,
        Websocket.send_close,
        Websocket.send_rejection,
        Response.get_data,
        Response.get_json,
    ],
)
def test_public_methods_that_wait_are_coroutine_functions(method: Any) -> None:
    assert inspect.iscoroutinefunction(method)
