"""How errors in a websocket handler and its children reach the client and the log."""

from __future__ import annotations

from trioquart import TrioQuart, websocket

app = TrioQuart(__name__)


class NotAllowedError(Exception):
    """Raised by the permission check."""


@app.errorhandler(NotAllowedError)
async def not_allowed(error: NotAllowedError) -> tuple[str, int]:
    return f"not allowed: {error}", 403


@app.websocket("/room/<name>")
async def room(name: str) -> None:
    if name == "secret":
        raise NotAllowedError(name)  # before accept: error handlers apply, the client gets a 403
    await websocket.send(f"joined {name}")
    await websocket.receive()


async def check_quota() -> None:
    raise OverflowError("quota exceeded")


async def check_account() -> None:
    raise LookupError("no such account")


@app.websocket("/checks")
async def checks() -> None:
    await websocket.accept()
    # Both children fail; the errors are logged together as an ExceptionGroup, close 1011.
    websocket.nursery.start_soon(check_quota)
    websocket.nursery.start_soon(check_account)
