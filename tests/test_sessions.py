"""Signed-cookie sessions, flashed messages and the test client's cookie jar, in process."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.datastructures import Headers

from trioquart import (
    Response,
    TrioQuart,
    flash,
    get_flashed_messages,
    redirect,
    session,
    tagged_json,
    websocket,
)
from trioquart.sessions import SecureCookieSessionInterface, Session, SessionInterface
from trioquart.testing import TestClient, WebsocketResponseError


@pytest.fixture
def app(app: TrioQuart) -> TrioQuart:
    app.config["SECRET_KEY"] = "test key"

    @app.post("/set/<key>/<value>")
    async def set_value(key: str, value: str) -> str:
        session[key] = value
        return "set"

    @app.get("/get/<key>")
    async def get_value(key: str) -> Any:
        return {"value": session.get(key)}

    @app.get("/dump")
    async def dump() -> Any:
        return dict(session)

    @app.post("/clear")
    async def clear() -> str:
        session.clear()
        return "cleared"

    @app.get("/untouched")
    async def untouched() -> str:
        return "no session here"

    return app


def set_cookies(response: Response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


async def test_a_session_survives_between_requests(client: TestClient) -> None:
    response = await client.post("/set/user/ada")
    (cookie,) = set_cookies(response)
    assert cookie.startswith("session=")
    for attribute in ["HttpOnly", "Path=/", "SameSite=Lax"]:
        assert attribute in cookie
    assert "Expires" not in cookie  # a browser-session cookie until made permanent
    assert "Secure" not in cookie
    assert response.headers["Vary"] == "Cookie"
    response = await client.get("/get/user")
    assert await response.get_json() == {"value": "ada"}


async def test_the_cookie_is_sent_only_when_the_session_changed(client: TestClient) -> None:
    await client.post("/set/user/ada")
    read = await client.get("/get/user")
    assert set_cookies(read) == []
    assert read.headers["Vary"] == "Cookie"  # the answer depends on the cookie
    untouched = await client.get("/untouched")
    assert set_cookies(untouched) == []
    assert "Vary" not in untouched.headers


async def test_an_emptied_session_deletes_the_cookie(client: TestClient) -> None:
    await client.post("/set/user/ada")
    assert "session" in client.cookies
    response = await client.post("/clear")
    (cookie,) = set_cookies(response)
    assert "Max-Age=0" in cookie or "Expires=Thu, 01 Jan 1970" in cookie
    assert "session" not in client.cookies
    assert await (await client.get("/dump")).get_json() == {}


async def test_without_a_secret_key_reading_works_and_writing_names_the_setting(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["SECRET_KEY"] = None
    assert await (await client.get("/get/user")).get_json() == {"value": None}
    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.post("/set/user/ada")
    assert response.status_code == 500
    assert "SECRET_KEY" in caplog.text
    assert set_cookies(response) == []


def signed(app: TrioQuart, value: Any, *, key: str | None = None, age: int = 0) -> str:
    """A session cookie for ``value`` signed with ``key`` (the app's), ``age`` seconds old."""
    interface = SecureCookieSessionInterface()
    if key is not None:
        app = TrioQuart("signer")
        app.config["SECRET_KEY"] = key
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None

    class Aged(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    serializer.signer = Aged
    return serializer.dumps(value)


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "",
        "a.b.c",
        "é",
        "eyJ1c2VyIjoiYWRhIn0.ZZZZZZ.tampered-signature",
        "list",
        "wrong key",
        "expired",
        "bad tag",
    ],
)
async def test_a_bad_cookie_gives_an_empty_session_not_an_error(
    app: TrioQuart, cookie: str
) -> None:
    value = {
        "list": lambda: signed(app, ["not", "a", "dict"]),
        "wrong key": lambda: signed(app, {"user": "mallory"}, key="another key"),
        "expired": lambda: signed(app, {"user": "ada"}, age=32 * 24 * 3600),
        "bad tag": lambda: _bad_tag_cookie(app),
    }.get(cookie, lambda: cookie)()
    client = app.test_client()
    response = await client.get("/dump", headers={"Cookie": f"session={value}"})
    assert response.status_code == 200
    assert await response.get_json() == {}


