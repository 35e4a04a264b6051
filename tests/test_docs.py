"""Every example of the user guide (``docs/examples/*.py``), imported and exercised.

The pages include these files with ``literalinclude``, so the code a reader sees is the code
run here. Each test drives an example app through its test client and checks what the page
says about it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import logging
import pkgutil
import re
import sys
from functools import partial
from pathlib import Path

import pytest
import trio
import trio.testing
from trio_websocket import ConnectionClosed, wrap_client_stream

import docs.examples
from docs.examples import (
    config_app,
    errors_app,
    extending_app,
    files_app,
    lifecycle_app,
    lifecycle_service,
    quickstart_hello,
    requests_app,
    responses_app,
    routing_app,
    routing_blueprints,
    security_app,
    serving_embedded,
    sessions_app,
    sessions_testing,
    templates_app,
    testing_app,
    websockets_closing,
    websockets_disconnect,
    websockets_echo,
    websockets_errors,
    websockets_independent,
    websockets_json,
    websockets_mixed,
    websockets_reject,
    websockets_testing,
)
from trioquart.serving import hypercorn_config, serve
from trioquart.testing import TestClient, WebsocketDisconnectError, WebsocketResponseError

ROOT = Path(__file__).resolve().parent.parent

EXAMPLE_NAMES = sorted(info.name for info in pkgutil.iter_modules(docs.examples.__path__))


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_docs_example_imports(name: str) -> None:
    module = importlib.import_module(f"docs.examples.{name}")
    assert module.__doc__, f"docs/examples/{name}.py needs a module docstring"


# --- websockets.md -------------------------------------------------------------------------


async def test_docs_websockets_echo_keeps_str_and_bytes() -> None:
    client = websockets_echo.app.test_client()
    with trio.fail_after(5):
        async with client.websocket("/ws") as ws:
            messages: list[str | bytes] = ["hello", b"\x00\xffbytes", "", b""]
            for message in messages:
                await ws.send(message)
                received = await ws.receive()
                assert received == message
                assert type(received) is type(message)


async def test_docs_websockets_reject_with_a_response() -> None:
    client = websockets_reject.app.test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/chat", headers=basic_auth("alice", "nope")) as ws:
            await ws.receive()
    assert info.value.response.status_code == 403
    assert await info.value.response.get_data() == b"Invalid password"
    # Without credentials at all: the same answer.
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/chat") as ws:
            await ws.receive()
    assert info.value.response.status_code == 403


async def test_docs_websockets_reject_accepts_good_credentials() -> None:
    client = websockets_reject.app.test_client()
    headers = basic_auth(websockets_reject.USERNAME, websockets_reject.PASSWORD)
    async with client.websocket("/chat", headers=headers) as ws:
        assert await ws.receive() == "Welcome, alice"


async def test_docs_websockets_reject_with_abort() -> None:
    client = websockets_reject.app.test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/admin") as ws:
            await ws.receive()
    assert info.value.response.status_code == 401
    assert b"Unauthorized" in await info.value.response.get_data()
    async with client.websocket("/admin?token=let-me-in") as ws:
        assert await ws.receive() == "admin console"


async def test_docs_websockets_close_before_accept_is_403() -> None:
    client = websockets_reject.app.test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/feed?room=secret") as ws:
            await ws.receive()
    assert info.value.response.status_code == 403
    assert await info.value.response.get_data() == b""
    async with client.websocket("/feed?room=general") as ws:
        assert await ws.receive() == "feed of general"


async def test_docs_websockets_independent_tasks(autojump_clock: trio.testing.MockClock) -> None:
    client = websockets_independent.app.test_client()
    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "tick 1"
        await ws.send("hi")
        assert await ws.receive() == "echo: 'hi'"
        assert await ws.receive() == "tick 2"  # the sender kept going on its own
        await ws.send(b"raw")
        assert await ws.receive() == "echo: b'raw'"
        await ws.send("stop")
        with pytest.raises(WebsocketDisconnectError) as info:
            await ws.receive()
    assert info.value.code == 1000


async def test_docs_websockets_disconnect_cleanup_runs() -> None:
    presence = websockets_disconnect.presence
    client = websockets_disconnect.app.test_client()
    with trio.fail_after(5):
        async with client.websocket("/ws/bob") as ws:
            await ws.send("ping")
            assert await ws.receive() == "ping"
            assert "bob" in presence.online
            await ws.close(4001, "gone home")
    # Leaving the block waited for the handler: the shielded cleanup has run.
    assert "bob" not in presence.online
    assert ("bob", 4001, "gone home") in presence.departures


async def test_docs_websockets_disconnect_cleanup_on_plain_exit() -> None:
    presence = websockets_disconnect.presence
    client = websockets_disconnect.app.test_client()
    async with client.websocket("/ws/carol"):
        assert "carol" in presence.online  # entering the block waited for the accept
    assert ("carol", 1000, "") in presence.departures


async def test_docs_websockets_close_codes(caplog: pytest.LogCaptureFixture) -> None:
    client = websockets_closing.app.test_client()
    async with client.websocket("/done") as ws:
        assert await ws.receive() == "all done"
        with pytest.raises(WebsocketDisconnectError) as info:
            await ws.receive()
    assert info.value.code == 1000
    with caplog.at_level(logging.ERROR, logger="trioquart"):
        async with client.websocket("/broken") as ws:
            assert await ws.receive() == "about to fail"
            with pytest.raises(WebsocketDisconnectError) as info:
                await ws.receive()
    assert info.value.code == 1011
    record = next(r for r in caplog.records if "closing with 1011" in r.getMessage())
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


async def test_docs_websockets_message_too_big() -> None:
    client = websockets_closing.app.test_client()
    async with client.websocket("/small") as ws:
        await ws.send("x" * 1024)
        assert await ws.receive() == "1024 received"
        await ws.send("x" * 1025)
        with pytest.raises(WebsocketDisconnectError) as info:
            await ws.receive()
    assert info.value.code == 1009


async def test_docs_websockets_stalled_queue_closes_1008(
    autojump_clock: trio.testing.MockClock,
) -> None:
    app = websockets_echo.app.__class__(__name__)
    app.config.from_mapping(WEBSOCKET_MAX_QUEUE=2, WEBSOCKET_QUEUE_TIMEOUT=10.0)

    @app.websocket("/deaf")
    async def deaf() -> None:
        await app_websocket_accept()
        await trio.sleep_forever()

    async def app_websocket_accept() -> None:
        from trioquart import websocket

        await websocket.accept()

    async with app.test_client().websocket("/deaf") as ws:
        for number in range(5):
            await ws.send(str(number))
        with pytest.raises(WebsocketDisconnectError) as info:
            await ws.receive()
    assert info.value.code == 1008
    assert trio.current_time() >= 10.0


async def test_docs_websockets_statistics_reports_the_reading_mode(
    autojump_clock: trio.testing.MockClock,
) -> None:
    app = websockets_echo.app.__class__(__name__)
    modes: list[str] = []

    @app.websocket("/ws")
    async def busy() -> None:
        from trioquart import websocket

        await websocket.receive()
        modes.append(websocket.statistics().reading)
        await trio.sleep(1)  # busy elsewhere for many DISCONNECT_WATCH_DELAYs
        modes.append(websocket.statistics().reading)
        await websocket.send("done")

    # The plain test client: the same mechanism as under the lifespan.
    async with app.test_client().websocket("/ws") as ws:
        await ws.send("hi")
        assert await ws.receive() == "done"
    assert modes == ["direct", "reader"]


async def test_docs_websockets_begin_close_then_send_close() -> None:
    app = websockets_echo.app.__class__(__name__)
    seen: list[object] = []

    @app.websocket("/ws")
    async def room() -> None:
        from trioquart import websocket

        await websocket.accept()
        seen.append(websocket.begin_close(4000, "room closed"))
        seen.append(websocket.close_code)  # recorded at once, before any frame is sent
        seen.append(websocket.begin_close(4001, "again"))  # already closed: nothing changes
        await websocket.send_close()

    async with app.test_client().websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError) as info:
            await ws.receive()
    assert (info.value.code, info.value.reason) == (4000, "room closed")
    assert seen == [True, 4000, False]


async def test_docs_websockets_mixed_routes() -> None:
    client = websockets_mixed.app.test_client()
    response = await client.get("/updates")
    assert response.status_code == 200
    assert "live updates" in await response.get_data(as_text=True)
    async with client.websocket("/updates") as ws:
        assert await ws.receive_json() == {"status": "live"}
    # A plain GET to a websocket-only route is a 400, not a 404.
    response = await client.get("/only-ws")
    assert response.status_code == 400
    # Other methods there: 405 with Allow.
    response = await client.post("/only-ws")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


async def test_docs_websockets_json() -> None:
    client = websockets_json.app.test_client()
    async with client.websocket("/sum") as ws:
        await ws.send_json([1, 2, 3])
        assert await ws.receive_json() == {"sum": 6}
        await ws.send("not json")
        reply = await ws.receive_json()
        assert "not valid JSON" in reply["error"]
        await ws.send(b"[4, 5]")  # a binary frame holding JSON works too
        assert await ws.receive_json() == {"sum": 9}


async def test_docs_websockets_send_type_error() -> None:
    app = websockets_echo.app.__class__(__name__)
    seen: list[str] = []

    @app.websocket("/ws")
    async def bad() -> None:
        from trioquart import websocket

        await websocket.accept()
        try:
            await websocket.send(42)  # type: ignore[arg-type]
        except TypeError as error:
            seen.append(str(error))
        await websocket.send("still open")

    async with app.test_client().websocket("/ws") as ws:
        assert await ws.receive() == "still open"
    assert seen == [
        "websocket.send() takes str or bytes, not int; use send_json() for other values"
    ]


async def test_docs_websockets_error_before_accept_uses_error_handlers() -> None:
    client = websockets_errors.app.test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/room/secret") as ws:
            await ws.receive()
    assert info.value.response.status_code == 403
    assert await info.value.response.get_data() == b"not allowed: secret"
    async with client.websocket("/room/lobby") as ws:
        assert await ws.receive() == "joined lobby"


async def test_docs_websockets_errors_from_children(caplog: pytest.LogCaptureFixture) -> None:
    client = websockets_errors.app.test_client()
    with caplog.at_level(logging.ERROR, logger="trioquart"):
        async with client.websocket("/checks") as ws:
            with pytest.raises(WebsocketDisconnectError) as info:
                await ws.receive()
    assert info.value.code == 1011
    record = next(r for r in caplog.records if "closing with 1011" in r.getMessage())
    assert record.exc_info is not None
    group = record.exc_info[1]
    assert isinstance(group, ExceptionGroup)
    assert {type(error) for error in group.exceptions} == {OverflowError, LookupError}


async def test_docs_websockets_teardown_gets_a_single_error_as_itself() -> None:
    app = websockets_echo.app.__class__(__name__)
    errors: list[BaseException | None] = []

    @app.teardown_websocket
    async def remember(error: BaseException | None) -> None:
        errors.append(error)

    @app.websocket("/ws")
    async def fails() -> None:
        from trioquart import websocket

        await websocket.accept()
        raise KeyError("lost")

    async with app.test_client().websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError):
            await ws.receive()
    assert len(errors) == 1
    assert isinstance(errors[0], KeyError)


async def test_docs_websockets_testing_examples() -> None:
    await websockets_testing.test_echo_keeps_the_frame_type()
    await websockets_testing.test_wrong_password_is_rejected()
    await websockets_testing.test_close_code_reaches_the_client()


# --- quickstart.md -------------------------------------------------------------------------


async def test_docs_quickstart() -> None:
    client = quickstart_hello.app.test_client()
    response = await client.get("/")
    assert await response.get_data(as_text=True) == "Hello from trio!"
    response = await client.get("/hello/world")
    assert response.headers["Content-Type"] == "application/json"
    assert await response.get_json() == {"greeting": "Hello, world!"}
    async with client.websocket("/ws") as ws:
        await ws.send("louder")
        assert await ws.receive() == "LOUDER"


# --- routing.md ----------------------------------------------------------------------------


async def test_docs_routing_converters() -> None:
    client = routing_app.app.test_client()
    assert await (await client.get("/users/7")).get_json() == {"id": 7, "self": "/users/7"}
    assert (await client.get("/users/seven")).status_code == 404
    assert await (await client.get("/prices/2.5")).get_data() == b"2.50"
    assert await (await client.get("/files/a/b/c.txt")).get_data() == b"a/b/c.txt"
    order_id = "9b2f0c8e-6a2d-4c1b-9a59-3f8e2a1d4b7c"
    response = await client.get(f"/orders/{order_id}")
    assert await response.get_data(as_text=True) == order_id.replace("-", "")


async def test_docs_routing_methods() -> None:
    client = routing_app.app.test_client()
    response = await client.post("/notes")
    assert (response.status_code, await response.get_data()) == (201, b"created")
    response = await client.delete("/notes")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    response = await client.head("/users/1")
    assert response.status_code == 200
    assert await response.get_data() == b""
    assert response.headers["Content-Length"] == str(len(b'{"id":1,"self":"/users/1"}\n'))
    response = await client.options("/notes")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


async def test_docs_routing_strict_slashes_and_redirect() -> None:
    client = routing_app.app.test_client()
    response = await client.get("/docs")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/docs/"
    response = await client.get("/old-profile/3")
    assert response.status_code == 302
    assert response.headers["Location"] == "/users/3?tab=profile"


async def test_docs_routing_blueprint() -> None:
    client = routing_blueprints.app.test_client()
    response = await client.get("/api/v1/items/1")
    assert await response.get_json() == {"name": "spoon", "next": "/api/v1/items/2"}
    response = await client.get("/api/v1/items/9")
    assert response.status_code == 404
    assert await response.get_json() == {"error": "no such item"}
    # Outside the blueprint the app's default 404 applies.
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert "Not Found" in await response.get_data(as_text=True)
    async with client.websocket("/api/v1/live") as ws:
        assert await ws.receive() == "/api/v1/items/1"


# --- requests.md ---------------------------------------------------------------------------


async def test_docs_requests_query_and_headers() -> None:
    client = requests_app.app.test_client()
    response = await client.get(
        "/search", query_string={"q": "trio", "tag": ["a", "b"]}, headers={"User-Agent": "me"}
    )
    assert await response.get_json() == {"q": "trio", "tags": ["a", "b"], "agent": "me"}


async def test_docs_requests_json() -> None:
    client = requests_app.app.test_client()
    response = await client.post("/echo-json", json={"a": [1, 2]})
    assert await response.get_json() == {"received": {"a": [1, 2]}}
    response = await client.post(
        "/echo-json", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    response = await client.post("/echo-json", data="[]")  # not declared as JSON
    assert response.status_code == 400


async def test_docs_requests_json_read_by_two_tasks() -> None:
    client = requests_app.app.test_client()
    order = {"items": [{"price": 3}, {"price": 4}]}
    response = await client.post("/quote", json=order)
    assert await response.get_json() == {"items": 2, "total": 7}


async def test_docs_requests_form_and_files() -> None:
    client = requests_app.app.test_client()
    response = await client.post("/signup", form={"name": "Ada"})
    assert await response.get_data() == b"Welcome, Ada"
    response = await client.post(
        "/upload", files={"document": (b"%PDF-1.7 hello", "report.pdf", "application/pdf")}
    )
    assert await response.get_json() == {"filename": "report.pdf", "size": 14}


async def test_docs_requests_streamed_body_and_limit() -> None:
    client = requests_app.app.test_client()
    body = b"x" * 100_000
    response = await client.post("/checksum", data=body)
    assert await response.get_data(as_text=True) == hashlib.sha256(body).hexdigest()
    response = await client.post("/checksum", data=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413


async def test_docs_requests_streamed_body_in_pieces() -> None:
    client = requests_app.app.test_client()
    async with client.request(
        "/checksum", "POST", headers={"Transfer-Encoding": "chunked"}
    ) as connection:
        for piece in (b"abc", b"def"):
            await connection.send(piece)
        await connection.send_complete()
        response = await connection.as_response()
    assert await response.get_data(as_text=True) == hashlib.sha256(b"abcdef").hexdigest()


# --- responses.md --------------------------------------------------------------------------


async def test_docs_responses_return_values() -> None:
    client = responses_app.app.test_client()
    response = await client.get("/text")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    response = await client.get("/data")
    assert await response.get_json() == {"items": [1, 2, 3]}
    response = await client.post("/things")
    assert response.status_code == 201
    assert response.headers["Location"] == "/things/42"
    assert await response.get_json() == {"id": "42"}
    response = await client.get("/plain")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert await (await client.get("/list")).get_json() == [1, 2, 3]


async def test_docs_responses_stream(autojump_clock: trio.testing.MockClock) -> None:
    client = responses_app.app.test_client()
    async with client.request("/countdown") as connection:
        status, headers = await connection.wait_for_headers()
        assert status == 200
        assert "Content-Length" not in headers
        assert await connection.receive_chunk() == b"3\n"  # before the rest exists
        response = await connection.as_response()
    assert await response.get_data() == b"3\n2\n1\nliftoff\n"


async def test_docs_responses_cookies_redirect_abort() -> None:
    client = responses_app.app.test_client()
    response = await client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session_id=abc123")
    assert "HttpOnly" in cookie
    assert await (await client.get("/whoami")).get_data() == b"abc123"  # the client kept it
    response = await client.get("/old")
    assert (response.status_code, response.headers["Location"]) == (301, "/text")
    assert (await client.get("/secret")).status_code == 403


# --- errors.md -----------------------------------------------------------------------------


async def test_docs_errors_handlers(caplog: pytest.LogCaptureFixture) -> None:
    client = errors_app.app.test_client()
    response = await client.get("/missing")
    assert (response.status_code, await response.get_data()) == (404, b"Nothing at /missing")
    response = await client.get("/buy/unicorn")
    assert response.status_code == 409
    assert await response.get_json() == {"error": "unicorn is out of stock"}
    assert (await client.get("/teapot")).status_code == 418
    assert "X-Elapsed" in response.headers  # after_request hooks see error responses too
    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/crash")
    assert response.status_code == 500
    assert any(
        record.exc_info and isinstance(record.exc_info[1], ZeroDivisionError)
        for record in caplog.records
    )


async def test_docs_errors_hooks() -> None:
    client = errors_app.app.test_client()
    response = await client.get("/buy/spoon")
    assert await response.get_data() == b"You bought a spoon"
    assert float(response.headers["X-Elapsed"]) >= 0
    response = await client.get("/admin/stats")
    assert (response.status_code, await response.get_data()) == (401, b"Missing key")
    assert "X-Elapsed" in response.headers  # after_request runs on the hook's response too
    response = await client.get("/admin/stats", headers={"X-Key": "sesame"})
    assert await response.get_data() == b"all good"
    assert ("/admin/stats", None) in errors_app.finished


# --- testing.md ----------------------------------------------------------------------------


async def test_docs_testing_suite_passes() -> None:
    """Run the guide's conftest and test files with pytest, as a user's suite would run."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "docs.examples.testing_conftest",
        "docs/examples/testing_test_app.py",
        "docs/examples/testing_e2e.py",
    ]
    with trio.fail_after(120):
        result = await trio.run_process(command, cwd=ROOT, capture_stdout=True, check=False)
    output = result.stdout.decode()
    assert result.returncode == 0, output
    assert "5 passed" in output


