"""Error handlers and request hooks."""

from __future__ import annotations

import time

from werkzeug.exceptions import HTTPException

from trioquart import Response, TrioQuart, abort, g, request

app = TrioQuart(__name__)
finished: list[tuple[str, str | None]] = []


class OutOfStockError(Exception):
    """An application error with its own answer."""


@app.errorhandler(404)
async def not_found(error: HTTPException) -> tuple[str, int]:
    return f"Nothing at {request.path}", 404


@app.errorhandler(OutOfStockError)
async def out_of_stock(error: OutOfStockError) -> tuple[dict[str, str], int]:
    return {"error": f"{error} is out of stock"}, 409


@app.before_request
async def start_timer() -> None:
    g.started = time.perf_counter()


@app.before_request
async def require_key() -> tuple[str, int] | None:
    if request.path.startswith("/admin") and request.headers.get("X-Key") != "sesame":
        return "Missing key", 401  # a value returned here is the response; the view is skipped
    return None


@app.after_request
async def add_timing(response: Response) -> Response:
    response.headers["X-Elapsed"] = f"{time.perf_counter() - g.started:.6f}"
    return response


@app.teardown_request
async def log_end(error: BaseException | None) -> None:
    finished.append((request.path, None if error is None else type(error).__name__))


@app.get("/buy/<item>")
async def buy(item: str) -> str:
    if item == "unicorn":
        raise OutOfStockError(item)
    return f"You bought a {item}"


@app.get("/admin/stats")
async def stats() -> str:
    return "all good"


@app.get("/crash")
async def crash() -> str:
    raise ZeroDivisionError("oops")  # no handler: logged, and the client gets a 500


@app.get("/teapot")
async def teapot() -> str:
    abort(418)
