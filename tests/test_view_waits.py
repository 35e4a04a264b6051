"""Views that wait only for the request body: how they are recognised, and how they are run.

Such a view (without request hooks) runs outside the request's cancel scope once a small body
has been read ahead of it. Everything a handler can observe must stay as on the ordinary path:
the body, the 413s, the errors, and ``trio.Cancelled`` when the client leaves mid-body.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

from trioquart import TrioQuart, request
from trioquart import request as incoming
from trioquart import view_waits as view_waits_module
from trioquart.request_inbox import READ_AHEAD_LIMIT
from trioquart.testing import TestClient
from trioquart.view_waits import Waits, reads_body_itself, view_waits
from trioquart.wrappers.request import Request


async def _get_data() -> Any:
    return await request.get_data(as_text=False)


async def _get_json_in_a_dict() -> dict[str, Any]:
    return {"seen": await request.get_json()}


async def _form_and_files() -> str:
    form = await request.form
    files = await request.files
    return f"{len(form)} {len(files)}"


async def _whole_body() -> Any:
    return await request.body


async def _aliased_proxy() -> Any:
    return await incoming.get_data()


async def _local_argument(as_text: bool) -> Any:
    for _ in range(2):
        data = await request.get_data(as_text=as_text)
    return data


async def _two_local_arguments(force: bool, silent: bool) -> Any:
    return await request.get_json(force=force, silent=silent)


async def _rebinds_the_proxy() -> Any:
    global request
    request = look_alike  # type: ignore[assignment]
    return await request.get_data()


async def _inside_try() -> Any:
    try:
        return await request.get_data()
    except ValueError:
        return b""


async def _body_then_sleep() -> Any:
    data = await request.get_data()
    await trio.lowlevel.checkpoint()
    return data


async def _either(fast: bool) -> Any:
    return await (trio.sleep(1) if fast else request.get_data())  # noqa: ASYNC105


async def _awaited_argument() -> Any:
    return await request.get_data(as_text=await _returns_false())


async def _returns_false() -> bool:
    return False


async def _passes_the_reader(call: Any) -> Any:
    return await call(request.get_data)


async def _reader_as_argument() -> Any:
    return await request.get_data(request.get_json)  # type: ignore[call-arg, arg-type]


async def _iterates_the_body() -> int:
    return sum([len(chunk) async for chunk in request.body])


async def _bound_reader() -> Any:
    reader = request.get_data
    return await reader()


class _LookAlike:
    async def get_data(self) -> Any:
        return b""


look_alike = _LookAlike()


async def _look_alike_reader() -> Any:
    return await look_alike.get_data()


async def _no_wait() -> str:
    return "x"


async def _returns_a_generator() -> AsyncIterator[bytes]:
    async def generate() -> AsyncIterator[bytes]:
        await trio.lowlevel.checkpoint()
        yield b"x"

    return generate()


async def _awaits() -> None:
    await trio.lowlevel.checkpoint()


async def _async_for(items: Any) -> None:
    async for _ in items:
        pass


async def _async_with(manager: Any) -> None:
    async with manager:
        pass


async def _async_comprehension(items: Any) -> list[Any]:
    return [item async for item in items]


def _sync() -> str:
    return "x"


class _CallableObject:
    async def __call__(self) -> str:
        return "x"


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (_get_data, Waits.FOR_BODY),
        (_get_json_in_a_dict, Waits.FOR_BODY),
        (_form_and_files, Waits.FOR_BODY),
        (_whole_body, Waits.FOR_BODY),
        (_aliased_proxy, Waits.FOR_BODY),
        (_local_argument, Waits.FOR_BODY),
        (_inside_try, Waits.FOR_BODY),
        (_two_local_arguments, Waits.FOR_BODY),
        (_rebinds_the_proxy, Waits.MAY),
        (_no_wait, Waits.NEVER),
        (_returns_a_generator, Waits.NEVER),
        (_awaits, Waits.MAY),
        (_async_for, Waits.MAY),
        (_async_with, Waits.MAY),
        (_async_comprehension, Waits.MAY),
        (_sync, Waits.MAY),
        (functools.partial(_no_wait), Waits.MAY),
        (functools.partial(_get_data), Waits.MAY),
        (_CallableObject(), Waits.MAY),
        (_body_then_sleep, Waits.MAY),
        (_either, Waits.MAY),
        (_awaited_argument, Waits.MAY),
        (_passes_the_reader, Waits.MAY),
        (_reader_as_argument, Waits.MAY),
        (_iterates_the_body, Waits.MAY),
        (_bound_reader, Waits.MAY),
        (_look_alike_reader, Waits.MAY),
    ],
)
def test_view_waits_reads_the_bytecode(view: Any, expected: Waits) -> None:
    assert view_waits(view) is expected


def test_view_waits_forgets_views_beyond_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The answers are remembered per function, up to a bound (views made on the fly must
    not grow the memory without end); past it the memory starts again, answers unchanged."""
    monkeypatch.setattr(view_waits_module, "_MAX_REMEMBERED_VIEWS", 2)
    monkeypatch.setattr(view_waits_module, "_waits_by_function", {})

    def make() -> Any:
        async def view() -> str:
            return "x"

        return view

    views = [make() for _ in range(5)]
    assert [view_waits(view) for view in views] == [Waits.NEVER] * 5
    assert len(view_waits_module._waits_by_function) <= 2
    assert view_waits(_awaits) is Waits.MAY


