"""The test client's Quart API: redirects, ``trace``, ``scope_base``, ``auth``, ``root_path``,
``http_version``, ``subdomain``, cookies off, the connections' Quart attributes, and the helpers
``quart.testing`` exports."""

from __future__ import annotations

import io
from typing import Any, ClassVar

import pytest
import trio
import trio.testing
from werkzeug.datastructures import Authorization, FileStorage, Headers

from trioquart import Response, TrioQuart, redirect, request, session, url_for, websocket
from trioquart.testing import (
    ClientRedirectError,
    QuartClient,
    TestClient,
    TestHTTPConnection,
    TestWebsocketConnection,
    WebsocketDisconnectError,
    WebsocketResponseError,
    make_test_body_with_headers,
    make_test_headers_path_and_query_string,
    make_test_scope,
)
from trioquart.testing import connections as connections_module
from trioquart.testing.redirects import MAX_REDIRECTS

# Redirects


@pytest.fixture
def redirecting(app: TrioQuart) -> TrioQuart:
    """``app`` with ``/target``, which describes the request it got, and ``/to/<status>``,
    which redirects there with that status (and a cookie)."""

    @app.route("/target", methods=["GET", "HEAD", "POST", "PUT"])
    async def target() -> Any:
        description = {
            "method": request.method,
            "url": request.url,
            "root": request.root_path,
            "data": (await request.get_data()).decode(),
            "type": request.headers.get("Content-Type"),
            "length": request.headers.get("Content-Length"),
            "cookie": request.cookies.get("hop"),
            "auth": request.headers.get("Authorization"),
        }
        return description, {"X-Method": request.method}

    @app.route("/to/<int:status>", methods=["GET", "HEAD", "POST", "PUT"])
    async def to(status: int) -> Response:
        response = redirect("/target?from=redirect", status)
        response.set_cookie("hop", str(status))
        return response

    return app


async def _follow(client: TestClient, method: str, status: int, **kwargs: Any) -> Any:
    response = await client.open(f"/to/{status}", method, follow_redirects=True, **kwargs)
    assert response.status_code == 200
    return await response.get_json()


@pytest.mark.parametrize("status", [301, 302, 303, 305])
async def test_test_client_redirect_becomes_get_without_the_body(
    redirecting: TrioQuart, client: TestClient, status: int
) -> None:
    got = await _follow(client, "POST", status, json={"a": 1}, auth=("ada", "x"))
    assert got["method"] == "GET"
    assert got["url"] == "http://localhost/target?from=redirect"
    assert (got["data"], got["type"], got["length"]) == ("", None, None)
    assert got["cookie"] == str(status)  # the redirect's cookie is sent to the target
    assert got["auth"] is not None  # the other headers are kept, as in Werkzeug


@pytest.mark.parametrize("status", [307, 308])
async def test_test_client_redirect_keeps_method_and_body(
    redirecting: TrioQuart, client: TestClient, status: int
) -> None:
    got = await _follow(client, "PUT", status, data="payload", headers={"Content-Type": "x/y"})
    assert (got["method"], got["data"], got["type"]) == ("PUT", "payload", "x/y")
    assert got["length"] == "7"


@pytest.mark.parametrize("status", [302, 307])
async def test_test_client_redirect_keeps_head(
    redirecting: TrioQuart, client: TestClient, status: int
) -> None:
    response = await client.head(f"/to/{status}", follow_redirects=True)
    assert (response.status_code, response.headers["X-Method"]) == (200, "HEAD")


async def test_test_client_redirects_are_not_followed_by_default(
    redirecting: TrioQuart, client: TestClient
) -> None:
    response = await client.get("/to/302")
    assert response.status_code == 302
    assert response.headers["Location"] == "/target?from=redirect"


