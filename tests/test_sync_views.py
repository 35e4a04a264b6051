"""Plain ``def`` views, hooks and error handlers: wrapped once at registration, run in a
worker thread with the request's context.

Each test proves the thread by comparing ``threading.get_ident()`` with the event loop's, and
the context by reading ``request``, ``g``, ``session`` and ``current_app`` there.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import trio

from trioquart import (
    Blueprint,
    Response,
    TrioQuart,
    current_app,
    g,
    request,
    session,
    url_for,
    websocket,
)
from trioquart.scaffold import unwrap_sync
from trioquart.testing import TestClient, WebsocketResponseError


def off_the_event_loop(loop_thread: int) -> bool:
    return threading.get_ident() != loop_thread


async def test_sync_view_runs_in_a_thread_with_the_request_context(
    app: TrioQuart, client: TestClient
) -> None:
    app.secret_key = "secret"
    loop_thread = threading.get_ident()

    @app.before_request
    async def load_user() -> None:
        g.user = "ada"

    @app.get("/hello/<name>")
    def hello(name: str) -> Any:
        session["visits"] = session.get("visits", 0) + 1
        g.answered_in_thread = off_the_event_loop(loop_thread)
        return {
            "name": name,
            "query": request.args["q"],
            "user": g.user,
            "app": current_app.name,
            "self": url_for("hello", name=name),
        }

    @app.after_request
    async def after(response: Response) -> Response:
        response.headers["X-Thread"] = str(g.answered_in_thread)
        return response

    response = await client.get("/hello/bob", query_string={"q": "x"})
    assert await response.get_json() == {
        "name": "bob",
        "query": "x",
        "user": "ada",
        "app": app.name,
        "self": "/hello/bob",
    }
    assert response.headers["X-Thread"] == "True"
    await client.get("/hello/bob", query_string={"q": "x"})
    async with client.session_transaction() as saved:
        assert saved["visits"] == 2


async def test_sync_view_does_not_block_the_event_loop(app: TrioQuart, client: TestClient) -> None:
    """A plain view blocked on a threading.Event is released by another request: possible
    only if the blocked view is not holding the event loop."""
    entered = threading.Event()
    released = threading.Event()

    @app.get("/wait")
    def wait() -> str:
        entered.set()
        return "released" if released.wait(timeout=10) else "timed out"

    @app.get("/release")
    async def release() -> str:
        released.set()
        return "ok"

    results: list[bytes] = []

    async def get_waiting() -> None:
        results.append(await (await client.get("/wait")).get_data())

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(get_waiting)
            # /wait is blocked in its thread before /release is asked for:
            assert await trio.to_thread.run_sync(entered.wait, 5)
            assert await (await client.get("/release")).get_data() == b"ok"
    assert results == [b"released"]


async def test_sync_hooks_and_error_handlers_run_in_threads(
    app: TrioQuart, client: TestClient
) -> None:
    loop_thread = threading.get_ident()
    record: list[str] = []

    @app.before_request
    def deny() -> Any:
        record.append(f"before {off_the_event_loop(loop_thread)}")
        if request.path == "/denied":
            return "denied", 403
        return None

    @app.after_request
    def stamp(response: Response) -> Response:
        response.headers["X-Stamp"] = request.path
        return response

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {off_the_event_loop(loop_thread)} {error!r}")

    @app.errorhandler(KeyError)
    def key_error(error: KeyError) -> Any:
        return f"no {error.args[0]} (thread: {off_the_event_loop(loop_thread)})", 404

    @app.get("/item")
    async def item() -> str:
        raise KeyError("item")

    response = await client.get("/item")
    assert response.status_code == 404
    assert await response.get_data() == b"no item (thread: True)"
    assert response.headers["X-Stamp"] == "/item"
    response = await client.get("/denied")
    assert (response.status_code, response.headers["X-Stamp"]) == (403, "/denied")
    assert record == ["before True", "teardown True None", "before True", "teardown True None"]


async def test_sync_websocket_hooks_and_handler(app: TrioQuart, client: TestClient) -> None:
    loop_thread = threading.get_ident()
    record: list[str] = []

    @app.before_websocket
    def check() -> Any:
        record.append(f"before {websocket.path} {off_the_event_loop(loop_thread)}")
        return None

    @app.after_websocket
    def after(response: Response | None) -> Response | None:
        record.append(f"after {response is None}")
        return response

    @app.teardown_websocket
    def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {error!r}")

    @app.websocket("/refuse")
    def refuse() -> Any:
        # A plain handler cannot await the websocket; it can answer the handshake.
        return f"not today ({off_the_event_loop(loop_thread)})", 403

    @app.websocket("/echo")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket("/refuse"):
            pass
    response = caught.value.response
    assert (response.status_code, await response.get_data()) == (403, b"not today (True)")
    async with client.websocket("/echo") as connection:
        await connection.send("hi")
        assert await connection.receive() == "hi"
    assert record == [
        "before /refuse True",
        "after False",
        "teardown None",
        "before /echo True",
        "after True",
        "teardown None",
    ]


async def test_sync_functions_are_wrapped_once_at_registration(
    app: TrioQuart, client: TestClient
) -> None:
    def page() -> str:
        return "page"

    async def native() -> str:
        return "native"

    assert app.route("/page")(page) is page  # the decorator gives back the function as is
    app.add_url_rule("/also-page", view_func=page)  # same function, same endpoint: fine
    app.add_url_rule("/native", view_func=native)
    wrapper = app.view_functions["page"]
    assert wrapper is not page
    assert unwrap_sync(wrapper) is page
    assert app.view_functions["native"] is native
    assert unwrap_sync(native) is native
    for path in ("/page", "/also-page", "/page"):
        assert await (await client.get(path)).get_data() == b"page"
    assert app.view_functions["page"] is wrapper  # nothing wrapped per request

    def other_page() -> str:
        return "other"  # pragma: no cover - refused

    other_page.__name__ = "page"
    with pytest.raises(ValueError, match=r"^The endpoint 'page' is already used by "):
        app.add_url_rule("/other", view_func=other_page)


async def test_sync_blueprint_view_wrapped_once_for_every_name(
    app: TrioQuart, client: TestClient
) -> None:
    loop_thread = threading.get_ident()
    bp = Blueprint("bp", __name__)

    @bp.get("/where")
    def where() -> str:
        return f"{request.blueprint} {off_the_event_loop(loop_thread)}"

    @bp.before_request
    def before() -> None:
        g.seen = True

    app.register_blueprint(bp, url_prefix="/one")
    app.register_blueprint(bp, name="two", url_prefix="/two")
    assert app.view_functions["bp.where"] is app.view_functions["two.where"]
    assert unwrap_sync(app.view_functions["bp.where"]) is where
    assert await (await client.get("/one/where")).get_data() == b"bp True"
    assert await (await client.get("/two/where")).get_data() == b"two True"