def _bad_tag_cookie(app: TrioQuart) -> str:
    """Signed with the app's key, but with a tag that cannot be read back."""
    interface = SecureCookieSessionInterface()
    plain_json = URLSafeTimedSerializer(
        app.config["SECRET_KEY"],
        salt=interface.salt,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return plain_json.dumps({"user": {" d": "not a date"}})


async def test_a_fresh_cookie_within_the_lifetime_is_read(app: TrioQuart) -> None:
    cookie = signed(app, {"user": "ada"}, age=30 * 24 * 3600)
    response = await app.test_client().get("/dump", headers={"Cookie": f"session={cookie}"})
    assert await response.get_json() == {"user": "ada"}


async def test_key_rotation_accepts_old_signatures_and_signs_with_the_new_key(
    app: TrioQuart,
) -> None:
    old_cookie = signed(app, {"user": "ada"})
    app.config.update(SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["test key"])
    client = app.test_client()
    client.set_cookie("localhost", "session", old_cookie)
    assert await (await client.get("/get/user")).get_json() == {"value": "ada"}
    await client.post("/set/role/admin")
    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key is retired
    assert await (await client.get("/dump")).get_json() == {"user": "ada", "role": "admin"}


async def test_permanent_sessions_expire_after_the_lifetime_and_are_refreshed(
    app: TrioQuart, client: TestClient
) -> None:
    @app.post("/login")
    async def login() -> str:
        session.permanent = True
        session["user"] = "ada"
        return "in"

    app.config["PERMANENT_SESSION_LIFETIME"] = 3600  # seconds, or a timedelta
    response = await client.post("/login")
    (cookie,) = set_cookies(response)
    assert "Expires=" in cookie
    expires = response.headers.getlist("Set-Cookie")[0].split("Expires=")[1].split(";")[0]
    when = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(minutes=59) < when - datetime.now(UTC) <= timedelta(hours=1)
    # Each response renews a permanent session's cookie...
    assert len(set_cookies(await client.get("/get/user"))) == 1
    # ...unless told not to.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert set_cookies(await client.get("/get/user")) == []
    assert "_permanent" not in await (await client.get("/get/user")).get_json()


async def test_cookie_settings(app: TrioQuart, client: TestClient) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    (cookie,) = set_cookies(await client.post("/set/user/ada"))
    assert cookie.startswith("sid=")
    for attribute in ["Domain=example.com", "Path=/app", "Secure", "SameSite=Strict"]:
        assert attribute in cookie
    assert "Partitioned" in cookie
    assert "HttpOnly" not in cookie


async def test_the_cookie_path_defaults_to_the_application_root(
    app: TrioQuart, client: TestClient
) -> None:
    app.config["APPLICATION_ROOT"] = "/mounted"
    (cookie,) = set_cookies(await client.post("/set/user/ada"))
    assert "Path=/mounted" in cookie


async def test_session_values_keep_their_types(app: TrioQuart, client: TestClient) -> None:
    stored = {
        "tuple": (1, "two", (3,)),
        "bytes": b"\x00\xff",
        "when": datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        "id": uuid.UUID(int=7),
        "html": Markup("<b>bold</b>"),
        "tricky": {" t": "looks like a tag"},
        "nested": [{"a": [1, 2.5, None, True]}],
    }

    @app.post("/store")
    async def store() -> str:
        session.update(stored)
        return "stored"

    @app.get("/check")
    async def check() -> str:
        assert {key: session[key] for key in stored} == stored
        assert isinstance(session["html"], Markup)
        return "same"

    await client.post("/store")
    response = await client.get("/check")
    assert await response.get_data() == b"same"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text() | st.binary(),
        lambda children: (
            st.lists(children, max_size=3)
            | st.tuples(children, children)
            | st.dictionaries(st.text(max_size=4), children, max_size=3)
        ),
        max_leaves=10,
    )
)
def test_tagged_json_round_trips(value: Any) -> None:
    assert tagged_json.loads(tagged_json.dumps(value)) == value


