"""Porting: CORS without an extension (what quart-cors gives a Quart app).

Pages of the listed origins may call the API from the browser; the preflight ``OPTIONS``
request is answered by trioquart's automatic ``OPTIONS`` response, to which the hook adds the
CORS headers. Websockets are checked by ``WEBSOCKET_ALLOWED_ORIGINS`` instead.
"""

from __future__ import annotations

from trioquart import Response, TrioQuart, request

ALLOWED_ORIGINS = {"https://app.example.com"}

app = TrioQuart(__name__)
app.config["WEBSOCKET_ALLOWED_ORIGINS"] = sorted(ALLOWED_ORIGINS)


@app.after_request
async def add_cors_headers(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin not in ALLOWED_ORIGINS:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = response.headers.get("Allow", "")
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


@app.route("/api/notes", methods=["GET", "POST"])
async def notes() -> dict[str, list[str]]:
    return {"notes": ["first"]}
