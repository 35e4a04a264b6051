"""Flashed messages: notes kept in the session for the next page to show, then forgotten."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .globals import current_app, find_connection_context, session
from .signals import message_flashed, send

_FLASHES = "_flashes"


async def flash(message: Any, category: str = "message") -> None:
    """Keep ``message`` in the session until :func:`get_flashed_messages` takes it.

    A coroutine function, as in Quart: ``await flash("Saved.")``. ``category`` is free-form
    (``"error"``, ``"info"``...). Needs ``SECRET_KEY``, as the session does. Sends the
    ``message_flashed`` signal.
    """
    # Assigned, not appended in place, so that the session sees the change.
    session[_FLASHES] = [*session.get(_FLASHES, []), (category, message)]
    if message_flashed.receivers:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        await send(message_flashed, app, message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: Iterable[str] = ()
) -> list[Any]:
    """The flashed messages, taken out of the session (the same list for the rest of the
    request): the messages, or ``(category, message)`` pairs with ``with_categories``;
    only those of ``category_filter``'s categories when it is given."""
    ctx = find_connection_context()
    if ctx is None:
        raise RuntimeError("get_flashed_messages() needs a request or websocket context.")
    flashes = ctx.flashes
    if flashes is None:
        stored = session.pop(_FLASHES) if _FLASHES in session else []
        flashes = ctx.flashes = [(str(category), message) for category, message in stored]
    wanted = set(category_filter)
    if wanted:
        flashes = [pair for pair in flashes if pair[0] in wanted]
    if with_categories:
        return flashes
    return [message for _, message in flashes]
