"""``app.test_request_context`` and ``app.test_websocket_context``: contexts pushed with no
client, routed and with their session, as Quart's ``test_request_context``."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
import trio
from werkzeug.datastructures import Authorization, FileStorage, Headers
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from trioquart import TrioQuart, request, session, url_for, websocket
from trioquart.globals import has_request_context, has_websocket_context
from trioquart.sessions import SecureCookieSessionInterface, Session
from trioquart.testing import TestClient, TestRequestContext, no_op_push


@pytest.fixture
def routed(app: TrioQuart) -> TrioQuart:
    """``app`` with an HTTP route and a websocket route that take an argument."""

    @app.route("/items/<int:item_id>", methods=["GET", "POST"])
    async def item(item_id: int) -> str:
        raise AssertionError("a test context runs no view")

    @app.websocket("/rooms/<name>")
    async def room(name: str) -> None:
        raise AssertionError("a test context runs no handler")

    return app


async def test_test_request_context_body_is_readable(routed: TrioQuart) -> None:
    async with routed.test_request_context("/items/3", method="POST", json={"a": [1, None]}):
        assert request.method == "POST"
        assert await request.get_json() == {"a": [1, None]}
        assert await request.get_json() == {"a": [1, None]}  # read twice, as in a view
        assert request.headers["Content-Type"] == "application/json"
        assert request.content_length == len(b'{"a": [1, null]}')
    assert not has_request_context()


async def test_test_request_context_json_none_is_a_null_body(routed: TrioQuart) -> None:
    async with routed.test_request_context("/items/3", method="POST", json=None):
        assert await request.get_data() == b"null"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"form": {"a": "1", "b": ["2", "3"]}}, {"form": {"a": ["1"], "b": ["2", "3"]}}),
        ({"data": "raw text"}, {"data": b"raw text"}),
        ({"data": b"raw bytes"}, {"data": b"raw bytes"}),
        ({}, {"data": b""}),
    ],
)
async def test_test_request_context_bodies(
    routed: TrioQuart, arguments: dict[str, Any], expected: dict[str, Any]
) -> None:
    async with routed.test_request_context("/items/1", method="POST", **arguments):
        if "form" in expected:
            assert (await request.form).to_dict(flat=False) == expected["form"]
        else:
            assert await request.get_data() == expected["data"]
            assert request.content_length == len(expected["data"])


async def test_test_request_context_files_are_closed_on_exit(routed: TrioQuart) -> None:
    upload = FileStorage(io.BytesIO(b"content"), filename="a.txt")
    async with routed.test_request_context(
        "/items/1", method="POST", form={"title": "t"}, files={"doc": upload}
    ):
        files = await request.files
        assert (await request.form).to_dict() == {"title": "t"}
        assert files["doc"].read() == b"content"
    assert files["doc"].stream.closed


async def test_test_request_context_routes_the_request(routed: TrioQuart) -> None:
    async with routed.test_request_context("/items/7") as ctx:
        assert (request.endpoint, request.view_args) == ("item", {"item_id": 7})
        assert request.routing_exception is None
        assert url_for("item", item_id=8) == "/items/8"
        assert ctx.request is request._get_current_object()  # type: ignore[attr-defined]
        assert ctx.app is routed
    async with routed.test_request_context("/nowhere"):
        assert request.endpoint is None
        assert isinstance(request.routing_exception, NotFound)


async def test_test_request_context_path_is_under_root_path(routed: TrioQuart) -> None:
    """As in Quart: the path given is ``request.path``, and ``url_for`` adds the root."""
    async with routed.test_request_context("/items/2", root_path="/bob"):
        assert request.path == "/items/2"
        assert request.root_path == "/bob"
        assert request.scope["path"] == "/bob/items/2"  # what a server gives
        assert request.view_args == {"item_id": 2}
        assert url_for("item", item_id=5) == "/bob/items/5"


async def test_test_request_context_target_arguments(routed: TrioQuart) -> None:
    async with routed.test_request_context(
        "/items/1",
        query_string={"q": ["a", "b"]},
        headers={"X-One": "1"},
        scheme="https",
        http_version="2",
        auth=("ada", "pa:ss"),
        subdomain="api",
        scope_base={"client": ("10.0.0.9", 4321)},
        send_push_promise=no_op_push,
    ):
        assert request.args.getlist("q") == ["a", "b"]
        assert request.headers["X-One"] == "1"
        assert request.url == "https://api.localhost/items/1?q=a&q=b"
        assert request.http_version == "2"
        assert request.authorization is not None
        assert (request.authorization.username, request.authorization.password) == (
            "ada",
            "pa:ss",
        )
        assert request.remote_addr == "10.0.0.9"


async def test_test_request_context_host_is_the_server_name(routed: TrioQuart) -> None:
    routed.config["SERVER_NAME"] = "example.org"
    async with routed.test_request_context("/items/1?x=1"):
        assert request.host == "example.org"
        assert request.args["x"] == "1"
        assert url_for("item", item_id=1, _external=True) == "http://example.org/items/1"


async def test_test_request_context_opens_the_session(routed: TrioQuart) -> None:
    routed.config["SECRET_KEY"] = "secret"
    interface = SecureCookieSessionInterface()
    stored = Session({"user": "ada"})
    serializer = interface.get_signing_serializer(routed)
    assert serializer is not None
    cookie = f"session={serializer.dumps(dict(stored))}"
    async with routed.test_request_context("/items/1", headers={"Cookie": cookie}) as ctx:
        assert session["user"] == "ada"
        assert ctx.session is session._get_current_object()  # type: ignore[attr-defined]


async def test_test_request_context_runs_teardown_hooks_only(routed: TrioQuart) -> None:
    seen: list[Any] = []

    @routed.before_request
    async def before() -> None:
        seen.append("before_request")

    @routed.teardown_request
    async def teardown(error: BaseException | None) -> None:
        seen.append(("teardown", error))

    async with routed.test_request_context("/items/1"):
        seen.append("inside")
    assert seen == ["inside", ("teardown", None)]
    error = KeyError("boom")
    with pytest.raises(KeyError):
        async with routed.test_request_context("/items/1"):
            raise error
    assert seen[-1] == ("teardown", error)


async def test_test_request_context_push_and_pop(routed: TrioQuart) -> None:
    context = routed.test_request_context("/items/4")
    assert isinstance(context, TestRequestContext)
    assert context.request.path == "/items/4"  # built before it is pushed, as in Quart
    pushed = await context.push()
    assert pushed is context.context
    assert request.view_args == {"item_id": 4}
    await context.pop()
    assert not has_request_context()
    await context.pop()  # a second pop does nothing
    with pytest.raises(
        RuntimeError,
        match=(
            r"^This test_request_context\(\) was pushed already, and a context is pushed once: "
            r"call app.test_request_context\(\) again for another.$"
        ),
    ):
        await context.push()
    assert not has_request_context()


async def test_test_request_context_session_failure_pops_the_context(routed: TrioQuart) -> None:
    class BrokenInterface(SecureCookieSessionInterface):
        async def open_session(self, app: Any, connection: Any) -> Session | None:
            raise OSError("session store down")

    routed.session_interface = BrokenInterface()
    torn_down: list[BaseException | None] = []

    @routed.teardown_request
    async def teardown(error: BaseException | None) -> None:
        torn_down.append(error)

    with pytest.raises(OSError, match=r"^session store down$"):
        async with routed.test_request_context("/items/1"):
            raise AssertionError("not entered")
    assert not has_request_context()
    assert torn_down == [None]


async def test_test_request_context_bad_arguments(routed: TrioQuart) -> None:
    with pytest.raises(
        TypeError, match=r"^send_push_promise must be an async callable, not 'nope'$"
    ):
        routed.test_request_context("/", send_push_promise="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^Give only one of json, form/files and data"):
        routed.test_request_context("/", json={}, data=b"x")
    with pytest.raises(ValueError, match=r"^Give the query string in the path or as query_string"):
        routed.test_request_context("/?a=1", query_string={"b": "2"})
    with pytest.raises(TypeError, match=r"^auth must be a \(username, password\) tuple"):
        routed.test_request_context("/", auth="ada:secret")  # type: ignore[arg-type]


async def test_test_request_context_max_content_length_applies(routed: TrioQuart) -> None:
    routed.config["MAX_CONTENT_LENGTH"] = 4
    async with routed.test_request_context("/items/1", method="POST", data=b"too long"):
        with pytest.raises(RequestEntityTooLarge):
            await request.get_data()


async def test_no_op_push_does_nothing() -> None:
    with trio.testing.assert_checkpoints():
        await no_op_push("/style.css", Headers())


# Websocket contexts


async def test_test_websocket_context_routes_the_handshake(routed: TrioQuart) -> None:
    async with routed.test_websocket_context(
        "/rooms/lobby",
        query_string="token=t",
        headers={"Origin": "http://localhost"},
        subprotocols=["chat.v2", "chat.v1"],
        auth=Authorization("basic", {"username": "ada", "password": "x"}),
        scheme="wss",
        http_version="2",
        scope_base={"client": ("10.0.0.9", 4321)},
    ) as ctx:
        assert has_websocket_context()
        assert ctx.websocket is websocket._get_current_object()  # type: ignore[attr-defined]
        assert (websocket.endpoint, websocket.view_args) == ("room", {"name": "lobby"})
        assert websocket.args["token"] == "t"
        assert websocket.requested_subprotocols == ["chat.v2", "chat.v1"]
        assert websocket.url == "wss://localhost/rooms/lobby?token=t"
        assert websocket.http_version == "2"
        assert websocket.remote_addr == "10.0.0.9"
        assert websocket.authorization is not None
        assert websocket.authorization.username == "ada"
        assert url_for("item", item_id=1) == "/items/1"
    assert not has_websocket_context()


async def test_test_websocket_context_root_path_subdomain_and_session(routed: TrioQuart) -> None:
    routed.config["SECRET_KEY"] = "secret"
    async with routed.test_websocket_context("/rooms/a", root_path="/bob", subdomain="chat"):
        assert (websocket.path, websocket.root_path) == ("/rooms/a", "/bob")
        assert websocket.host == "chat.localhost"
        assert url_for("item", item_id=1) == "/bob/items/1"
        session["seen"] = True
        assert dict(session) == {"seen": True}


async def test_test_websocket_context_runs_teardown_hooks(routed: TrioQuart) -> None:
    seen: list[Any] = []

    @routed.before_websocket
    async def before() -> None:
        seen.append("before_websocket")

    @routed.teardown_websocket
    async def teardown(error: BaseException | None) -> None:
        seen.append(("teardown", error))

    context = routed.test_websocket_context("/rooms/a")
    async with context:
        seen.append("inside")
    assert seen == ["inside", ("teardown", None)]
    await context.pop()  # a second pop does nothing
    assert seen == ["inside", ("teardown", None)]
    with pytest.raises(RuntimeError, match=r"^This test_websocket_context\(\) was pushed"):
        await context.push()


@pytest.mark.parametrize(
    ("step", "action"),
    [("accept", "accept"), ("send", "accept"), ("receive", "accept"), ("close", "send or close")],
)
async def test_test_websocket_context_has_no_client(
    routed: TrioQuart, step: str, action: str
) -> None:
    message = (
        rf"^The websocket of app.test_websocket_context\(\) has no client, so it cannot "
        rf"{action}. To test a conversation, open a connection with "
        r"'async with app.test_client\(\).websocket\(path\) as ws:'.$"
    )
    async with routed.test_websocket_context("/rooms/a"):
        steps: dict[str, Callable[[], Awaitable[Any]]] = {
            "accept": websocket.accept,
            "send": partial(websocket.send, "hello"),
            "receive": websocket.receive,
            "close": partial(websocket.close, 1000),
        }
        with pytest.raises(RuntimeError, match=message):
            await steps[step]()


async def test_test_websocket_context_receive_after_accept_has_no_client(
    routed: TrioQuart,
) -> None:
    async with routed.test_websocket_context("/rooms/a"):
        with pytest.raises(RuntimeError, match="cannot accept"):
            await websocket.accept()
        # The accept was recorded before it failed to go out: receiving now asks the client.
        with pytest.raises(RuntimeError, match="cannot receive"):
            await websocket.receive()
        assert websocket.statistics().queued_messages == 0
        with pytest.raises(RuntimeError, match="cannot send or close"):
            await websocket.close(1000)


async def test_test_websocket_context_session_failure_pops_the_context(
    routed: TrioQuart,
) -> None:
    class BrokenInterface(SecureCookieSessionInterface):
        async def open_session(self, app: Any, connection: Any) -> Session | None:
            raise OSError("session store down")

    routed.session_interface = BrokenInterface()
    with pytest.raises(OSError, match=r"^session store down$"):
        async with routed.test_websocket_context("/rooms/a"):
            raise AssertionError("not entered")
    assert not has_websocket_context()


async def test_test_contexts_and_the_client_share_one_app(
    routed: TrioQuart, client: TestClient
) -> None:
    """A context left open does not leak into requests the client sends meanwhile."""

    @routed.get("/plain")
    async def plain() -> str:
        return request.path

    async with routed.test_request_context("/items/1"):
        response = await client.get("/plain")
        assert await response.get_data() == b"/plain"
        assert request.path == "/items/1"
