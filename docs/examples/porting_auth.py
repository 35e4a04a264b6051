"""Porting: logins without an extension (what quart-auth gives a Quart app).

The user's id is kept in the signed session cookie; ``login_required`` guards views and
websocket handlers alike, and ``current_user`` is looked up once per request.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from trioquart import TrioQuart, abort, g, redirect, request, session, url_for, websocket

P = ParamSpec("P")
R = TypeVar("R")

USERS = {"ada": "correct horse"}  # a stand-in for your user store

app = TrioQuart(__name__)
app.secret_key = secrets.token_hex(32)


def login_user(user_id: str) -> None:
    """Remember ``user_id`` in the session; a fresh session id guards against fixation."""
    session.clear()
    session["user_id"] = user_id


def logout_user() -> None:
    """Forget who is logged in."""
    session.clear()


@app.before_request
@app.before_websocket
async def load_current_user() -> None:
    g.current_user = session.get("user_id")


def login_required(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Answer 401 unless someone is logged in (views and websocket handlers)."""

    @functools.wraps(view)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        if g.current_user is None:
            abort(401)
        return await view(*args, **kwargs)

    return guarded


@app.post("/login")
async def login() -> Any:
    form = await request.form
    user, password = form.get("user", ""), form.get("password", "")
    if not secrets.compare_digest(USERS.get(user, ""), password):
        abort(401)
    login_user(user)
    return redirect(url_for("profile"))


@app.post("/logout")
async def logout() -> Any:
    logout_user()
    return redirect(url_for("login"))


@app.get("/profile")
@login_required
async def profile() -> str:
    return f"Hello, {g.current_user}"


@app.websocket("/ws")
@login_required
async def updates() -> None:
    await websocket.send(f"Hello, {g.current_user}")
