"""Reading requests: query, headers, JSON, forms, files and streamed bodies."""

from __future__ import annotations

import hashlib

import trio

from trioquart import TrioQuart, request

app = TrioQuart(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # larger bodies get 413


@app.get("/search")
async def search() -> dict[str, object]:
    return {
        "q": request.args.get("q", ""),
        "tags": request.args.getlist("tag"),
        "agent": request.headers.get("User-Agent"),
    }


@app.post("/echo-json")
async def echo_json() -> dict[str, object]:
    data = await request.get_json()  # 400 if the body is not JSON
    return {"received": data}


@app.post("/quote")
async def quote() -> dict[str, object]:
    answer: dict[str, object] = {}

    async def count_items() -> None:
        order = await request.get_json()
        answer["items"] = len(order["items"])

    async def add_up() -> None:
        order = await request.get_json()  # the same read, and the same object
        answer["total"] = sum(item["price"] for item in order["items"])

    async with trio.open_nursery() as nursery:
        nursery.start_soon(count_items)
        nursery.start_soon(add_up)
    return answer


@app.post("/signup")
async def signup() -> str:
    form = await request.form
    return f"Welcome, {form['name']}"


@app.post("/upload")
async def upload() -> dict[str, object]:
    files = await request.files
    upload = files["document"]
    content = upload.read()
    return {"filename": upload.filename, "size": len(content)}


@app.post("/checksum")
async def checksum() -> str:
    digest = hashlib.sha256()
    async for chunk in request.body:  # chunks as they arrive; nothing is kept
        digest.update(chunk)
    return digest.hexdigest()