async def test_docs_testing_nursery_needs_the_lifespan() -> None:
    """With TESTING on, the error leaves the test client's call instead of becoming a 500."""
    client = testing_app.create_app().test_client()
    with pytest.raises(RuntimeError, match=r"app\.test_app\(\)"):
        await client.post("/reports/weekly")


@pytest.mark.parametrize("with_lifespan", [False, True])
async def test_docs_testing_client_that_leaves_with_or_without_lifespan(
    with_lifespan: bool, autojump_clock: trio.testing.MockClock
) -> None:
    """The plain test client and test_app() notice a client that leaves the same way."""
    app = testing_app.create_app()
    record: list[str] = []

    @app.get("/slow")
    async def slow() -> str:
        try:
            await trio.sleep(60)
        except trio.Cancelled:
            record.append("view cancelled")
            raise
        return "never"

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        record.append(f"teardown {type(error).__name__}")

    async def leave_early(client: TestClient) -> None:
        async with client.request("/slow") as connection:
            await connection.send_complete()
            await trio.sleep(1)  # longer than DISCONNECT_WATCH_DELAY: a watcher reads now
        # Leaving the block disconnected the client and waited for the app.

    if with_lifespan:
        async with app.test_app() as test_app:
            await leave_early(test_app.test_client())
    else:
        await leave_early(app.test_client())
    assert record == ["view cancelled", "teardown Cancelled"]


