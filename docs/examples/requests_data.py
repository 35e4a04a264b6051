"""The query and the form in one lookup, and the raw body of a webhook."""

from __future__ import annotations

import hashlib
import hmac

from trioquart import TrioQuart, abort, request

app = TrioQuart(__name__)
WEBHOOK_SECRET = b"change me"


@app.route("/search", methods=["GET", "POST"])
async def search() -> dict[str, object]:
    values = await request.values  # the query string, then (except for GET) the form
    return {"q": values.get("q", ""), "page": values.get("page", 1, type=int)}


@app.post("/webhook")
async def webhook() -> dict[str, object]:
    payload = await request.data  # the bytes as sent (empty for a form body)
    expected = hmac.new(WEBHOOK_SECRET, payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Signature", "")):
        abort(403)
    event = await request.get_json()  # parsed from the same bytes, read once
    return {"accepted": event["type"]}


@app.post("/archive")
async def archive() -> dict[str, int]:
    body = await request.get_data(cache=False)  # not kept: later reads see b""
    return {"stored": len(body)}
