"""Templates: Jinja2 in async mode, per-app and per-blueprint folders, context, loading."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import jinja2
import pytest
import trio
import trio.lowlevel

from trioquart import (
    Blueprint,
    TrioQuart,
    flash,
    g,
    render_template,
    render_template_string,
    session,
    stream_template,
    stream_template_string,
    websocket,
)
from trioquart.testing import TestHTTPConnection


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def app(tmp_path: Path) -> TrioQuart:
    """An app whose root is a temporary folder with a ``templates`` folder in it."""
    app = TrioQuart("templated", root_path=str(tmp_path))
    app.config["SECRET_KEY"] = "templates"
    (tmp_path / "templates").mkdir()
    return app


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    return tmp_path / "templates"


async def test_render_template_from_the_app_folder_autoescapes_html_only(
    app: TrioQuart, templates: Path
) -> None:
    write(templates, "page.html", "<p>{{ text }}</p>")
    write(templates, "mail.txt", "Dear {{ text }}")
    write(templates, "feed.xml", "<t>{{ text }}</t>")

    @app.get("/<name>")
    async def page(name: str) -> str:
        return await render_template(name, text="<b>&</b>")

    client = app.test_client()
    assert await (await client.get("/page.html")).get_data() == b"<p>&lt;b&gt;&amp;&lt;/b&gt;</p>"
    assert await (await client.get("/feed.xml")).get_data() == b"<t>&lt;b&gt;&amp;&lt;/b&gt;</t>"
    assert await (await client.get("/mail.txt")).get_data() == b"Dear <b>&</b>"


async def test_render_template_string_is_autoescaped_and_may_await(app: TrioQuart) -> None:
    async def slow_greeting(name: str) -> str:
        await trio.lowlevel.checkpoint()
        return f"hello {name}"

    @app.get("/")
    async def page() -> str:
        return await render_template_string(
            "{{ greet(who) }} {{ who }}", greet=slow_greeting, who="<ada>"
        )

    response = await app.test_client().get("/")
    assert await response.get_data() == b"hello &lt;ada&gt; &lt;ada&gt;"


async def test_the_context_has_what_flask_templates_expect(app: TrioQuart) -> None:
    @app.get("/target")
    async def target() -> str:
        return "target"

    @app.get("/")
    async def page() -> str:
        g.user = "ada"
        session["theme"] = "dark"
        await flash("Saved.", "info")
        return await render_template_string(
            "{{ url_for('target') }}|{{ request.path }}|{{ session.theme }}|{{ g.user }}|"
            "{{ config.SECRET_KEY }}|{{ get_flashed_messages(with_categories=True) }}"
        )

    response = await app.test_client().get("/")
    assert await response.get_data(as_text=True) == (
        "/target|/|dark|ada|templates|[(&#39;info&#39;, &#39;Saved.&#39;)]"
    )


async def test_a_websocket_handler_renders_with_websocket_in_the_context(
    app: TrioQuart,
) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(await render_template_string("{{ websocket.path }}"))

    async with app.test_client().websocket("/ws") as connection:
        assert await connection.receive() == "/ws"


async def test_context_processors_filters_tests_and_globals(app: TrioQuart) -> None:
    @app.context_processor
    def site() -> dict[str, Any]:
        return {"site": "trioquart", "who": "processor"}

    @app.context_processor
    async def user() -> dict[str, Any]:
        await trio.lowlevel.checkpoint()
        return {"user": "ada"}

    @app.template_filter()
    def shout(text: str) -> str:
        return text.upper() + "!"

    @app.template_filter("twice")
    def repeat(text: str) -> str:
        return text * 2

    @app.template_test()
    def even(number: int) -> bool:
        return number % 2 == 0

    @app.template_global()
    def answer() -> int:
        return 42

    @app.get("/")
    async def page() -> str:
        return await render_template_string(
            "{{ site }} {{ user|shout }} {{ 'ab'|twice }} {{ 4 is even }} {{ answer() }} {{ who }}",
            who="caller",  # the caller's values win over the processors'
        )

    response = await app.test_client().get("/")
    assert await response.get_data() == b"trioquart ADA! abab True 42 caller"


async def test_blueprint_templates_and_processors(app: TrioQuart, tmp_path: Path) -> None:
    blueprint = Blueprint(
        "admin", __name__, template_folder="admin_templates", root_path=str(tmp_path)
    )
    write(tmp_path / "admin_templates", "admin/index.html", "admin: {{ section }} {{ app_wide }}")
    write(tmp_path / "admin_templates", "shared.html", "from the blueprint")
    write(tmp_path / "templates", "shared.html", "from the app")

    @blueprint.context_processor
    def section() -> dict[str, str]:
        return {"section": "users"}

    @blueprint.app_context_processor
    def app_wide() -> dict[str, str]:
        return {"app_wide": "everywhere"}

    @blueprint.app_template_filter("reverse_text")
    def reverse_text(text: str) -> str:
        return text[::-1]

    @blueprint.app_template_test("short")
    def short(text: str) -> bool:
        return len(text) < 3

    @blueprint.app_template_global("version")
    def version() -> str:
        return "1.0"

    @blueprint.get("/")
    async def index() -> str:
        return await render_template("admin/index.html")

    @blueprint.get("/shared")
    async def shared() -> str:
        return await render_template("shared.html")

    @app.get("/")
    async def home() -> str:
        return await render_template_string(
            "{{ section|default('none') }} {{ app_wide }} {{ 'abc'|reverse_text }} "
            "{{ 'ab' is short }} {{ version() }}"
        )

    app.register_blueprint(blueprint, url_prefix="/admin")
    client = app.test_client()
    assert await (await client.get("/admin/")).get_data() == b"admin: users everywhere"
    # The app's folder is searched first.
    assert await (await client.get("/admin/shared")).get_data() == b"from the app"
    assert await (await client.get("/")).get_data() == b"none everywhere cba True 1.0"
    assert app.jinja_env.list_templates() == ["admin/index.html", "shared.html"]


async def test_the_first_template_of_a_list_that_exists_is_used(
    app: TrioQuart, templates: Path
) -> None:
    write(templates, "fallback.html", "fallback")

    @app.get("/")
    async def page() -> str:
        return await render_template(["missing.html", "fallback.html"])

    assert await (await app.test_client().get("/")).get_data() == b"fallback"


async def test_a_missing_template_is_a_logged_500(
    app: TrioQuart, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/")
    async def page() -> str:
        return await render_template("nowhere.html")

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await app.test_client().get("/")
    assert response.status_code == 500
    assert "TemplateNotFound: nowhere.html" in caplog.text


async def test_templates_are_read_in_a_worker_thread_once(
    app: TrioQuart, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(templates, "page.html", "version 1")
    reads: list[bool] = []
    loader = app.jinja_loader
    assert loader is not None
    original = loader.get_source

    def get_source(environment: jinja2.Environment, name: str) -> Any:
        reads.append(threading.current_thread() is threading.main_thread())
        return original(environment, name)

    monkeypatch.setattr(loader, "get_source", get_source)

    @app.get("/")
    async def page() -> str:
        return await render_template("page.html")

    client = app.test_client()
    for _ in range(3):
        assert await (await client.get("/")).get_data() == b"version 1"
    assert reads == [False]  # read once, and not on the event loop's thread


async def test_changed_templates_are_read_again_in_debug_mode(
    app: TrioQuart, templates: Path
) -> None:
    path = write(templates, "page.html", "version 1")

    @app.get("/")
    async def page() -> str:
        return await render_template("page.html")

    client = app.test_client()
    assert await (await client.get("/")).get_data() == b"version 1"
    path.write_text("version 2", encoding="utf-8")
    later = path.stat().st_mtime + 10
    os.utime(path, (later, later))
    assert await (await client.get("/")).get_data() == b"version 1"  # not in debug: kept
    app.config["DEBUG"] = True
    assert await (await client.get("/")).get_data() == b"version 2"
    app.config["TEMPLATES_AUTO_RELOAD"] = False  # wins over DEBUG
    path.write_text("version 3", encoding="utf-8")
    os.utime(path, (later + 10, later + 10))
    assert await (await client.get("/")).get_data() == b"version 2"


async def test_stream_template_sends_the_page_in_pieces(app: TrioQuart, templates: Path) -> None:
    write(templates, "list.html", "{% for item in items %}<li>{{ item }}</li>{% endfor %}")

    @app.get("/")
    async def page() -> Any:
        return await stream_template("list.html", items=["a", "<b>"])

    client = app.test_client()
    async with client.request("/") as connection:
        await connection.send_complete()
        await connection.wait_for_headers()
        pieces = await read_all(connection)
    assert b"".join(pieces) == b"<li>a</li><li>&lt;b&gt;</li>"
    assert len(pieces) > 1


async def read_all(connection: TestHTTPConnection) -> list[bytes]:
    pieces = []
    try:
        while True:
            pieces.append(await connection.receive_chunk())
    except trio.EndOfChannel:
        return pieces


async def test_rendering_needs_an_app_context(app: TrioQuart) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        await render_template_string("x")
    async with app.app_context():
        assert await render_template_string("{{ 1 + 1 }}") == "2"


def test_the_default_folders_are_relative_to_the_module() -> None:
    app = TrioQuart(__name__)
    here = os.path.dirname(os.path.abspath(__file__))
    assert app.root_path == here
    assert app.template_folder == "templates"
    assert app.static_folder == os.path.join(here, "static")
    assert app.static_url_path == "/static"
    assert TrioQuart("no.such.module").root_path == os.getcwd()
    assert TrioQuart(__name__, static_folder=None).static_url_path is None
    assert TrioQuart(__name__, static_url_path="/assets/").static_url_path == "/assets"


async def test_template_objects_overrides_and_streamed_strings(
    app: TrioQuart, templates: Path
) -> None:
    path = write(templates, "page.html", "one")
    template = app.jinja_env.from_string("{{ word }} from an object")

    @app.get("/object")
    async def from_object() -> str:
        return await render_template(template, word="hello")

    @app.get("/stream")
    async def streamed() -> Any:
        return await stream_template_string("{% for n in range(3) %}{{ n }}{% endfor %}")

    @app.get("/page")
    async def page() -> str:
        return await render_template("page.html")

    client = app.test_client()
    assert await (await client.get("/object")).get_data() == b"hello from an object"
    assert await (await client.get("/stream")).get_data() == b"012"
    assert await (await client.get("/page")).get_data() == b"one"
    app.jinja_env.auto_reload = True  # set on the environment, it wins over the config
    path.write_text("two", encoding="utf-8")
    later = path.stat().st_mtime + 10
    os.utime(path, (later, later))
    assert await (await client.get("/page")).get_data() == b"two"


async def test_a_blueprint_without_templates_is_skipped(app: TrioQuart, templates: Path) -> None:
    write(templates, "page.html", "from the app")
    bare = Blueprint("bare", __name__)
    assert bare.jinja_loader is None

    @bare.get("/")
    async def page() -> str:
        return await render_template("page.html")

    app.register_blueprint(bare, url_prefix="/bare")
    assert await (await app.test_client().get("/bare/")).get_data() == b"from the app"
