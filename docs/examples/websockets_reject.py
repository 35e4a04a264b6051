"""Three ways to refuse a websocket before it is accepted."""

from __future__ import annotations

from trioquart import TrioQuart, abort, websocket

app = TrioQuart(__name__)

USERNAME = "alice"
PASSWORD = "correct horse"
ALLOWED_ORIGINS = {"https://example.com"}


@app.websocket("/chat")
async def chat() -> tuple[str, int] | None:
    auth = websocket.authorization
    if auth is None or auth.username != USERNAME or auth.password != PASSWORD:
        return "Invalid password", 403  # an HTTP response instead of the upgrade
    await websocket.accept()  # optional: the first send or receive accepts too
    await websocket.send(f"Welcome, {auth.username}")
    return None


@app.websocket("/admin")
async def admin() -> None:
    if websocket.args.get("token") != "let-me-in":
        abort(401)  # the same, with Werkzeug's error page as the body
    await websocket.send("admin console")


@app.websocket("/feed")
async def feed() -> None:
    if websocket.headers.get("Origin") not in ALLOWED_ORIGINS:
        await websocket.close(1008)  # before accept: the client gets an HTTP 403
        return
    await websocket.send("feed")
