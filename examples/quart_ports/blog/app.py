"""A blog written the way Quart's tutorials write one: an app factory, an ``auth`` blueprint
(under ``/auth``) and a ``blog`` blueprint, a login kept in the session, flashed messages,
Jinja templates and SQLite through the standard library's ``sqlite3``.

The Quart idioms it shows: ``await request.form``, ``await flash(...)``,
``await render_template(...)``, ``before_app_request`` loading the user into ``g``,
``teardown_request`` closing the database, ``abort(404)``, a click command run in the app
context, and a plain ``def`` view, which Quart runs in a worker thread. Blocking work that
would hold the event loop (password hashing) goes to a thread with
``trio.to_thread.run_sync``, where an asyncio app would use ``run_in_executor``.

``quart_app.py`` (Quart on trio) and ``app.py`` (trioquart) differ only in their imports.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from contextlib import closing
from typing import Any

import click
import trio
from werkzeug.security import check_password_hash, generate_password_hash

from trioquart import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from trioquart import TrioQuart as QuartTrio
from trioquart.cli import with_appcontext
from trioquart.typing import ResponseReturnValue

View = Callable[..., Awaitable[ResponseReturnValue]]


def create_app(test_config: Mapping[str, Any] | None = None) -> QuartTrio:
    """The application factory: settings, then ``test_config`` over them, then the parts."""
    app = QuartTrio(__name__)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.root_path, "blog.sqlite"),
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    # Closed when each request ends, as Quart's blog tutorial does; init_db, called outside
    # requests, closes its own connection.
    app.teardown_request(close_db)
    app.cli.add_command(init_db_command)
    app.register_blueprint(auth)
    app.register_blueprint(blog)
    return app


# The database


def connect_db() -> sqlite3.Connection:
    """A new connection to the app's database, giving rows by column name."""
    # One connection serves a request's code on the event loop and, one at a time, the worker
    # threads that run its plain ``def`` view and teardown: sqlite3's same-thread check would
    # refuse the second thread.
    connection = sqlite3.connect(current_app.config["DATABASE"], check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use."""
    if "db" not in g:
        g.db = connect_db()
    db: sqlite3.Connection = g.db
    return db


def close_db(error: BaseException | None = None) -> None:
    """Close the connection, if this request opened one."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db() -> None:
    """Create the tables afresh (any data is lost)."""
    path = os.path.join(current_app.root_path, "schema.sql")
    with open(path, encoding="utf-8") as schema, closing(connect_db()) as db:
        db.executescript(schema.read())


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Clear the existing data and create new tables."""
    init_db()
    click.echo("Initialized the database.")


# Authentication

auth = Blueprint("auth", __name__, url_prefix="/auth")


@auth.before_app_request
async def load_logged_in_user() -> None:
    """Put the logged-in user's row (or ``None``) in ``g.user`` for every request."""
    user_id = session.get("user_id")
    if user_id is None:
        g.user = None
    else:
        g.user = get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()


def login_required(view: View) -> View:
    """Send visitors who are not logged in to the login page instead of ``view``."""

    @functools.wraps(view)
    async def wrapped_view(**kwargs: Any) -> ResponseReturnValue:
        if g.user is None:
            return redirect(url_for("auth.login"))
        return await view(**kwargs)

    return wrapped_view


@auth.route("/register", methods=["GET", "POST"])
async def register() -> ResponseReturnValue:
    """The sign-up form, and the account it creates."""
    if request.method == "POST":
        form = await request.form
        username = form["username"]
        password = form["password"]
        error = None
        if not username:
            error = "Username is required."
        elif not password:
            error = "Password is required."
        else:
            password_hash = await trio.to_thread.run_sync(generate_password_hash, password)
            db = get_db()
            try:
                db.execute(
                    "INSERT INTO user (username, password) VALUES (?, ?)",
                    (username, password_hash),
                )
                db.commit()
            except sqlite3.IntegrityError:
                error = f"User {username} is already registered."
            else:
                await flash("Registered. Please log in.")
                return redirect(url_for("auth.login"))
        await flash(error)
    return await render_template("auth/register.html")


@auth.route("/login", methods=["GET", "POST"])
async def login() -> ResponseReturnValue:
    """The login form; a good password puts the user's id in the session."""
    if request.method == "POST":
        form = await request.form
        user = (
            get_db()
            .execute("SELECT * FROM user WHERE username = ?", (form["username"],))
            .fetchone()
        )
        if user is not None and await trio.to_thread.run_sync(
            check_password_hash, user["password"], form["password"]
        ):
            session.clear()
            session["user_id"] = user["id"]
            return redirect(url_for("blog.index"))
        await flash("Incorrect username or password.")
    return await render_template("auth/login.html")


@auth.route("/logout")
async def logout() -> ResponseReturnValue:
    """Forget the login."""
    session.clear()
    return redirect(url_for("blog.index"))


# Posts

blog = Blueprint("blog", __name__)


@blog.route("/")
async def index() -> str:
    """Every post, newest first."""
    posts = (
        get_db()
        .execute(
            "SELECT p.id, title, body, created, author_id, username"
            " FROM post p JOIN user u ON p.author_id = u.id"
            " ORDER BY created DESC, p.id DESC"
        )
        .fetchall()
    )
    return await render_template("blog/index.html", posts=posts)


def get_post(post_id: int, check_author: bool = True) -> sqlite3.Row:
    """The post ``post_id``; 404 if there is none, 403 if it is not the user's own."""
    post: sqlite3.Row | None = (
        get_db()
        .execute(
            "SELECT p.id, title, body, created, author_id, username"
            " FROM post p JOIN user u ON p.author_id = u.id WHERE p.id = ?",
            (post_id,),
        )
        .fetchone()
    )
    if post is None:
        abort(404, f"Post {post_id} does not exist.")
    if check_author and (g.user is None or post["author_id"] != g.user["id"]):
        abort(403)
    return post


@blog.route("/create", methods=["GET", "POST"])
@login_required
async def create() -> ResponseReturnValue:
    """The form for a new post, and the post it creates."""
    if request.method == "POST":
        form = await request.form
        if not form["title"]:
            await flash("Title is required.")
        else:
            db = get_db()
            db.execute(
                "INSERT INTO post (title, body, author_id) VALUES (?, ?, ?)",
                (form["title"], form["body"], g.user["id"]),
            )
            db.commit()
            return redirect(url_for("blog.index"))
    return await render_template("blog/create.html")


@blog.route("/<int:post_id>/update", methods=["GET", "POST"])
@login_required
async def update(post_id: int) -> ResponseReturnValue:
    """The form to edit one of the user's posts, and the edit."""
    post = get_post(post_id)
    if request.method == "POST":
        form = await request.form
        if not form["title"]:
            await flash("Title is required.")
        else:
            db = get_db()
            db.execute(
                "UPDATE post SET title = ?, body = ? WHERE id = ?",
                (form["title"], form["body"], post_id),
            )
            db.commit()
            return redirect(url_for("blog.index"))
    return await render_template("blog/update.html", post=post)


@blog.route("/<int:post_id>/delete", methods=["POST"])
def delete(post_id: int) -> ResponseReturnValue:
    """Delete one of the user's posts: a plain ``def`` view, run in a worker thread, so its
    blocking SQLite calls leave the event loop free."""
    get_post(post_id)
    db = get_db()
    db.execute("DELETE FROM post WHERE id = ?", (post_id,))
    db.commit()
    return redirect(url_for("blog.index"))