# --- lifecycle.md --------------------------------------------------------------------------


async def test_docs_lifecycle_order(autojump_clock: trio.testing.MockClock) -> None:
    events = lifecycle_app.events
    events.clear()
    async with lifecycle_app.app.test_app() as test_app:
        assert events == ["before_serving", "database opened"]
        client = test_app.test_client()
        await trio.testing.wait_all_tasks_blocked()  # let refresh_rates run once
        assert await (await client.get("/rates")).get_json() == {"EUR": 1.08}
        response = await client.post("/signup/ada@example.com")
        assert response.status_code == 202
        started = trio.current_time()
    # Shutdown: background tasks get BACKGROUND_TASK_SHUTDOWN_TIMEOUT to finish, then are
    # cancelled; only then do the while_serving teardowns and after_serving hooks run.
    assert events == [
        "before_serving",
        "database opened",
        "refresh_rates finished",
        "welcome to ada@example.com cancelled",
        "database closed",
        "after_serving",
    ]
    timeout = lifecycle_app.app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"]
    assert trio.current_time() - started == pytest.approx(timeout)


async def test_docs_lifecycle_service_nursery_lives_across_the_yield(
    autojump_clock: trio.testing.MockClock,
) -> None:
    app, outbox, events = lifecycle_service.app, lifecycle_service.outbox, lifecycle_service.events
    outbox.delivered.clear()
    events.clear()
    # Not served (the plain test client runs no lifespan): the outbox is not running.
    assert (await app.test_client().post("/invite/zoe")).status_code == 503
    async with app.test_app() as test_app:
        assert events == ["outbox running"]
        client = test_app.test_client()
        for name in ("ada", "bob", "eve"):
            assert (await client.post(f"/invite/{name}")).status_code == 202
    # After its yield the generator closed the outbox; what was queued went out first, and
    # the nursery closed in the lifespan task that opened it.
    assert outbox.delivered == ["invitation for ada", "invitation for bob", "invitation for eve"]
    assert events == ["outbox running", "outbox stopped, 3 delivered"]