@pytest.mark.parametrize(
    ("location", "url"),
    [
        ("http://localhost/target", "http://localhost/target"),
        ("https://localhost/target", "https://localhost/target"),
        ("//localhost/target?a=%C3%A9", "http://localhost/target?a=%C3%A9"),
        ("target?q=x y", "http://localhost/dir/target?q=x%20y"),
        ("http://api.localhost/target", "http://api.localhost/target"),
    ],
)
async def test_test_client_redirect_locations(
    app: TrioQuart, client: TestClient, location: str, url: str
) -> None:
    @app.get("/dir/page")
    async def page() -> Response:
        return redirect(location)

    @app.get("/<path:anywhere>")
    async def anywhere(anywhere: str) -> str:
        query = request.query_string.decode()
        return request.base_url + (f"?{query}" if query else "")

    response = await client.get("/dir/page", follow_redirects=True)
    assert await response.get_data(as_text=True) == url


async def test_test_client_redirect_from_a_subdomain_to_the_parent(
    redirecting: TrioQuart, client: TestClient
) -> None:
    @redirecting.get("/up")
    async def up() -> Response:
        return redirect("http://localhost/target")

    response = await client.get("/up", subdomain="api", follow_redirects=True)
    assert (await response.get_json())["url"] == "http://localhost/target"


async def test_test_client_redirect_under_the_root_path(
    redirecting: TrioQuart, client: TestClient
) -> None:
    @redirecting.get("/inside")
    async def inside() -> Response:
        return redirect(url_for("target"))

    @redirecting.get("/outside")
    async def outside() -> Response:
        return redirect("/target")

    response = await client.get("/mount/inside", root_path="/mount", follow_redirects=True)
    got = await response.get_json()
    assert (got["url"], got["root"]) == ("http://localhost/mount/target", "/mount")
    # Outside the mount point the root path is dropped, as in Werkzeug: the app sees it all.
    response = await client.get("/mount/outside", root_path="/mount", follow_redirects=True)
    got = await response.get_json()
    assert (got["url"], got["root"]) == ("http://localhost/target", "")


@pytest.mark.parametrize(
    "location", ["https://example.com/", "http://localhost.evil/", "ftp://localhost/file"]
)
async def test_test_client_redirect_to_another_site_is_refused(
    app: TrioQuart, client: TestClient, location: str
) -> None:
    @app.get("/away")
    async def away() -> Response:
        return redirect(location)

    with pytest.raises(
        RuntimeError,
        match=(
            rf"^Cannot follow the redirect to '{location}': the test client sends requests "
            r"only to the app, at 'localhost' and its subdomains.$"
        ),
    ):
        await client.get("/away", follow_redirects=True)


async def test_test_client_redirect_loop_is_an_error(app: TrioQuart, client: TestClient) -> None:
    @app.get("/a")
    async def a() -> Response:
        return redirect("/b")

    @app.get("/b")
    async def b() -> Response:
        return redirect("/a")

    with pytest.raises(
        ClientRedirectError,
        match=(
            r"^Redirect loop: the app answered 302 to http://localhost/b a second time; "
            r"following it would never end.$"
        ),
    ):
        await client.get("/a", follow_redirects=True)


async def test_test_client_endless_redirect_chain_is_an_error(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/step/<int:n>")
    async def step(n: int) -> Response:
        return redirect(f"/step/{n + 1}")

    with pytest.raises(
        ClientRedirectError,
        match=(
            rf"^Stopped after {MAX_REDIRECTS} redirects \(the last to "
            rf"http://localhost/step/{MAX_REDIRECTS + 1}\): the app keeps redirecting.$"
        ),
    ):
        await client.get("/step/0", follow_redirects=True)


@pytest.mark.parametrize(("status", "headers"), [(302, {}), (304, {"Location": "/x"})])
async def test_test_client_unfollowable_redirects_are_returned(
    app: TrioQuart, client: TestClient, status: int, headers: dict[str, str]
) -> None:
    @app.get("/")
    async def index() -> Any:
        return "", status, headers

    response = await client.get("/", follow_redirects=True)
    assert response.status_code == status


# The other arguments of open()


async def test_test_client_trace(app: TrioQuart, client: TestClient) -> None:
    methods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]

    @app.route("/", methods=methods)
    async def echo() -> Response:
        return Response(request.method, headers={"X-Method": request.method})

    for method in methods:
        response = await getattr(client, method.lower())("/")
        assert response.headers["X-Method"] == method


