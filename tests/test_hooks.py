"""Request hooks: before_request, after_request and teardown_request."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio

from trioquart import Response, TrioQuart, g, request
from trioquart.hooks import HookKind, Hooks, blueprint_path
from trioquart.testing import TestClient


async def test_hooks_order(app: TrioQuart, client: TestClient) -> None:
    record: list[str] = []

    @app.before_request
    async def before_one() -> None:
        record.append("before 1")

    @app.before_request
    async def before_two() -> None:
        record.append("before 2")

    @app.after_request
    async def after_one(response: Response) -> Response:
        record.append("after 1")
        return response

    @app.after_request
    async def after_two(response: Response) -> Response:
        record.append("after 2")
        return response

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {error!r} {request.path}")

    @app.get("/")
    async def view() -> str:
        record.append("view")
        return "ok"

    assert (await client.get("/")).status_code == 200
    assert record == ["before 1", "before 2", "view", "after 2", "after 1", "teardown None /"]


async def test_hooks_before_request_short_circuits(app: TrioQuart, client: TestClient) -> None:
    record: list[str] = []

    @app.before_request
    async def deny() -> Any:
        if request.headers.get("X-Token") != "secret":
            return "denied", 403
        return None

    @app.before_request
    async def later() -> None:
        record.append("later")

    @app.after_request
    async def after(response: Response) -> Response:
        response.headers["X-After"] = "yes"
        return response

    @app.get("/")
    async def view() -> str:
        record.append("view")
        return "welcome"

    response = await client.get("/")
    assert response.status_code == 403
    assert await response.get_data(as_text=True) == "denied"
    assert response.headers["X-After"] == "yes"
    assert record == []
    response = await client.get("/", headers={"X-Token": "secret"})
    assert await response.get_data(as_text=True) == "welcome"
    assert record == ["later", "view"]


async def test_hooks_after_request_can_replace_the_response(
    app: TrioQuart, client: TestClient
) -> None:
    @app.after_request
    async def replace(response: Response) -> Response:
        return Response(f"replaced {response.status_code}", status=202)

    @app.get("/")
    async def view() -> str:
        return "original"

    response = await client.get("/")
    assert response.status_code == 202
    assert await response.get_data(as_text=True) == "replaced 200"


async def test_hooks_after_request_sees_error_responses(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """As in Flask and Quart: a 404 from routing, an error handler's answer and a logged 500
    all pass through ``after_request`` (where, for example, CORS headers are added)."""
    seen: list[int] = []

    @app.after_request
    async def after(response: Response) -> Response:
        seen.append(response.status_code)
        response.headers["X-After"] = "yes"
        return response

    @app.errorhandler(KeyError)
    async def key_error(error: KeyError) -> Any:
        return "handled", 409

    @app.get("/handled")
    async def handled() -> str:
        raise KeyError("k")

    @app.get("/unhandled")
    async def unhandled() -> str:
        raise ValueError("v")

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        responses = [await client.get(path) for path in ("/missing", "/handled", "/unhandled")]
    assert [response.status_code for response in responses] == [404, 409, 500]
    assert all(response.headers["X-After"] == "yes" for response in responses)
    assert seen == [404, 409, 500]


async def test_hooks_failing_after_request_is_logged_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    @app.after_request
    async def broken(response: Response) -> Response:
        calls.append(response.status_code)
        raise RuntimeError("after hook broke")

    @app.get("/")
    async def view() -> str:
        return "ok"

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 500
    assert calls == [200]
    assert "after hook broke" in caplog.text


async def test_hooks_before_request_exception_is_handled(
    app: TrioQuart, client: TestClient
) -> None:
    @app.before_request
    async def fail() -> None:
        raise KeyError("k")

    @app.errorhandler(KeyError)
    async def key_error(error: KeyError) -> Any:
        return "key error", 400

    @app.get("/")
    async def view() -> str:
        return "never"  # pragma: no cover - the hook fails

    response = await client.get("/")
    assert response.status_code == 400
    assert await response.get_data(as_text=True) == "key error"


async def test_hooks_teardown_runs_after_an_unhandled_error(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Any] = []

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        seen.append((error, g.get("set_in_view")))

    @app.get("/")
    async def view() -> str:
        g.set_in_view = True
        raise ValueError("bad")

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        assert (await client.get("/")).status_code == 500
    # The error became a response, so teardown sees a request that ended normally.
    assert seen == [(None, True)]


async def test_hooks_failing_teardown_is_logged_and_others_run(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    record: list[str] = []

    @app.teardown_request
    async def second(error: BaseException | None) -> None:
        record.append("second")

    @app.teardown_request
    async def first(error: BaseException | None) -> None:
        raise RuntimeError("teardown broke")

    @app.get("/")
    async def view() -> str:
        return "ok"

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 200
    assert record == ["second"]
    assert "teardown broke" in caplog.text


def named(name: str) -> Any:
    async def hook() -> None: ...

    hook.__name__ = name
    return hook


def test_hooks_registry_orders_app_and_blueprint_hooks_like_flask() -> None:
    """Pure: before_* and URL processors run the app's first, in order; after_* and
    teardown_* the reverse."""
    hooks = Hooks()
    for kind in HookKind:
        for owner, names in ((None, ["app1", "app2"]), ("bp", ["bp1", "bp2"])):
            for name in names:
                hooks.add(kind, named(name), owner)
    for kind in HookKind:
        ran = [hook.__name__ for hook in hooks.to_run(kind, "bp")]
        alone = [hook.__name__ for hook in hooks.to_run(kind, None)]
        if kind.name.startswith(("BEFORE_", "URL_")):
            assert kind.runs_app_first
            assert ran == ["app1", "app2", "bp1", "bp2"]
            assert alone == ["app1", "app2"]
        else:
            assert not kind.runs_app_first
            assert ran == ["bp2", "bp1", "app2", "app1"]
            assert alone == ["app2", "app1"]
    assert [kind for kind, _ in hooks.owned_by("bp")] == [kind for kind in HookKind for _ in "12"]
    assert hooks.to_run(HookKind.BEFORE_REQUEST, "other") == hooks.to_run(
        HookKind.BEFORE_REQUEST, None
    )


def test_hooks_registry_nested_blueprints_like_flask() -> None:
    """Pure: a nested blueprint's requests get the hooks of every blueprint it is in; the
    before_* ones from the outside in, the others from the inside out."""
    hooks = Hooks()
    for owner in (None, "a", "a.b", "a.b.c", "a.x", "b"):
        for kind in (HookKind.BEFORE_REQUEST, HookKind.TEARDOWN_REQUEST):
            hooks.add(kind, named(f"{owner}-1"), owner)
            hooks.add(kind, named(f"{owner}-2"), owner)
    before = [hook.__name__ for hook in hooks.to_run(HookKind.BEFORE_REQUEST, "a.b.c")]
    assert before == ["None-1", "None-2", "a-1", "a-2", "a.b-1", "a.b-2", "a.b.c-1", "a.b.c-2"]
    teardown = [hook.__name__ for hook in hooks.to_run(HookKind.TEARDOWN_REQUEST, "a.b")]
    assert teardown == ["a.b-2", "a.b-1", "a-2", "a-1", "None-2", "None-1"]
    # A kind with no hook at all, for any owner:
    assert hooks.to_run(HookKind.AFTER_REQUEST, "a.b") == []


def test_hooks_blueprint_path_innermost_first() -> None:
    assert blueprint_path("a") == ("a",)
    assert blueprint_path("a.b.c") == ("a.b.c", "a.b", "a")


async def test_hooks_teardown_that_overruns_teardown_timeout_is_cut_and_logged(
    app: TrioQuart, client: TestClient, autojump_clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TEARDOWN_TIMEOUT"] = 2.0
    record: list[str] = []

    @app.teardown_request
    async def slow(error: BaseException | None) -> None:
        try:
            await trio.sleep(60)
        except trio.Cancelled:
            record.append("cut")
            raise

    @app.get("/")
    async def index() -> str:
        return "done"

    response = await client.get("/")
    assert await response.get_data(as_text=True) == "done"
    assert record == ["cut"]
    assert "Teardown hooks did not finish within TEARDOWN_TIMEOUT (2.0s)" in caplog.text
