"""Quart's application API: logger, debug/testing/secret_key, extensions, make_response,
add_background_task, propagated exceptions, generator bodies and scope paths."""

from __future__ import annotations

import io
import logging
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import pytest
import trio
import trio.testing

from trioquart import Response, TrioQuart, current_app, g, make_response, request, websocket
from trioquart import app as app_module
from trioquart.testing import TestClient, WebsocketDisconnectError, WebsocketResponseError

# --- attributes -----------------------------------------------------------------------------


def test_debug_testing_and_secret_key_read_and_write_the_config(app: TrioQuart) -> None:
    assert (app.debug, app.testing, app.secret_key) == (False, False, None)
    app.debug = True
    app.testing = True
    app.secret_key = "s3cret"
    assert app.config["DEBUG"] is True
    assert app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == "s3cret"
    assert (app.debug, app.testing, app.secret_key) == (True, True, "s3cret")


def test_extensions_is_a_dict_for_each_app() -> None:
    first, second = TrioQuart(__name__), TrioQuart(__name__)
    first.extensions["cache"] = object()
    assert "cache" not in second.extensions


@pytest.mark.parametrize(
    ("setting", "testing", "debug", "propagates"),
    [
        (None, False, False, False),
        (None, True, False, True),
        (None, False, True, True),
        (False, True, True, False),
        (True, False, False, True),
    ],
)
def test_propagate_exceptions_follows_testing_and_debug_unless_set(
    app: TrioQuart, setting: bool | None, testing: bool, debug: bool, propagates: bool
) -> None:
    app.config.update(PROPAGATE_EXCEPTIONS=setting, TESTING=testing, DEBUG=debug)
    assert app.propagate_exceptions is propagates


# --- logger ---------------------------------------------------------------------------------


