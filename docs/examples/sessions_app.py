"""A login kept in the session, trusted by the websocket handshake, with flashed messages."""

from __future__ import annotations

from typing import Any

from trioquart import (
    Response,
    TrioQuart,
    flash,
    get_flashed_messages,
    redirect,
    request,
    session,
    websocket,
)

app = TrioQuart(__name__)
app.config["SECRET_KEY"] = "change me: secrets.token_hex() in production"

PASSWORDS = {"ada": "analytical engine"}


@app.post("/login")
async def login() -> Response:
    form = await request.form
    user = form.get("user", "")
    if PASSWORDS.get(user) != form.get("password"):
        await flash("Wrong user name or password.", "error")
        return redirect("/")
    session["user"] = user
    session.permanent = form.get("remember") == "on"  # else gone when the browser closes
    await flash(f"Welcome back, {user}.")
    return redirect("/")


@app.post("/logout")
async def logout() -> Response:
    session.clear()
    return redirect("/")


@app.get("/")
async def home() -> dict[str, Any]:
    return {"user": session.get("user"), "messages": get_flashed_messages(with_categories=True)}


@app.websocket("/chat")
async def chat() -> tuple[str, int] | None:
    user = session.get("user")  # from the handshake's cookie
    if user is None:
        return "Log in first.", 401
    await websocket.send(f"{user} joined")
    while True:
        message = await websocket.receive()
        if isinstance(message, str):
            await websocket.send(f"{user}: {message}")