def test_view_waits_checks_the_global_at_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer is remembered, but not the global it rests on: rebinding ``request`` in
    the view's module (as a test's monkeypatch does) makes it ``MAY`` from then on."""
    assert view_waits(_get_data) is Waits.FOR_BODY
    monkeypatch.setattr(sys.modules[__name__], "request", look_alike)
    assert view_waits(_get_data) is Waits.MAY
    monkeypatch.undo()
    assert view_waits(_get_data) is Waits.FOR_BODY


class _PlainRequest(Request):
    pass


class _SlowJsonRequest(Request):
    async def get_json(self, *, force: bool = False, silent: bool = False) -> Any:
        data = await super().get_json(force=force, silent=silent)
        await trio.sleep(10)
        return data


def test_view_waits_request_classes_with_readers_of_their_own() -> None:
    assert reads_body_itself(Request)
    assert reads_body_itself(_PlainRequest)
    assert not reads_body_itself(_SlowJsonRequest)


async def test_view_waits_overridden_reader_keeps_the_scope(
    app: TrioQuart, autojump_clock: trio.testing.MockClock
) -> None:
    """A request class whose reader waits on more than the body takes the ordinary path:
    a client that leaves while it waits still cancels the view."""
    app.request_class = _SlowJsonRequest
    record: list[str] = []
    in_view = trio.Event()

    @app.post("/json")
    async def parse() -> Any:
        in_view.set()
        try:
            return {"seen": await request.get_json()}
        except trio.Cancelled:
            record.append("view cancelled")
            raise

    async with (
        app.test_app() as test_app,
        test_app.test_client().request(
            "/json", "POST", headers={"Content-Type": "application/json", "Content-Length": "2"}
        ) as connection,
    ):
        await connection.send(b"{}")
        await connection.send_complete()
        await in_view.wait()
        await trio.sleep(1)  # virtual time: well past the disconnect watch's delay
        await connection.disconnect()
        await connection.app_finished.wait()
        assert not connection.response_started
    assert record == ["view cancelled"]


def _spy_on_watch(app: TrioQuart) -> list[str]:
    """Record each request that registers with the disconnect watch (enters its scope)."""
    registered: list[str] = []
    watch = app._disconnect_watch
    register = watch.register

    def spy(watched: Any) -> bool:
        registered.append(request.path)
        return register(watched)

    watch.register = spy  # type: ignore[method-assign]
    return registered


async def test_view_waits_body_only_view_runs_without_a_scope(app: TrioQuart) -> None:
    @app.post("/echo")
    async def echo() -> Any:
        return await request.get_data()

    @app.post("/sleepy")
    async def sleepy() -> Any:
        await trio.lowlevel.checkpoint()
        return await request.get_data()

    registered = _spy_on_watch(app)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        for path in ("/echo", "/sleepy"):
            response = await client.post(path, data=b"payload")
            assert await response.get_data() == b"payload"
    assert registered == ["/sleepy"]


@pytest.mark.parametrize("with_lifespan", [False, True])
async def test_view_waits_client_leaving_mid_body_cancels_the_view(
    app: TrioQuart, with_lifespan: bool
) -> None:
    """The body read ahead is incomplete when the client leaves: the view still sees
    ``trio.Cancelled`` where it reads, and teardown sees it too."""
    record: list[str] = []

    @app.post("/echo")
    async def echo() -> Any:
        record.append("view started")
        try:
            return await request.get_data()
        except trio.Cancelled:
            record.append("view cancelled")
            raise

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {type(error).__name__}")

    async def leave_mid_body(client: TestClient) -> None:
        with trio.fail_after(5):
            async with client.request(
                "/echo", "POST", headers={"Content-Length": "10"}
            ) as connection:
                await connection.send(b"abc")
                await trio.testing.wait_all_tasks_blocked()
                assert record == []  # still reading ahead: the view has not started
                await connection.disconnect()
                await connection.app_finished.wait()
                assert not connection.response_started

    if with_lifespan:
        async with app.test_app() as test_app:
            await leave_mid_body(test_app.test_client())
    else:
        await leave_mid_body(app.test_client())
    assert record == ["view started", "view cancelled", "teardown Cancelled"]


async def test_view_waits_large_body_is_read_by_the_view(app: TrioQuart) -> None:
    """A body above the read-ahead limit is left to the view (on the ordinary path)."""

    @app.post("/echo")
    async def echo() -> Any:
        return await request.get_data()

    registered = _spy_on_watch(app)
    body = bytes(range(256)) * (READ_AHEAD_LIMIT // 256 + 1)
    async with app.test_app() as test_app:
        response = await test_app.test_client().post("/echo", data=body)
    assert await response.get_data() == body
    assert registered == ["/echo"]


async def test_view_waits_body_longer_than_declared_is_still_limited(app: TrioQuart) -> None:
    """Reading ahead stops past the declared length; the view's read then refuses the body
    above MAX_CONTENT_LENGTH, although the client never ends it."""
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/echo")
    async def echo() -> Any:
        return await request.get_data()

    async with app.test_app() as test_app:
        with trio.fail_after(5):
            async with test_app.test_client().request(
                "/echo", "POST", headers={"Content-Length": "4"}
            ) as connection:
                await connection.send(b"x" * 6)
                await connection.send(b"x" * 6)
                status, _ = await connection.wait_for_headers()
                response = await connection.as_response()
    assert status == 413
    assert "limit of 10 bytes" in await response.get_data(as_text=True)


async def test_view_waits_body_only_view_errors_reach_the_error_handlers(
    app: TrioQuart,
) -> None:
    @app.post("/json")
    async def parse() -> Any:
        return {"seen": await request.get_json()}

    @app.errorhandler(400)
    async def bad_request(error: Exception) -> Any:
        await trio.lowlevel.checkpoint()
        return {"error": "bad json"}, 400

    async with app.test_app() as test_app:
        client = test_app.test_client()
        good = await client.post("/json", json={"a": 1})
        bad = await client.post(
            "/json", data=b"{not json", headers={"Content-Type": "application/json"}
        )
    assert await good.get_json() == {"seen": {"a": 1}}
    assert bad.status_code == 400
    assert await bad.get_json() == {"error": "bad json"}
