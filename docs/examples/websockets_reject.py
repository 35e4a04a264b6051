"""Three ways to refuse a websocket before it is accepted."""

from __future__ import annotations

from trioquart import TrioQuart, abort, websocket

app = TrioQuart(__name__)

USERNAME = "alice"
PASSWORD = "correct horse"
ROOMS = {"general", "random"}


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
    if websocket.args.get("room") not in ROOMS:
        await websocket.close(1008)  # before accept: the client gets an HTTP 403
        return
    await websocket.send(f"feed of {websocket.args['room']}")