def _fresh_logger(monkeypatch: pytest.MonkeyPatch, name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    return logger


def test_logger_is_named_after_the_module_and_is_debug_in_debug_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger = _fresh_logger(monkeypatch, "parity_debug_app")
    app = TrioQuart("parity_debug_app", root_path=".")
    app.debug = True
    assert app.logger is logger
    assert logger.level == logging.DEBUG
    assert app.logger is app.logger  # made once


def test_logger_keeps_a_level_the_app_set(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = _fresh_logger(monkeypatch, "parity_level_app")
    logger.setLevel(logging.WARNING)
    app = TrioQuart("parity_level_app", root_path=".")
    app.debug = True
    assert app.logger.level == logging.WARNING


def test_logger_of_main_is_named_after_the_script(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_logger(monkeypatch, "serve_me")
    main = types.ModuleType("__main__")
    main.__file__ = "/srv/site/serve_me.py"
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert TrioQuart("__main__", root_path=".").logger.name == "serve_me"


def test_logger_of_main_without_a_file_keeps_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_logger(monkeypatch, "__main__")
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    assert TrioQuart("__main__", root_path=".").logger.name == "__main__"


def test_logger_writes_to_stderr_when_nothing_else_shows_its_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger = _fresh_logger(monkeypatch, "parity_stderr_app")
    monkeypatch.setattr(logger, "propagate", False)  # no root handler (pytest's) to lean on
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    app = TrioQuart("parity_stderr_app", root_path=".")
    app.logger.warning("disk %s", "full")
    assert app.logger.handlers == [app_module.default_handler]
    assert stderr.getvalue().endswith("WARNING in test_app_parity: disk full\n")
    app_module.default_handler.stream = io.StringIO()  # ignored: it follows sys.stderr
    assert app_module.default_handler.stream is stderr


def test_logger_adds_no_handler_when_an_ancestor_shows_its_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger = _fresh_logger(monkeypatch, "parity_parent.child")
    parent = _fresh_logger(monkeypatch, "parity_parent")
    parent.addHandler(logging.NullHandler())
    app = TrioQuart("parity_parent.child", root_path=".")
    assert app.logger is logger
    assert logger.handlers == []


def test_logger_adds_a_handler_when_handlers_filter_its_level_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger = _fresh_logger(monkeypatch, "parity_quiet_app")
    monkeypatch.setattr(logger, "propagate", False)
    logger.setLevel(logging.INFO)
    quiet = logging.NullHandler(level=logging.ERROR)
    logger.addHandler(quiet)
    app = TrioQuart("parity_quiet_app", root_path=".")
    assert app.logger.handlers == [quiet, app_module.default_handler]


async def test_unhandled_errors_are_logged_on_the_app_logger(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/")
    async def fails() -> str:
        raise KeyError("gone")

    with caplog.at_level(logging.ERROR):
        assert (await client.get("/")).status_code == 500
    [record] = [r for r in caplog.records if r.getMessage() == "Exception on GET /"]
    assert record.name == app.logger.name == "tests.conftest"  # where the fixture made it


# --- make_response --------------------------------------------------------------------------


async def test_make_response_is_awaited_and_uses_the_apps_conversion(app: TrioQuart) -> None:
    class TaggingApp(TrioQuart):
        async def make_response(self, rv: Any) -> Response:
            response = await super().make_response(rv)
            response.headers["X-Made-By"] = "TaggingApp"
            return response

    tagging = TaggingApp(__name__)

    @tagging.get("/")
    async def index() -> Response:
        response = await make_response("made", 201)
        assert response.headers["X-Made-By"] == "TaggingApp"
        return response

    @tagging.get("/plain")
    async def plain() -> str:
        return "plain"

    client = tagging.test_client()
    response = await client.get("/")
    assert response.status_code == 201
    assert await response.get_data(as_text=True) == "made"
    assert (await client.get("/plain")).headers["X-Made-By"] == "TaggingApp"


async def test_make_response_outside_an_app_context_converts_alone() -> None:
    response = await make_response({"a": 1}, 202)
    assert response.status_code == 202
    assert await response.get_json() == {"a": 1}


async def test_app_make_response_names_the_websocket_handler_in_errors(app: TrioQuart) -> None:
    @app.websocket("/ws")
    async def refuses() -> object:
        return object()  # neither accepted nor a response

    with pytest.raises(WebsocketResponseError) as caught:
        async with app.test_client().websocket("/ws"):
            pass  # pragma: no cover - the connection is refused
    assert caught.value.response.status_code == 500


async def test_app_make_response_outside_a_request(app: TrioQuart) -> None:
    response = await app.make_response(("late", 404))
    assert response.status_code == 404
    with pytest.raises(TypeError, match="'<no view>' returned object"):
        await app.make_response(object())


async def test_a_view_returning_an_unawaited_coroutine_gets_a_clear_error(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/")
    async def forgot_await() -> Any:
        return make_response("x")

    with caplog.at_level(logging.ERROR):
        assert (await client.get("/")).status_code == 500
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None
    assert "returned a coroutine; await it" in str(record.exc_info[1])


# --- generator bodies -----------------------------------------------------------------------


async def test_a_plain_generator_streams_from_a_worker_thread(
    app: TrioQuart, client: TestClient
) -> None:
    loop_thread = threading.current_thread()
    threads: list[threading.Thread] = []

    @app.get("/")
    async def numbers() -> Iterator[str]:
        def generate() -> Iterator[str]:
            for number in range(3):
                threads.append(threading.current_thread())
                yield f"{number};"

        return generate()

    response = await client.get("/")
    assert await response.get_data(as_text=True) == "0;1;2;"
    assert "Content-Length" not in response.headers
    assert threads
    assert all(thread is not loop_thread for thread in threads)


async def test_a_response_of_a_plain_iterable_is_streamed(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def chunks() -> Response:
        return Response([b"a", "b", b"c"], mimetype="text/plain")

    response = await client.get("/")
    assert await response.get_data() == b"abc"


async def test_a_generator_left_early_is_closed_in_its_thread(app: TrioQuart) -> None:
    closed = trio.Event()
    token = trio.lowlevel.current_trio_token()

    @app.get("/")
    async def endless() -> Iterator[bytes]:
        def generate() -> Iterator[bytes]:
            try:
                while True:
                    yield b"x" * 1024
            finally:
                token.run_sync_soon(closed.set)

        return generate()

    async with app.test_client().request("/") as connection:
        assert await connection.receive_chunk()
        await connection.disconnect()
    with trio.fail_after(5):
        await closed.wait()


# --- propagated exceptions ------------------------------------------------------------------


async def test_testing_lets_errors_leave_the_test_client(
    app: TrioQuart, client: TestClient
) -> None:
    torn_down: list[BaseException | None] = []
    app.testing = True

    @app.get("/")
    async def fails() -> str:
        raise ZeroDivisionError("boom")

    @app.teardown_request
    async def record(error: BaseException | None) -> None:
        torn_down.append(error)

    with pytest.raises(ZeroDivisionError, match="boom"):
        await client.get("/")
    assert [type(error) for error in torn_down] == [ZeroDivisionError]


async def test_propagation_keeps_http_errors_and_error_handlers(
    app: TrioQuart, client: TestClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.get("/missing")
    async def missing() -> str:
        raise LookupError("handled")

    @app.errorhandler(LookupError)
    async def lookup_failed(error: LookupError) -> tuple[str, int]:
        return f"handled: {error}", 404

    response = await client.get("/missing")
    assert response.status_code == 404
    assert await response.get_data(as_text=True) == "handled: handled"
    assert (await client.get("/nowhere")).status_code == 404


async def test_testing_lets_websocket_errors_before_accept_leave_the_client(
    app: TrioQuart, client: TestClient
) -> None:
    app.testing = True

    @app.websocket("/ws")
    async def fails() -> None:
        raise ZeroDivisionError("before accept")

    with pytest.raises(ZeroDivisionError, match="before accept"):
        async with client.websocket("/ws") as ws:
            await ws.receive()  # pragma: no cover - the app raised before accepting


async def test_testing_lets_websocket_errors_after_accept_leave_after_the_close(
    app: TrioQuart, client: TestClient
) -> None:
    app.testing = True
    closes: list[int] = []

    @app.websocket("/ws")
    async def fails() -> None:
        await websocket.accept()
        await websocket.receive()
        raise ZeroDivisionError("after accept")

    with pytest.raises(ZeroDivisionError, match="after accept"):  # noqa: PT012
        async with client.websocket("/ws") as ws:
            await ws.send("go")
            try:
                await ws.receive()
            except WebsocketDisconnectError as error:
                closes.append(error.code)
                await trio.sleep_forever()  # the app's error ends the block
    assert closes == [1011]


async def test_websocket_http_errors_after_accept_close_1011_without_propagating(
    app: TrioQuart, client: TestClient
) -> None:
    from trioquart import abort

    app.testing = True

    @app.websocket("/ws")
    async def aborts() -> None:
        await websocket.accept()
        abort(400)

    async with client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError) as caught:
            await ws.receive()
    assert caught.value.code == 1011


# --- add_background_task --------------------------------------------------------------------


async def test_add_background_task_runs_in_an_app_context(app: TrioQuart) -> None:
    seen: list[tuple[str, Any, int]] = []
    done = trio.Event()

    async def job(label: str, *, size: int) -> None:
        g.label = label
        seen.append((current_app.name, g.label, size))
        done.set()

    @app.post("/jobs")
    async def start() -> tuple[str, int]:
        app.add_background_task(job, "nightly", size=3)
        return "queued", 202

    async with app.test_app() as test_app:
        response = await test_app.test_client().post("/jobs")
        assert response.status_code == 202
        with trio.fail_after(5):
            await done.wait()
    assert seen == [(app.name, "nightly", 3)]


async def test_add_background_task_runs_plain_functions_in_a_thread(app: TrioQuart) -> None:
    threads: list[threading.Thread] = []
    token = trio.lowlevel.current_trio_token()
    done = trio.Event()

    def blocking_job() -> None:
        threads.append(threading.current_thread())
        assert current_app.name == app.name
        token.run_sync_soon(done.set)

    async with app.test_app():
        app.add_background_task(blocking_job)
        with trio.fail_after(5):
            await done.wait()
    assert threads
    assert threads[0] is not threading.current_thread()


def test_add_background_task_needs_the_app_served(app: TrioQuart) -> None:
    async def job() -> None:  # pragma: no cover - never started
        pass

    with pytest.raises(RuntimeError, match=r"app\.test_app"):
        app.add_background_task(job)


async def test_serving_hooks_may_be_plain_functions(app: TrioQuart) -> None:
    calls: list[str] = []

    @app.before_serving
    def warm_up() -> None:
        calls.append("before")

    @app.after_serving
    def cool_down() -> None:
        calls.append("after")

    async with app.test_app():
        assert calls == ["before"]
    assert calls == ["before", "after"]


# --- scope paths ----------------------------------------------------------------------------


async def _get(app: TrioQuart, path: str, *, root_path: str = "") -> tuple[int, bytes]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": root_path,
        "headers": [(b"host", b"example.com")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    return messages[0]["status"], messages[1]["body"]


async def test_a_path_outside_the_root_path_is_not_routed(app: TrioQuart) -> None:
    @app.get("/")
    async def index() -> str:
        return f"root={request.root_path} url_root={request.url_root} script={request.script_root}"

    assert (await _get(app, "/", root_path="/app"))[0] == 404
    assert (await _get(app, "/application", root_path="/app"))[0] == 404
    status, body = await _get(app, "/app/", root_path="/app")
    assert status == 200
    assert body == b"root=/app url_root=http://example.com/app/ script=/app"


async def test_an_absolute_url_path_routes_by_its_path(app: TrioQuart) -> None:
    @app.get("/page")
    async def page() -> str:
        return request.path

    assert await _get(app, "http://example.com/page") == (200, b"/page")
    assert (await _get(app, "http://example.com"))[0] == 404


async def test_websocket_has_url_root(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def root_url() -> None:
        await websocket.send(websocket.url_root)

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "ws://localhost/"


async def _open_websocket_raw(app: TrioQuart, spec_version: str) -> list[dict[str, Any]]:
    """Run the app's websocket at ``/ws`` as a server speaking ``spec_version`` would."""
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop()
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "http_version": "1.1",
        "scheme": "ws",
        "path": "/ws",
        "raw_path": b"/ws",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "subprotocols": [],
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    return sent


async def test_accept_headers_on_an_old_asgi_server_are_dropped_with_a_warning(
    app: TrioQuart,
) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept(headers={"X-Server": "trioquart"})

    with pytest.warns(RuntimeWarning, match="no accept headers"):
        sent = await _open_websocket_raw(app, "2.0")
    assert sent[0] == {"type": "websocket.accept", "subprotocol": None}
    sent = await _open_websocket_raw(app, "2.1")
    assert sent[0]["headers"] == [(b"x-server", b"trioquart")]


async def test_a_handler_that_fails_on_a_connection_gone_during_the_handshake_is_not_logged(
    app: TrioQuart, autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The client leaves while the handler, shielded, cannot be cancelled; the handler's
    own accept then fails on the closed connection: nobody to answer, nothing to report."""
    errors: list[BaseException | None] = []

    @app.websocket("/ws")
    async def stubborn() -> None:
        with trio.CancelScope(shield=True):
            await trio.sleep(1)  # the client leaves meanwhile
            await websocket.accept()

    @app.teardown_websocket
    async def record(error: BaseException | None) -> None:
        errors.append(error)

    with caplog.at_level(logging.DEBUG):
        sent = await _open_websocket_raw(app, "2.3")
    assert sent == []
    assert [type(error).__name__ for error in errors] == ["WebsocketClosedError"]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_logger_writes_to_stderr_when_no_logger_up_to_the_root_has_a_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_logger(monkeypatch, "parity_bare_app")
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    app = TrioQuart("parity_bare_app", root_path=".")
    assert app.logger.handlers == [app_module.default_handler]
