"""What Quart's (and Flask's) example apps reach for: teardown_appcontext, rules without a
view, the instance folder, open_resource, ensure_async, test_client options and
preprocess_request without arguments."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import trio

from trioquart import Blueprint, TrioQuart, g, request, websocket
from trioquart import app as app_module
from trioquart.signals import appcontext_tearing_down
from trioquart.testing import TestClient

# --- teardown_appcontext --------------------------------------------------------------------


@pytest.fixture
def torn_down(app: TrioQuart) -> list[tuple[str, Any]]:
    """What the app's teardown_appcontext function saw: (g.resource, error type name)."""
    seen: list[tuple[str, Any]] = []

    @app.teardown_appcontext
    async def close_resource(error: BaseException | None) -> None:
        seen.append((g.get("resource", "-"), type(error).__name__ if error else None))

    return seen


async def test_teardown_appcontext_runs_after_each_request(
    app: TrioQuart, client: TestClient, torn_down: list[tuple[str, Any]]
) -> None:
    order: list[str] = []

    @app.get("/")
    async def index() -> str:
        g.resource = "db"
        return "ok"

    @app.get("/fails")
    async def fails() -> str:
        g.resource = "db"
        raise ZeroDivisionError

    @app.teardown_request
    async def first(error: BaseException | None) -> None:
        order.append("teardown_request")

    assert (await client.get("/")).status_code == 200
    assert (await client.get("/fails")).status_code == 500
    assert torn_down == [("db", None), ("db", None)]  # the error was answered: a 500
    assert order == ["teardown_request", "teardown_request"]


async def test_teardown_appcontext_runs_after_each_websocket(
    app: TrioQuart, client: TestClient, torn_down: list[tuple[str, Any]]
) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        g.resource = "feed"
        await websocket.send("hi")

    async with client.websocket("/ws") as connection:
        assert await connection.receive() == "hi"
    with trio.fail_after(5):
        while not torn_down:  # the handler ends after the client has its message
            await trio.lowlevel.checkpoint()
    assert torn_down == [("feed", None)]


async def test_teardown_appcontext_runs_once_for_an_outer_app_context(
    app: TrioQuart, torn_down: list[tuple[str, Any]]
) -> None:
    @app.get("/")
    async def index() -> str:
        return g.resource  # type: ignore[no-any-return]

    async with app.app_context():
        g.resource = "shared"
        response = await app.test_client().get("/")
        assert await response.get_data(as_text=True) == "shared"
        assert torn_down == []  # the request shared the outer context
    assert torn_down == [("shared", None)]


async def test_teardown_appcontext_gets_the_error_of_an_app_context_block(
    app: TrioQuart, torn_down: list[tuple[str, Any]]
) -> None:
    async def use_the_cache() -> None:
        async with app.app_context():
            g.resource = "cache"
            raise KeyError("x")

    with pytest.raises(KeyError):
        await use_the_cache()
    assert torn_down == [("cache", "KeyError")]


async def test_teardown_appcontext_for_test_contexts_and_the_lifespan(
    app: TrioQuart, torn_down: list[tuple[str, Any]]
) -> None:
    async with app.test_request_context("/"):
        g.resource = "request"
    async with app.test_websocket_context("/ws"):
        g.resource = "websocket"
    async with app.test_app():
        pass  # the lifespan's own context ends at shutdown
    assert torn_down == [("request", None), ("websocket", None), ("-", None)]


async def test_plain_teardown_appcontext_functions_run_in_a_thread(app: TrioQuart) -> None:
    threads: list[threading.Thread] = []

    @app.teardown_appcontext
    def close(error: BaseException | None) -> None:
        threads.append(threading.current_thread())

    async with app.app_context():
        pass
    assert len(threads) == 1
    assert threads[0] is not threading.current_thread()


async def test_appcontext_tearing_down_signal(app: TrioQuart, client: TestClient) -> None:
    seen: list[Any] = []

    @app.get("/")
    async def index() -> str:
        return "ok"

    async def receiver(sender: TrioQuart, exc: BaseException | None) -> None:
        seen.append((sender, exc))

    with appcontext_tearing_down.connected_to(receiver, sender=app):
        assert (await client.get("/")).status_code == 200
        async with app.app_context():
            pass
    assert seen == [(app, None), (app, None)]


# --- rules without a view, ensure_async -----------------------------------------------------


