"""The blog, tested the way Quart tests an app: ``app.test_client()``, forms posted with
``form=``, the session cookie carried from one request to the next by the client.

Each test runs under every framework of ``FRAMEWORKS``: trioquart's port, and Quart's original
where ``quart_trio`` is installed. The database is a file in ``tmp_path``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import trio

from trioquart import TrioQuart
from trioquart.testing import TestClient

from .frameworks import Framework


@pytest.fixture
def blog(framework: Framework) -> ModuleType:
    return framework.load("blog")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "blog.sqlite"


@pytest.fixture
async def app(blog: ModuleType, database: Path) -> TrioQuart:
    app: TrioQuart = blog.create_app({"TESTING": True, "DATABASE": str(database)})
    async with app.app_context():
        blog.init_db()
    return app


@pytest.fixture
def client(app: TrioQuart) -> TestClient:
    return app.test_client()


async def text(client: TestClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200
    page: str = await response.get_data(as_text=True)
    return page


async def register(client: TestClient, username: str, password: str = "secret") -> None:
    response = await client.post(
        "/auth/register", form={"username": username, "password": password}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"


async def log_in(client: TestClient, username: str, password: str = "secret") -> None:
    response = await client.post("/auth/login", form={"username": username, "password": password})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


async def create_post(client: TestClient, title: str, body: str) -> None:
    response = await client.post("/create", form={"title": title, "body": body})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


async def test_registering_flashes_a_note_that_the_login_page_shows_once(
    client: TestClient,
) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        assert "Registered. Please log in." in await text(client, "/auth/login")
        assert "Registered. Please log in." not in await text(client, "/auth/login")


async def test_a_login_is_remembered_by_the_session_cookie(client: TestClient) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        assert "Log in" in await text(client, "/")
        await log_in(client, "ada")
        page = await text(client, "/")
        assert '<span class="user">ada</span>' in page
        assert "Log out" in page
        assert "New post" in page


async def test_logging_out_forgets_the_user(client: TestClient) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        await log_in(client, "ada")
        response = await client.get("/auth/logout")
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        page = await text(client, "/")
        assert "Log out" not in page
        assert "ada" not in page


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "secret", "Username is required."),
        ("ada", "", "Password is required."),
        ("taken", "secret", "User taken is already registered."),
    ],
)
async def test_a_bad_registration_shows_the_form_again_with_why(
    client: TestClient, username: str, password: str, message: str
) -> None:
    with trio.fail_after(10):
        await register(client, "taken")
        response = await client.post(
            "/auth/register", form={"username": username, "password": password}
        )
        assert response.status_code == 200
        page = await response.get_data(as_text=True)
        assert f'<p class="flash">{message}</p>' in page
        assert "<h1>Register</h1>" in page


@pytest.mark.parametrize(("username", "password"), [("ada", "wrong"), ("nobody", "secret")])
async def test_a_bad_login_is_refused_and_remembers_nobody(
    client: TestClient, username: str, password: str
) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        response = await client.post(
            "/auth/login", form={"username": username, "password": password}
        )
        assert response.status_code == 200
        assert "Incorrect username or password." in await response.get_data(as_text=True)
        assert "Log out" not in await text(client, "/")


async def test_a_form_without_its_fields_is_a_bad_request(client: TestClient) -> None:
    with trio.fail_after(10):
        response = await client.post("/auth/login", form={"password": "secret"})
        assert response.status_code == 400


@pytest.mark.parametrize(("method", "path"), [("GET", "/create"), ("POST", "/1/update")])
async def test_writing_needs_a_login(client: TestClient, method: str, path: str) -> None:
    with trio.fail_after(10):
        response = await client.open(path, method=method)
        assert response.status_code == 302
        assert response.headers["Location"] == "/auth/login"


async def test_a_post_is_created_shown_updated_and_deleted(
    client: TestClient, database: Path
) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        await log_in(client, "ada")
        assert "No posts yet." in await text(client, "/")

        await create_post(client, "First", "Hello <world>")
        page = await text(client, "/")
        assert "<h2>First</h2>" in page
        assert "Hello &lt;world&gt;" in page  # autoescaped
        assert 'href="/1/update"' in page

        form = await text(client, "/1/update")
        assert 'value="First"' in form
        assert 'action="/1/delete"' in form
        response = await client.post("/1/update", form={"title": "Renamed", "body": "Again"})
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        assert "<h2>Renamed</h2>" in await text(client, "/")

        response = await client.post("/1/delete")
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        assert "No posts yet." in await text(client, "/")
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM post").fetchone() == (0,)
    connection.close()


@pytest.mark.parametrize("path", ["/create", "/1/update"])
async def test_a_post_needs_a_title(client: TestClient, path: str) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        await log_in(client, "ada")
        await create_post(client, "First", "")
        response = await client.post(path, form={"title": "", "body": "text"})
        assert response.status_code == 200
        assert '<p class="flash">Title is required.</p>' in await response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path"), [("GET", "/7/update"), ("POST", "/7/delete")])
async def test_a_missing_post_is_404(client: TestClient, method: str, path: str) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        await log_in(client, "ada")
        response = await client.open(path, method=method)
        assert response.status_code == 404
        assert "Post 7 does not exist." in await response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path"), [("GET", "/1/update"), ("POST", "/1/delete")])
async def test_only_the_author_may_change_a_post(
    app: TrioQuart, client: TestClient, method: str, path: str
) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        await log_in(client, "ada")
        await create_post(client, "Ada's", "mine")
        other = app.test_client()
        await register(other, "bob")
        await log_in(other, "bob")
        response = await other.open(path, method=method)
        assert response.status_code == 403
        page = await text(other, "/")
        assert "<h2>Ada&#39;s</h2>" in page
        assert 'href="/1/update"' not in page


@pytest.fixture
def opened(
    blog: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, sqlite3.Connection]]:
    """Each ``get_db()`` call from now on, as (the thread's name, the connection it gave)."""
    calls: list[tuple[str, sqlite3.Connection]] = []
    get_db: Callable[[], sqlite3.Connection] = blog.get_db

    def recording_get_db() -> sqlite3.Connection:
        connection = get_db()
        calls.append((threading.current_thread().name, connection))
        return connection

    monkeypatch.setattr(blog, "get_db", recording_get_db)
    return calls


def assert_closed(connection: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        connection.execute("SELECT 1")


async def test_the_plain_def_view_runs_in_a_thread_and_teardown_closes_the_database(
    client: TestClient, opened: list[tuple[str, sqlite3.Connection]]
) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        await log_in(client, "ada")
        await create_post(client, "First", "text")
        opened.clear()
        response = await client.post("/1/delete")
        assert response.status_code == 302
    loop_thread = threading.current_thread().name
    # The user is loaded on the event loop; get_post and the delete run in a worker thread.
    assert [thread == loop_thread for thread, _ in opened] == [True, False, False]
    # One connection for the whole request, closed by the teardown_request function.
    assert len({id(connection) for _, connection in opened}) == 1
    assert_closed(opened[0][1])


async def test_a_request_that_aborts_closes_its_connection_too(
    client: TestClient, opened: list[tuple[str, sqlite3.Connection]]
) -> None:
    with trio.fail_after(10):
        await register(client, "ada")
        await log_in(client, "ada")
        opened.clear()
        response = await client.get("/7/update")
        assert response.status_code == 404
    assert opened
    for _, connection in opened:
        assert_closed(connection)


def test_the_init_db_command_creates_the_tables(blog: ModuleType, database: Path) -> None:
    app: TrioQuart = blog.create_app({"DATABASE": str(database)})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert result.output == "Initialized the database.\n"
    with sqlite3.connect(database) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert {"user", "post"} <= {name for (name,) in tables}
    connection.close()
