"""The in-process test client: how it builds requests, keeps cookies and streams."""

from __future__ import annotations

import io
from typing import Any

import pytest
import trio
from werkzeug.datastructures import FileStorage, Headers

from trioquart import Response, TrioQuart, request
from trioquart.testing import TestClient


@pytest.fixture
def echo_app(app: TrioQuart) -> TrioQuart:
    """``app`` with a route that describes the request it got."""

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo() -> Any:
        files = await request.files
        return {
            "method": request.method,
            "query": request.query_string.decode(),
            "args": request.args.to_dict(flat=False),
            "headers": {name.lower(): value for name, value in request.headers.items()},
            "data": (await request.get_data()).decode("latin-1"),
            "form": (await request.form).to_dict(flat=False),
            "files": {name: files[name].read().decode() for name in files},
            "json": await request.get_json(silent=True),
            "auth": (
                [request.authorization.username, request.authorization.password]
                if request.authorization
                else None
            ),
        }

    return app


async def _echo(client: TestClient, method: str = "GET", **kwargs: Any) -> Any:
    response = await client.open("/echo", method, **kwargs)
    assert response.status_code == 200
    return await response.get_json()


@pytest.mark.parametrize(
    ("path", "query_string", "expected"),
    [
        ("/echo", None, ""),
        ("/echo?a=1&b=2", None, "a=1&b=2"),
        ("/echo", "a=1&b=2", "a=1&b=2"),
        ("/echo", b"a=1&b=2", "a=1&b=2"),
        ("/echo", {"a": "1", "b": ["2", "3"]}, "a=1&b=2&b=3"),
        ("/echo", {"q": "x y&z"}, "q=x+y%26z"),
    ],
)
async def test_test_client_query_string_forms(
    echo_app: TrioQuart, client: TestClient, path: str, query_string: Any, expected: str
) -> None:
    response = await client.get(path, query_string=query_string)
    assert (await response.get_json())["query"] == expected


async def test_test_client_query_in_path_and_argument_is_value_error(client: TestClient) -> None:
    with pytest.raises(
        ValueError, match=r"^Give the query string in the path or as query_string, not both$"
    ):
        await client.get("/echo?a=1", query_string={"b": "2"})


@pytest.mark.parametrize(
    "headers",
    [{"X-One": "1"}, [("X-One", "1")], Headers([("X-One", "1")])],
)
async def test_test_client_headers(echo_app: TrioQuart, client: TestClient, headers: Any) -> None:
    got = (await _echo(client, headers=headers))["headers"]
    assert got["x-one"] == "1"
    assert got["host"] == "localhost"
    assert got["user-agent"] == "trioquart-test-client"


async def test_test_client_headers_override_defaults(
    echo_app: TrioQuart, client: TestClient
) -> None:
    got = (await _echo(client, headers={"Host": "example.org", "User-Agent": "me"}))["headers"]
    assert (got["host"], got["user-agent"]) == ("example.org", "me")


async def test_test_client_json_body(echo_app: TrioQuart, client: TestClient) -> None:
    got = await _echo(client, "POST", json={"a": [1, None]})
    assert got["json"] == {"a": [1, None]}
    assert got["headers"]["content-type"] == "application/json"
    assert got["headers"]["content-length"] == str(len(got["data"]))


async def test_test_client_form_body(echo_app: TrioQuart, client: TestClient) -> None:
    got = await _echo(client, "POST", form={"a": "1", "b": ["2", "3"]})
    assert got["form"] == {"a": ["1"], "b": ["2", "3"]}
    assert got["headers"]["content-type"] == "application/x-www-form-urlencoded"


async def test_test_client_data_body(echo_app: TrioQuart, client: TestClient) -> None:
    got = await _echo(client, "PUT", data=b"raw bytes", headers={"Content-Type": "text/plain"})
    assert got["data"] == "raw bytes"
    assert got["headers"]["content-type"] == "text/plain"
    assert (await _echo(client, "PATCH", data="text"))["data"] == "text"