async def test_a_rule_added_without_a_view_gets_one_from_endpoint(
    app: TrioQuart, client: TestClient
) -> None:
    app.add_url_rule("/", endpoint="index")
    app.add_url_rule("/about", endpoint="about", methods=["GET", "POST"])

    @app.endpoint("index")
    async def index() -> str:
        return "home"

    @app.endpoint("about")
    def about() -> str:  # a plain function runs in a worker thread
        return f"about via {request.method}"

    assert await (await client.get("/")).get_data(as_text=True) == "home"
    assert await (await client.post("/about")).get_data(as_text=True) == "about via POST"
    with pytest.raises(TypeError, match="a view_func or an endpoint"):
        app.add_url_rule("/nothing")
    with pytest.raises(TypeError, match="not the string 'GET'"):
        app.add_url_rule("/bad", endpoint="bad", methods="GET")


async def test_app_ensure_async(app: TrioQuart) -> None:
    async def already() -> str:
        return "async"

    def blocking() -> str:
        return threading.current_thread().name

    assert app.ensure_async(already) is already
    assert await app.ensure_async(blocking)() != threading.current_thread().name


# --- the instance folder and resources -------------------------------------------------------


def test_instance_path_is_beside_the_module_or_package(tmp_path: Path) -> None:
    tests_folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # tests is a package: its instance folder is beside it, at the repository's root.
    assert TrioQuart("tests.conftest").instance_path == os.path.join(tests_folder, "instance")
    assert TrioQuart("no_such_module_anywhere").instance_path == os.path.join(
        os.getcwd(), "instance"
    )
    module = tmp_path / "solo_app_module.py"
    module.write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        found = app_module.find_instance_path("solo_app_module")
    finally:
        sys.path.remove(str(tmp_path))
    assert found == str(tmp_path / "instance")


def test_instance_path_of_an_installed_package() -> None:
    assert TrioQuart("trio").instance_path == os.path.join(sys.prefix, "var", "trio-instance")


async def test_instance_relative_config_and_instance_resources(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text("GREETING = 'from the instance'\n")
    app = TrioQuart(__name__, instance_path=str(tmp_path), instance_relative_config=True)
    assert app.config.from_pyfile("settings.py")
    assert app.config["GREETING"] == "from the instance"
    async with await app.open_instance_resource("notes.txt", "w") as notes:
        await notes.write("kept")
    assert (tmp_path / "notes.txt").read_text() == "kept"
    with pytest.raises(ValueError, match="must be absolute"):
        TrioQuart(__name__, instance_path="relative/instance")


async def test_open_resource_reads_under_the_root_path(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text("create table t (x);")
    app = TrioQuart(__name__, root_path=str(tmp_path))
    async with await app.open_resource("schema.sql") as schema:
        assert await schema.read() == b"create table t (x);"
    blueprint = Blueprint("admin", __name__, root_path=str(tmp_path))
    async with await blueprint.open_resource("schema.sql", "r") as schema:
        assert await schema.read() == "create table t (x);"
    with pytest.raises(ValueError, match="only reads files"):
        await app.open_resource("schema.sql", "w")


# --- test_client options, preprocess_request -------------------------------------------------


async def test_test_client_options_and_class(app: TrioQuart) -> None:
    class ApiClient(TestClient):
        pass

    @app.get("/")
    async def index() -> str:
        return request.host

    assert app.test_client(use_cookies=False).cookie_jar is None
    custom = app.test_client(host="api.example.com")
    assert await (await custom.get("/")).get_data(as_text=True) == "api.example.com"
    app.test_client_class = ApiClient
    assert isinstance(app.test_client(), ApiClient)


async def test_preprocess_request_without_a_request_uses_the_current_one(
    app: TrioQuart,
) -> None:
    @app.before_request
    async def stop_early() -> str | None:
        return "stopped" if request.path == "/stop" else None

    async with app.test_request_context("/stop"):
        assert await app.preprocess_request() == "stopped"
    async with app.test_request_context("/go"):
        assert await app.preprocess_request() is None
    with pytest.raises(RuntimeError, match="needs a request context"):
        await app.preprocess_request()


def test_teardown_appcontext_after_a_cli_command(app: TrioQuart) -> None:
    seen: list[tuple[str, str | None]] = []

    @app.teardown_appcontext
    async def close(error: BaseException | None) -> None:
        seen.append((g.get("resource", "-"), type(error).__name__ if error else None))

    @app.cli.command("load")
    def load() -> None:
        g.resource = "loader"

    @app.cli.command("crash")
    def crash() -> None:
        g.resource = "crasher"
        raise KeyError("x")

    runner = app.test_cli_runner()
    assert runner.invoke(args=["load"]).exit_code == 0
    assert runner.invoke(args=["crash"]).exit_code == 1
    assert seen == [("loader", None), ("crasher", "KeyError")]