async def test_test_client_scope_base_everywhere(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def index() -> str:
        return str(request.remote_addr)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(str(websocket.remote_addr))

    base = {"client": ("127.0.0.2", 1234)}
    assert await (await client.get("/", scope_base=base)).get_data() == b"127.0.0.2"
    async with client.request("/", scope_base=base) as connection:
        assert await (await connection.as_response()).get_data() == b"127.0.0.2"
    async with client.websocket("/ws", scope_base=base) as socket:
        assert await socket.receive() == "127.0.0.2"


@pytest.mark.parametrize(
    "auth", [("user", "pass"), Authorization("basic", {"username": "user", "password": "pass"})]
)
async def test_test_client_auth_forms(app: TrioQuart, client: TestClient, auth: Any) -> None:
    @app.get("/")
    async def echo() -> str:
        assert request.authorization is not None
        return f"{request.authorization.username}:{request.authorization.password}"

    @app.websocket("/ws")
    async def ws() -> None:
        assert websocket.authorization is not None
        await websocket.send(str(websocket.authorization.username))

    response = await client.get("/", auth=auth)
    assert await response.get_data(as_text=True) == "user:pass"
    async with client.websocket("/ws", auth=auth) as connection:
        assert await connection.receive() == "user"


async def test_test_client_explicit_authorization_header_wins(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def echo() -> str:
        return request.headers["Authorization"]

    response = await client.get("/", auth=("user", "pass"), headers={"Authorization": "Bearer t"})
    assert await response.get_data() == b"Bearer t"


async def test_test_client_explicit_content_type_wins(app: TrioQuart, client: TestClient) -> None:
    @app.post("/")
    async def echo() -> Any:
        return {"type": request.headers["Content-Type"], "json": await request.get_json(force=True)}

    response = await client.post("/", json=[1], headers={"Content-Type": "application/vnd.a+json"})
    assert await response.get_json() == {"type": "application/vnd.a+json", "json": [1]}


@pytest.mark.parametrize("auth", ["user:pass", ("user",), ("user", 1)])
async def test_test_client_bad_auth_is_type_error(client: TestClient, auth: Any) -> None:
    with pytest.raises(TypeError, match=r"^auth must be a \(username, password\) tuple of str"):
        await client.get("/", auth=auth)


async def test_test_client_root_path_has_quarts_meaning(app: TrioQuart, client: TestClient) -> None:
    """The path is the whole path; ``root_path`` is the mount point the app strips from it
    (Quart's ``tests/test_basic.py::test_root_path``)."""

    @app.get("/")
    async def index() -> Any:
        return {
            "path": request.path,
            "root": request.root_path,
            "url": request.url,
            "link": url_for("index"),
        }

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(f"{websocket.root_path} {websocket.path}")

    assert (await client.get("/", root_path="/bob")).status_code == 404
    response = await client.get("/bob/", root_path="/bob")
    assert await response.get_json() == {
        "path": "/",
        "root": "/bob",
        "url": "http://localhost/bob/",
        "link": "/bob/",
    }
    async with client.websocket("/bob/ws", root_path="/bob") as connection:
        assert await connection.receive() == "/bob /ws"


async def test_test_client_cookies_follow_the_whole_path(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/set")
    async def set_cookie() -> Response:
        response = Response("set")
        response.set_cookie("scoped", "1", path="/bob")
        return response

    @app.get("/get")
    async def get_cookie() -> str:
        return request.cookies.get("scoped", "none")

    await client.get("/bob/set", root_path="/bob")
    assert await (await client.get("/bob/get", root_path="/bob")).get_data() == b"1"
    assert await (await client.get("/get")).get_data() == b"none"


@pytest.mark.parametrize("http_version", ["1.0", "2"])
async def test_test_client_http_version_everywhere(
    app: TrioQuart, client: TestClient, http_version: str
) -> None:
    @app.get("/")
    async def index() -> str:
        return request.http_version

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(websocket.http_version)

    version = http_version.encode()
    assert await (await client.get("/", http_version=http_version)).get_data() == version
    async with client.request("/", http_version=http_version) as connection:
        assert await (await connection.as_response()).get_data() == version
    async with client.websocket("/ws", http_version=http_version) as socket:
        assert await socket.receive() == http_version


async def test_test_client_subdomain_and_server_name(app: TrioQuart) -> None:
    app.config["SERVER_NAME"] = "example.org"

    @app.get("/")
    async def index() -> str:
        return request.host

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(websocket.host)

    client = app.test_client()
    assert client.host == "example.org"
    assert await (await client.get("/")).get_data() == b"example.org"
    assert await (await client.get("/", subdomain="api")).get_data() == b"api.example.org"
    async with client.websocket("/ws", subdomain="chat") as connection:
        assert await connection.receive() == "chat.example.org"
    assert TestClient(app, host="other.test").host == "other.test"


async def test_test_client_without_cookies(app: TrioQuart) -> None:
    @app.get("/")
    async def index() -> Response:
        response = Response(request.headers.get("Cookie", "no cookie"))
        response.set_cookie("kept", "1")
        return response

    client = TestClient(app, use_cookies=False)
    assert client.cookie_jar is None
    await client.get("/")
    assert await (await client.get("/")).get_data() == b"no cookie"
    async with client.request("/") as connection:
        assert await (await connection.as_response()).get_data() == b"no cookie"
    assert client.cookies == {}
    message = r"_cookie\(\) needs cookies, and this client was made with use_cookies=False.$"
    with pytest.raises(RuntimeError, match=f"^set{message}"):
        client.set_cookie("localhost", "a", "1")
    with pytest.raises(RuntimeError, match=f"^delete{message}"):
        client.delete_cookie("localhost", "a")
    with pytest.raises(RuntimeError, match=r"^session_transaction\(\) needs cookies"):
        async with client.session_transaction():
            pass


async def test_test_client_session_transaction_arguments(app: TrioQuart) -> None:
    """The path is under ``root_path`` here, as in Quart's ``session_transaction``."""
    app.config["SECRET_KEY"] = "secret"
    seen: list[Any] = []

    @app.get("/")
    async def index() -> str:
        return str(session.get("user"))

    client = app.test_client()
    async with client.session_transaction(
        "/", root_path="/bob", method="POST", auth=("a", "b"), http_version="2", subdomain="api"
    ) as prepared:
        seen.append((request.method, request.path, request.url, request.http_version))
        assert request.authorization is not None
        prepared["user"] = "ada"
    assert seen == [("POST", "/", "http://api.localhost/bob/", "2")]
    # The cookie was stored for the subdomain and the mount point.
    response = await client.get("/bob/", root_path="/bob", subdomain="api")
    assert await response.get_data() == b"ada"
    assert await (await client.get("/")).get_data() == b"None"


async def test_quart_client_is_the_test_client(app: TrioQuart) -> None:
    @app.get("/")
    async def index() -> str:
        return "hello"

    assert QuartClient is TestClient
    assert isinstance(app.test_client(), QuartClient)
    assert await (await QuartClient(app).get("/")).get_data() == b"hello"


async def test_test_client_connection_classes_can_be_replaced(app: TrioQuart) -> None:
    @app.get("/")
    async def index() -> str:
        return "hello"

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("hi")

    class RecordingHTTP(TestHTTPConnection):
        opened: ClassVar[list[str]] = []

        async def __aenter__(self) -> RecordingHTTP:
            self.opened.append(self.scope["path"])
            await super().__aenter__()
            return self

    class RecordingWebsocket(TestWebsocketConnection):
        opened: ClassVar[list[str]] = []

        async def __aenter__(self) -> RecordingWebsocket:
            self.opened.append(self.scope["path"])
            await super().__aenter__()
            return self

    class Client(TestClient):
        http_connection_class = RecordingHTTP
        websocket_connection_class = RecordingWebsocket

    client = Client(app)
    async with client.request("/") as connection:
        assert await (await connection.as_response()).get_data() == b"hello"
    async with client.websocket("/ws") as socket:
        assert await socket.receive() == "hi"
    assert (RecordingHTTP.opened, RecordingWebsocket.opened) == (["/"], ["/ws"])


# The connections


async def test_connections_module_has_quarts_names() -> None:
    assert connections_module.TestHTTPConnection is TestHTTPConnection
    assert connections_module.TestWebsocketConnection is TestWebsocketConnection
    assert connections_module.WebsocketDisconnectError is WebsocketDisconnectError
    assert connections_module.WebsocketResponseError is WebsocketResponseError
    assert sorted(connections_module.__all__) == [
        "TestHTTPConnection",
        "TestWebsocketConnection",
        "WebsocketDisconnectError",
        "WebsocketResponseError",
    ]


async def test_websocket_disconnect_cancels_the_handler(
    app: TrioQuart, client: TestClient, autojump_clock: trio.testing.MockClock
) -> None:
    record: list[Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("ready")
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            record.append(("cancelled", websocket.close_code))
            raise

    with trio.fail_after(5):
        async with client.websocket("/ws") as connection:
            assert connection.accepted
            assert await connection.receive() == "ready"
            await connection.disconnect()
            with pytest.raises(WebsocketDisconnectError) as caught:
                await connection.receive()
            assert caught.value.code == 1005  # no status: Quart's disconnect sends no code
            await connection.disconnect()  # a second call does nothing
            await connection.close(1000)  # nor does a close after it
    assert record == [("cancelled", 1005)]


async def test_websocket_client_close_code_is_raised_on_receive(
    app: TrioQuart, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("one")
        await trio.sleep_forever()

    with trio.fail_after(5):
        async with client.websocket("/ws") as connection:
            await trio.testing.wait_all_tasks_blocked()  # "one" is sent
            await connection.close(4001, "done")
            assert await connection.receive() == "one"  # sent before the close: still read
            with pytest.raises(WebsocketDisconnectError) as caught:
                await connection.receive()
    assert (caught.value.code, caught.value.reason) == (4001, "done")


async def test_websocket_connection_quart_attributes(app: TrioQuart, client: TestClient) -> None:
    @app.websocket("/ws")
    async def handler() -> Any:
        return "go away", 401, {"X-Why": "no token"}

    connection = client.websocket("/ws?a=1")
    assert connection.app is app
    assert connection.scope["query_string"] == b"a=1"
    assert (connection.accepted, connection.status_code, connection.headers) == (
        False,
        None,
        None,
    )
    assert connection.response_data == b""
    with pytest.raises(WebsocketResponseError):
        async with connection:
            pass
    assert not connection.accepted
    assert connection.status_code == 401
    assert connection.headers is not None
    assert connection.headers["X-Why"] == "no token"
    assert connection.response_data == b"go away"


async def test_websocket_app_error_before_answering_is_raised_as_itself() -> None:
    """An app that lets its error escape (as Quart's do when testing) is not answered with a
    stand-in 500: the test sees the error itself, as with Quart's test client."""

    async def failing_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # websocket.connect
        raise ZeroDivisionError("before answering")

    with trio.fail_after(5), pytest.raises(ZeroDivisionError, match=r"^before answering$"):
        async with TestClient(failing_app).websocket("/ws"):
            raise AssertionError("not entered")


async def test_http_connection_quart_attributes(app: TrioQuart, client: TestClient) -> None:
    @app.post("/upper")
    async def upper() -> Any:
        return (await request.get_data()).upper(), 201, {"X-A": "1"}

    with trio.fail_after(5):
        async with client.request("/upper", "POST") as connection:
            assert connection.app is app
            assert connection.scope["path"] == "/upper"
            assert (connection.status_code, connection.headers) == (None, None)
            await connection.send(b"data")
            await connection.send_complete()
            assert await connection.receive() == b"DATA"
            assert connection.status_code == 201
            assert connection.headers is not None
            assert connection.headers["X-A"] == "1"
            with pytest.raises(trio.EndOfChannel):
                await connection.receive()
        # As in Quart's documentation: the response is assembled after the block.
        response = await connection.as_response()
    assert await response.get_data() == b"DATA"


async def test_http_connection_app_without_response_is_an_error(client: TestClient) -> None:
    async def silent_app(scope: Any, receive: Any, send: Any) -> None:
        return None

    async def partial_app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})

    with trio.fail_after(5):
        async with TestClient(silent_app).request("/") as connection:
            with pytest.raises(
                RuntimeError, match=r"^The app finished without sending a response$"
            ):
                await connection.wait_for_headers()
            with pytest.raises(trio.EndOfChannel):
                await connection.receive()
        async with TestClient(partial_app).request("/") as connection:
            assert await connection.wait_for_headers() == (200, Headers())
        with pytest.raises(
            RuntimeError,
            match=(
                r"^The app finished without completing its response \(HTTP 200, 4 bytes of "
                r"body sent before it stopped\)$"
            ),
        ):
            await connection.as_response()


# The helpers of quart.testing


def test_make_test_headers_path_and_query_string(app: TrioQuart) -> None:
    headers, path, query = make_test_headers_path_and_query_string(
        app, "/path%20x", None, {"a": ["b", "c"]}, ("user", "pass"), "api"
    )
    assert (path, query) == ("/path x", b"a=b&a=c")
    assert headers["Host"] == "api.localhost"
    assert headers["User-Agent"] == "trioquart-test-client"
    assert headers["Authorization"] == "Basic dXNlcjpwYXNz"
    headers, path, query = make_test_headers_path_and_query_string(
        app, "/p?b=c", Headers({"User-Agent": "Quarty", "host": "quart.com"})
    )
    assert (path, query) == ("/p", b"b=c")
    assert headers == Headers({"host": "quart.com", "User-Agent": "Quarty"})
    with pytest.raises(ValueError, match=r"^Give the query string in the path"):
        make_test_headers_path_and_query_string(app, "/?a=b", None, {"c": "d"})


def test_make_test_body_with_headers() -> None:
    assert make_test_body_with_headers(data="data") == (b"data", Headers())
    assert make_test_body_with_headers(form={"a": "b"}) == (
        b"a=b",
        Headers({"Content-Type": "application/x-www-form-urlencoded"}),
    )
    assert make_test_body_with_headers(json={"a": "b"}) == (
        b'{"a": "b"}',
        Headers({"Content-Type": "application/json"}),
    )
    body, headers = make_test_body_with_headers(
        form={"b": "c"}, files={"a": FileStorage(io.BytesIO(b"abc"), filename="q.txt")}
    )
    boundary = headers["Content-Type"].removeprefix("multipart/form-data; boundary=")
    assert f"--{boundary}".encode() in body
    assert b'name="a"; filename="q.txt"' in body
    assert b"abc" in body
    assert make_test_body_with_headers(form={}, files={}) == (
        b"",
        Headers({"Content-Type": "application/x-www-form-urlencoded"}),
    )
    with pytest.raises(ValueError, match=r"^Give only one of json, form/files and data"):
        make_test_body_with_headers(json={}, data="")


@pytest.mark.parametrize(
    ("path", "raw_path"), [("/", b"/"), ("/❤️ 100%", b"/%E2%9D%A4%EF%B8%8F%20100%25")]
)
def test_make_test_scope(path: str, raw_path: bytes) -> None:
    scope = make_test_scope(
        "http",
        path,
        "get",
        Headers({"X-A": "1"}),
        b"q=1",
        "https",
        "",
        "1.1",
        {"client": ("127.0.0.2", 1234)},
    )
    assert scope == {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": raw_path,
        "query_string": b"q=1",
        "root_path": "",
        "headers": [(b"x-a", b"1")],
        "client": ("127.0.0.2", 1234),
        "server": ("localhost", 443),
        "extensions": {},
    }


def test_make_test_scope_websocket() -> None:
    scope = make_test_scope(
        "websocket",
        "/bob/ws",
        "GET",
        Headers(),
        b"",
        "wss",
        "/bob",
        "2",
        {"extensions": {}},  # without the denial extension: a rejection becomes a 403
        subprotocols=["chat"],
    )
    assert (scope["path"], scope["root_path"], scope.get("subprotocols")) == (
        "/bob/ws",
        "/bob",
        ["chat"],
    )
    assert scope.get("extensions") == {}
    assert scope.get("server") == ("localhost", 443)
    with pytest.raises(ValueError, match=r"^A websocket handshake is a GET request, not 'POST'$"):
        make_test_scope("websocket", "/", "POST", Headers(), b"", "ws", "", "1.1", None)
    with pytest.raises(
        ValueError,
        match=r"^make_test_scope\(\) makes 'http' or 'websocket' scopes, not 'lifespan'$",
    ):
        make_test_scope("lifespan", "/", "GET", Headers(), b"", "ws", "", "1.1", None)  # type: ignore[call-overload]