async def test_test_client_empty_post_has_content_length_zero(
    echo_app: TrioQuart, client: TestClient
) -> None:
    got = await _echo(client, "POST")
    assert got["headers"]["content-length"] == "0"
    assert "content-length" not in (await _echo(client, "GET"))["headers"]


async def test_test_client_files(echo_app: TrioQuart, client: TestClient) -> None:
    got = await _echo(
        client,
        "POST",
        form={"title": "t"},
        files={
            "a": (b"from bytes", "a.txt"),
            "b": (io.BytesIO(b"from a file object"), "b.bin", "application/octet-stream"),
            "c": FileStorage(io.BytesIO(b"from storage"), filename="c.txt"),
        },
    )
    assert got["form"] == {"title": ["t"]}
    assert got["files"] == {"a": "from bytes", "b": "from a file object", "c": "from storage"}
    assert got["headers"]["content-type"].startswith("multipart/form-data; boundary=")


async def test_test_client_bad_files_value_is_type_error(client: TestClient) -> None:
    with pytest.raises(TypeError, match=r"^files values must be \(bytes_or_file, filename"):
        await client.post("/echo", files={"a": b"no filename"})


async def test_test_client_auth(echo_app: TrioQuart, client: TestClient) -> None:
    got = await _echo(client, auth=("user", "pa:ss"))
    assert got["auth"] == ["user", "pa:ss"]
    assert got["headers"]["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"json": {}, "data": b"x"}, "json and data"),
        ({"json": {}, "form": {"a": "1"}}, "json and form"),
        ({"form": {"a": "1"}, "data": "x"}, "form and data"),
        ({"json": 1, "files": {"f": (b"", "f")}}, "json and form"),
    ],
)
async def test_test_client_body_arguments_are_exclusive(
    client: TestClient, kwargs: dict[str, Any], names: str
) -> None:
    with pytest.raises(
        ValueError, match=f"^Give only one of json, form/files and data, not {names}$"
    ):
        await client.post("/echo", **kwargs)


async def test_test_client_keeps_cookies(app: TrioQuart, client: TestClient) -> None:
    @app.get("/set")
    async def set_cookies() -> Response:
        response = Response("set")
        response.set_cookie("plain", "value")
        response.set_cookie("spaced", "a b; c")
        response.set_cookie("accented", "Zoë")
        return response

    @app.get("/get")
    async def get_cookies() -> Any:
        return dict(request.cookies)

    @app.get("/clear")
    async def clear() -> Response:
        response = Response("cleared")
        response.delete_cookie("plain")
        return response

    await client.get("/set")
    assert client.cookies["plain"] == "value"
    assert await (await client.get("/get")).get_json() == {
        "plain": "value",
        "spaced": "a b; c",
        "accented": "Zoë",
    }
    await client.get("/clear")
    assert await (await client.get("/get")).get_json() == {"spaced": "a b; c", "accented": "Zoë"}
    # An explicit Cookie header wins over the stored cookies.
    response = await client.get("/get", headers={"Cookie": "own=1"})
    assert await response.get_json() == {"own": "1"}


@pytest.mark.parametrize(
    ("attributes", "kept"),
    [
        ("Max-Age=0", False),
        ("Max-Age=-1", False),
        ("Max-Age=60", True),
        ("Expires=Wed, 21 Oct 2015 07:28:00 GMT", False),
        ("Expires=Fri, 01 Jan 2100 00:00:00 GMT", True),
        ("Max-Age=60; Expires=Wed, 21 Oct 2015 07:28:00 GMT", True),
        ("Path=/; HttpOnly", True),
    ],
)
async def test_test_client_cookie_expiry(
    app: TrioQuart, client: TestClient, attributes: str, kept: bool
) -> None:
    @app.get("/")
    async def view() -> Any:
        return "", {"Set-Cookie": f"name=value; {attributes}"}

    client.set_cookie("localhost", "name", "old")
    assert client.cookies == {"name": "old"}
    await client.get("/")
    assert client.cookies == ({"name": "value"} if kept else {})


