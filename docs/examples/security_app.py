"""A chat served at chat.example.com behind one reverse proxy, with its settings made safe."""

from __future__ import annotations

from hypercorn.middleware import ProxyFixMiddleware

from trioquart import Response, TrioQuart, request, websocket

app = TrioQuart(__name__)
app.config.update(
    # Requests to any other host name get 400 (a leading dot allows every subdomain).
    TRUSTED_HOSTS=["chat.example.com", ".chat.example.com"],
    # Pages of chat.example.com may open websockets; so may the marketing site's.
    WEBSOCKET_ALLOWED_ORIGINS=["https://www.example.com"],
)
# The proxy sets X-Forwarded-For, -Proto and -Host; trust exactly one hop of them.
app.asgi_app = ProxyFixMiddleware(app.asgi_app, mode="legacy", trusted_hops=1)


@app.route("/login", methods=["POST"])
async def login() -> Response:
    response = Response("welcome")
    response.set_cookie("user", "alice", secure=True, httponly=True, samesite="Lax", max_age=3600)
    return response


@app.websocket("/ws")
async def chat() -> None:
    user = websocket.cookies.get("user", "guest")
    await websocket.send(f"hello {user}, from {websocket.remote_addr}")


@app.route("/whoami")
async def whoami() -> dict[str, str | None]:
    return {"url": request.url, "client": request.remote_addr}