@pytest.mark.parametrize(
    "text", ['{" t": 5}', '{" di": 1}', '{" d": 3}', '{" b": "%%%"}', '{" u": "x"}', "[" * 50_000]
)
def test_tagged_json_refuses_malformed_tags_with_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"Malformed tagged JSON|nested too deeply"):
        tagged_json.loads(text)


async def test_flashed_messages_are_shown_once(app: TrioQuart, client: TestClient) -> None:
    @app.post("/save")
    async def save() -> Response:
        await flash("Saved.")
        await flash("Disk almost full.", "warning")
        await flash("Backup failed.", "error")
        return redirect("/show")

    @app.get("/show")
    async def show() -> Any:
        return {
            "all": get_flashed_messages(),
            "paired": get_flashed_messages(with_categories=True),
            "problems": get_flashed_messages(category_filter=["warning", "error"]),
        }

    response = await client.post("/save")
    assert response.status_code == 302
    shown = await (await client.get("/show")).get_json()
    assert shown == {
        "all": ["Saved.", "Disk almost full.", "Backup failed."],
        "paired": [
            ["message", "Saved."],
            ["warning", "Disk almost full."],
            ["error", "Backup failed."],
        ],
        "problems": ["Disk almost full.", "Backup failed."],
    }
    again = await (await client.get("/show")).get_json()
    assert again == {"all": [], "paired": [], "problems": []}


def test_session_outside_a_request_says_where_it_lives() -> None:
    with pytest.raises(RuntimeError, match="session_transaction"):
        session.get("user")
    with pytest.raises(RuntimeError, match="request or websocket context"):
        get_flashed_messages()


async def test_session_transaction_prepares_and_reads_the_session(client: TestClient) -> None:
    async with client.session_transaction() as prepared:
        assert dict(prepared) == {}
        prepared["user"] = "ada"
        assert session["user"] == "ada"  # the global works inside the block too
    assert await (await client.get("/get/user")).get_json() == {"value": "ada"}
    await client.post("/set/role/admin")
    async with client.session_transaction() as seen:
        assert dict(seen) == {"user": "ada", "role": "admin"}
    # An unchanged session leaves the jar as it was.
    assert await (await client.get("/dump")).get_json() == {"user": "ada", "role": "admin"}


async def test_session_transaction_needs_a_secret_key_and_a_trioquart_app(
    app: TrioQuart, client: TestClient
) -> None:
    app.config["SECRET_KEY"] = None
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        async with client.session_transaction():
            pass

    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    with pytest.raises(TypeError, match="trioquart app"):
        async with TestClient(raw_app).session_transaction():
            pass


async def test_the_cookie_jar_keeps_cookies_by_path_and_host(app: TrioQuart) -> None:
    @app.get("/<path:anywhere>")
    async def cookies_seen(anywhere: str) -> Any:
        from trioquart import request

        return dict(request.cookies)

    client = app.test_client()
    client.set_cookie("localhost", "everywhere", "1")
    client.set_cookie("localhost", "admin_only", "2", path="/admin")
    client.set_cookie("other.example", "foreign", "3")
    client.set_cookie("localhost", "https_only", "4", secure=True)
    assert await (await client.get("/admin/users")).get_json() == {
        "everywhere": "1",
        "admin_only": "2",
    }
    assert await (await client.get("/home")).get_json() == {"everywhere": "1"}
    assert await (await client.get("/home", scheme="https")).get_json() == {
        "everywhere": "1",
        "https_only": "4",
    }
    client.delete_cookie("localhost", "everywhere")
    assert await (await client.get("/home")).get_json() == {}