async def test_test_client_request_connection_streams_both_ways(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/upper")
    async def upper() -> Any:
        async def generate() -> Any:
            async for chunk in request.body:
                yield chunk.upper()

        return generate(), {"X-Stream": "yes"}

    with trio.fail_after(5):
        async with client.request(
            "/upper", "POST", query_string={"q": "1"}, headers={"X-H": "h"}
        ) as connection:
            await connection.send(b"abc")
            status, headers = await connection.wait_for_headers()
            assert (status, headers["X-Stream"]) == (200, "yes")
            assert await connection.receive_chunk() == b"ABC"
            await connection.send(b"def")
            assert await connection.receive_chunk() == b"DEF"
            await connection.send_complete()
            response = await connection.as_response()
            assert connection.response_complete
            with pytest.raises(trio.EndOfChannel):
                await connection.receive_chunk()
    assert await response.get_data() == b"ABCDEF"


async def test_test_client_request_connection_exit_disconnects(
    app: TrioQuart, client: TestClient
) -> None:
    cancelled = trio.Event()

    @app.get("/forever")
    async def forever() -> str:
        try:
            await trio.sleep_forever()
        finally:
            cancelled.set()

    with trio.fail_after(5):
        async with client.request("/forever") as connection:
            await trio.testing.wait_all_tasks_blocked()
        assert connection.app_finished.is_set()
    assert cancelled.is_set()


async def test_test_client_request_connection_error_in_block_is_raised(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/forever")
    async def forever() -> str:
        await trio.sleep_forever()

    async def fail_inside() -> None:
        async with client.request("/forever"):
            await trio.testing.wait_all_tasks_blocked()
            raise KeyError("from the test")

    with trio.fail_after(5), pytest.raises(KeyError, match=r"^'from the test'$"):
        await fail_inside()


async def test_test_client_wraps_any_asgi_app() -> None:
    async def bare_app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        message = await receive()
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
        await send({"type": "http.response.body", "body": message["body"], "more_body": False})

    response = await TestClient(bare_app).post("/", data=b"echo")
    assert response.status_code == 201
    assert response.headers["X-A"] == "1"
    assert await response.get_data() == b"echo"


async def test_test_client_app_without_response_is_runtime_error() -> None:
    async def silent_app(scope: Any, receive: Any, send: Any) -> None:
        return None

    with pytest.raises(RuntimeError, match=r"^The app finished without sending a response$"):
        await TestClient(silent_app).get("/")


@pytest.mark.parametrize(
    "path", ["/files/a%20b/caf%C3%A9", "/files/a b/café"], ids=["encoded", "plain"]
)
async def test_test_client_path_is_percent_decoded_like_a_server(
    app: TrioQuart, client: TestClient, path: str
) -> None:
    """Hypercorn gives ``scope["path"]`` percent-decoded; the test client must do the same."""

    @app.get("/files/<path:name>")
    async def files(name: str) -> Any:
        return {"name": name, "path": request.path, "raw": request.scope["raw_path"].decode()}

    response = await client.get(path)
    assert await response.get_json() == {
        "name": "a b/café",
        "path": "/files/a b/café",
        "raw": "/files/a%20b/caf%C3%A9",
    }


@pytest.mark.parametrize(
    ("path", "query_string"),
    [("/echo?q=☃ x&r=1", None), ("/echo", "q=☃ x&r=1"), ("/echo", {"q": "☃ x", "r": "1"})],
)
async def test_test_client_non_ascii_query_is_utf8_percent_encoded(
    echo_app: TrioQuart, client: TestClient, path: str, query_string: Any
) -> None:
    response = await client.get(path, query_string=query_string)
    assert (await response.get_json())["args"] == {"q": ["☃ x"], "r": ["1"]}