async def test_docs_lifecycle_service_is_stopped_within_its_bound(
    autojump_clock: trio.testing.MockClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, outbox, events = lifecycle_service.app, lifecycle_service.outbox, lifecycle_service.events
    outbox.delivered.clear()
    events.clear()

    async def stuck(message: str) -> None:
        await trio.sleep_forever()  # a mail server that never answers

    monkeypatch.setattr(outbox, "deliver", stuck)
    async with app.test_app() as test_app:
        assert (await test_app.test_client().post("/invite/ada")).status_code == 202
        started = trio.current_time()
    # The generator gave the delivery 5 seconds, then cancelled its own nursery.
    assert trio.current_time() - started == pytest.approx(5)
    assert events == ["outbox running", "outbox stopped, 0 delivered"]


# --- config.md -----------------------------------------------------------------------------


async def test_docs_config_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    app = config_app.create_app()
    assert app.config["WEBSOCKET_MAX_QUEUE"] == 64
    assert app.config["TEARDOWN_TIMEOUT"] == 5.0  # a default left alone
    response = await app.test_client().get("/")
    assert await response.get_data() == b"Hello, world"
    monkeypatch.setenv("TRIOQUART_GREETING", "Bonjour")
    monkeypatch.setenv("TRIOQUART_WEBSOCKET_MAX_QUEUE", "8")
    app = config_app.create_app()
    assert app.config["WEBSOCKET_MAX_QUEUE"] == 8  # parsed as JSON: an int
    response = await app.test_client().get("/")
    assert await response.get_data() == b"Bonjour, world"


def test_docs_config_defaults_are_all_documented() -> None:
    from trioquart.config import DEFAULTS

    page = (ROOT / "docs" / "config.md").read_text()
    missing = [key for key in DEFAULTS if f"`{key}`" not in page]
    assert not missing, f"docs/config.md does not describe {missing}"


# --- files.md --------------------------------------------------------------------------------


async def test_docs_files() -> None:
    client = files_app.app.test_client()
    assert await (await client.get("/")).get_data() == (
        b'<link rel="stylesheet" href="/static/style.css">'
    )
    css = await client.get("/static/style.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    report = await client.get("/reports/style.css")
    assert report.headers["Content-Disposition"] == "attachment; filename=style.css"
    assert (await client.get("/reports/../files_app.py")).status_code == 404
    export = await client.get("/export.csv")
    assert export.headers["Content-Disposition"] == "inline; filename=export.csv"
    assert await export.get_data() == b"user,messages\r\nada,12\r\ngrace,7\r\n"
    theme = await client.get("/theme.css")
    assert theme.headers["Cache-Control"] == "public, max-age=3600"


# --- templates.md ----------------------------------------------------------------------------


async def test_docs_templates_pages() -> None:
    client = templates_app.app.test_client()
    page = await (await client.get("/")).get_data(as_text=True)
    assert "<title>Rooms · trio chat</title>" in page
    assert '<a href="/rooms/general/members">general</a>: A, G' in page
    assert "<footer>trio chat, 20" in page  # the context processor's year
    assert await (await client.get("/hello/<x>")).get_data() == b"<p>Hello &lt;x&gt;!</p>"
    dashboard = await (await client.get("/admin/")).get_data(as_text=True)
    assert "<main><p>2 rooms</p></main>" in dashboard  # the blueprint's template, the app's layout


async def test_docs_templates_stream() -> None:
    client = templates_app.app.test_client()
    async with client.request("/rooms/general/members") as connection:
        await connection.send_complete()
        await connection.wait_for_headers()
        pieces = []
        try:
            while True:
                pieces.append(await connection.receive_chunk())
        except trio.EndOfChannel:
            pass
    assert len(pieces) > 1
    assert b"".join(pieces).split() == [b"<h1>general</h1>", b"<p>ada</p>", b"<p>grace</p>"]


# --- sessions.md -----------------------------------------------------------------------------


async def test_docs_sessions_login_flash_and_websocket() -> None:
    client = sessions_app.app.test_client()
    response = await client.post("/login", form={"user": "ada", "password": "wrong"})
    assert response.status_code == 302
    home = await (await client.get("/")).get_json()
    assert home == {"user": None, "messages": [["error", "Wrong user name or password."]]}
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/chat"):
            pass
    assert info.value.response.status_code == 401

    form = {"user": "ada", "password": sessions_app.PASSWORDS["ada"], "remember": "on"}
    response = await client.post("/login", form=form)
    assert "Expires=" in response.headers["Set-Cookie"]  # remembered: a permanent session
    home = await (await client.get("/")).get_json()
    assert home == {"user": "ada", "messages": [["message", "Welcome back, ada."]]}
    async with client.websocket("/chat") as ws:
        assert await ws.receive() == "ada joined"
        await ws.send("hello")
        assert await ws.receive() == "ada: hello"
    await client.post("/logout")
    assert (await (await client.get("/")).get_json())["user"] is None


async def test_docs_sessions_testing_examples() -> None:
    await sessions_testing.test_home_when_logged_in()
    await sessions_testing.test_logout_empties_the_session()


# --- security.md -----------------------------------------------------------------------------

PROXIED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "chat.example.com",
}


async def test_docs_security_origins() -> None:
    client = TestClient(security_app.app, host="10.0.0.2:8000")  # the proxy's own address
    for origin in ["https://chat.example.com", "https://www.example.com"]:
        async with client.websocket("/ws", headers={**PROXIED, "Origin": origin}) as ws:
            assert await ws.receive() == "hello guest, from 203.0.113.9"
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/ws", headers={**PROXIED, "Origin": "https://evil.example"}):
            pass
    assert info.value.response.status_code == 403


async def test_docs_security_trusted_hosts_and_proxy_headers() -> None:
    client = TestClient(security_app.app, host="10.0.0.2:8000")
    response = await client.get("/whoami", headers=PROXIED)
    assert await response.get_json() == {
        "url": "https://chat.example.com/whoami",
        "client": "203.0.113.9",
    }
    response = await client.get("/whoami", headers={**PROXIED, "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 400
    response = await client.get("/whoami")  # not through the proxy: its own address as the host
    assert response.status_code == 400


async def test_docs_security_cookie_flags() -> None:
    client = TestClient(security_app.app, host="chat.example.com")
    response = await client.post("/login")
    cookie = response.headers["Set-Cookie"]
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Max-Age=3600"]:
        assert flag in cookie


# --- serving.md ----------------------------------------------------------------------------


async def test_docs_serving_embedded_app() -> None:
    response = await serving_embedded.app.test_client().get("/")
    assert await response.get_data() == b"served from my own trio.run"


async def serve_and_shut_down(path: str) -> ConnectionClosed:
    """Serve websockets_disconnect's app, open ``path``, shut the server down, wait for it."""
    stop = trio.Event()
    config = hypercorn_config("127.0.0.1", 0, graceful_timeout=1.0)
    start = partial(serve, shutdown_trigger=stop, handle_signals=False)
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(start, websockets_disconnect.app, config)
            host, _, port = binds[0].removeprefix("http://").rpartition(":")
            # trio-websocket leaves its socket open when the server closes first, so the
            # test owns the TCP stream and closes it.
            stream = await trio.open_tcp_stream(host, int(port))
            async with stream, trio.open_nursery() as client_nursery:
                connection = await wrap_client_stream(client_nursery, stream, host, path)
                await connection.send_message("hi")
                assert await connection.get_message() == "hi"
                stop.set()
                with pytest.raises(ConnectionClosed) as info:
                    await connection.get_message()
        # The server has stopped: its handlers and their cleanup are done.
    return info.value


async def test_docs_serving_shutdown_closes_websockets_with_1001() -> None:
    """serve() (what app.run and the CLI use) closes open websockets with 1001 at shutdown."""
    closed = await serve_and_shut_down("/ws/dave")
    assert closed.reason is not None
    assert (closed.reason.code, closed.reason.reason) == (1001, "server shutting down")


async def test_docs_serving_shutdown_runs_the_disconnect_cleanup() -> None:
    await serve_and_shut_down("/ws/erin")
    assert ("erin", 1001, "server shutting down") in websockets_disconnect.presence.departures


async def test_docs_serving_close_all_closes_open_websockets_with_1001() -> None:
    """What serve() does at shutdown, done by hand: every open connection gets 1001."""
    app = websockets_disconnect.app
    async with app.test_client().websocket("/ws/frank") as ws:
        await ws.send("ping")
        assert await ws.receive() == "ping"
        await app.connected_websockets.close_all(1001, "server shutting down")
        with pytest.raises(WebsocketDisconnectError) as info:
            await ws.receive()
    assert (info.value.code, info.value.reason) == (1001, "server shutting down")
    assert ("frank", 1001, "server shutting down") in websockets_disconnect.presence.departures
    assert len(app.connected_websockets) == 0


# --- api.md ------------------------------------------------------------------------------------


async def test_docs_api_extending_the_pipeline() -> None:
    client = extending_app.app.test_client()
    response = await client.get("/")
    assert await response.get_data(as_text=True) == "timed"
    assert response.headers["Server-Timing"].startswith("view;dur=")
    missing = await client.get("/nowhere")  # an error response passes process_response too
    assert missing.status_code == 404
    assert re.fullmatch(r"view;dur=\d+\.\d", missing.headers["Server-Timing"])
