"""What a handler can return, from a string to a stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import trio

from trioquart import Response, TrioQuart, abort, jsonify, make_response, redirect, request

app = TrioQuart(__name__)


@app.get("/text")
async def text() -> str:
    return "<p>HTML by default</p>"


@app.get("/data")
async def data() -> dict[str, object]:
    return {"items": [1, 2, 3]}  # dicts and lists become JSON


@app.post("/things")
async def create_thing() -> tuple[dict[str, str], int, dict[str, str]]:
    return {"id": "42"}, 201, {"Location": "/things/42"}


@app.get("/plain")
async def plain() -> Response:
    return Response("just text", mimetype="text/plain")


@app.get("/list")
async def as_list() -> Response:
    return jsonify(1, 2, 3)  # several arguments make a JSON list


@app.get("/countdown")
async def countdown() -> AsyncIterator[str]:
    async def chunks() -> AsyncIterator[str]:
        for number in range(3, 0, -1):
            yield f"{number}\n"
            await trio.sleep(0.1)
        yield "liftoff\n"

    return chunks()  # each chunk is sent as soon as it is produced


@app.get("/login")
async def login() -> Response:
    response = await make_response("logged in")
    response.set_cookie("session_id", "abc123", httponly=True, samesite="Lax")
    return response


@app.get("/whoami")
async def whoami() -> str:
    return request.cookies.get("session_id", "nobody")


@app.get("/old")
async def old() -> Response:
    return redirect("/text", 301)


@app.get("/secret")
async def secret() -> str:
    abort(403)