@pytest.fixture
def ws_app(app: TrioQuart) -> TrioQuart:
    @app.websocket("/ws")
    async def whoami() -> Any:
        user = session.get("user")
        if user is None:
            session["tried"] = "yes"
            return "log in first", 401
        await websocket.send(f"hello {user}")
        return None

    return app


async def test_a_websocket_handshake_reads_the_session(ws_app: TrioQuart) -> None:
    client = ws_app.test_client()
    await client.post("/set/user/ada")
    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "hello ada"


async def test_a_websocket_rejection_carries_the_session_cookie(ws_app: TrioQuart) -> None:
    client = ws_app.test_client()
    with pytest.raises(WebsocketResponseError) as caught:
        async with client.websocket("/ws"):
            pass
    response = caught.value.response
    assert response.status_code == 401
    assert any(cookie.startswith("session=") for cookie in set_cookies(response))


async def test_cookies_from_several_cookie_headers_are_read_as_one(app: TrioQuart) -> None:
    @app.get("/cookies")
    async def cookies_seen() -> Any:
        from trioquart import request

        seen = dict(request.cookies)
        request.headers = Headers([("Cookie", "replaced=1")])
        return {"before": seen, "after": dict(request.cookies), "user": session.get("user")}

    client = app.test_client()
    await client.post("/set/user/ada")
    session_cookie = f"session={client.cookies['session']}"
    headers = [("Cookie", "a=1"), ("Cookie", f"b=2; {session_cookie}")]
    response = await client.get("/cookies", headers=headers)
    data = await response.get_json()
    assert data["before"] == {"a": "1", "b": "2", "session": client.cookies["session"]}
    assert data["after"] == {"replaced": "1"}  # new headers, cookies read again
    assert data["user"] == "ada"  # the session cookie found in the second header


class MemorySessions(SessionInterface):
    """Sessions kept on the server; the cookie only holds their id (a custom interface)."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}

    async def open_session(self, app: TrioQuart, connection: Any) -> Session | None:
        session_id = connection.cookies.get(self.get_cookie_name(app))
        return Session(self.store.get(session_id, {}) if session_id else {})

    async def save_session(self, app: TrioQuart, session: Session, response: Response) -> None:
        if session.modified:
            session_id = str(len(self.store))
            self.store[session_id] = dict(session)
            response.set_cookie(
                self.get_cookie_name(app),
                session_id,
                httponly=self.get_cookie_httponly(app),
                samesite=self.get_cookie_samesite(app),
            )


async def test_a_session_interface_of_your_own(app: TrioQuart) -> None:
    interface = MemorySessions()
    app.session_interface = interface
    client = app.test_client()
    await client.post("/set/user/ada")
    assert interface.store == {"0": {"user": "ada"}}
    assert client.cookies["session"] == "0"
    assert await (await client.get("/get/user")).get_json() == {"value": "ada"}


async def test_an_interface_that_implements_nothing_fails_loudly(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    class OnlyOpens(SessionInterface):
        async def open_session(self, app: TrioQuart, connection: Any) -> Session | None:
            return Session()

    for interface in [SessionInterface(), OnlyOpens()]:
        app.session_interface = interface
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="trioquart"):
            assert (await app.test_client().get("/untouched")).status_code == 500
        assert "NotImplementedError" in caplog.text


async def test_session_setdefault_and_the_serializer_without_a_key(app: TrioQuart) -> None:
    @app.post("/visit")
    async def visit() -> Any:
        return {"first": session.setdefault("first", "home")}

    client = app.test_client()
    assert await (await client.post("/visit")).get_json() == {"first": "home"}
    assert client.cookies["session"]
    app.config["SECRET_KEY"] = None
    assert SecureCookieSessionInterface().get_signing_serializer(app) is None
