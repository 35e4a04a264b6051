"""Class-based views: a MethodView for a REST resource, a View with decorators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, ClassVar

from trioquart import TrioQuart, abort, request
from trioquart.views import MethodView, View

app = TrioQuart(__name__)
NOTES: dict[int, str] = {1: "buy milk"}


class NoteAPI(MethodView):
    """``GET``, ``PUT`` and ``DELETE`` one note; ``methods`` come from the methods defined."""

    init_every_request = False  # one instance serves every request: keep no state on self

    async def get(self, note_id: int) -> dict[str, Any]:
        if note_id not in NOTES:
            abort(404)
        return {"id": note_id, "text": NOTES[note_id]}

    async def put(self, note_id: int) -> dict[str, Any]:
        NOTES[note_id] = (await request.get_json())["text"]
        return {"id": note_id, "text": NOTES[note_id]}

    def delete(self, note_id: int) -> tuple[str, int]:  # a plain method runs in a thread
        NOTES.pop(note_id, None)
        return "", 204


app.add_url_rule("/notes/<int:note_id>", view_func=NoteAPI.as_view("note"))


def require_token(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @wraps(view)
    async def checked(**kwargs: Any) -> Any:
        if request.headers.get("Authorization") != "Bearer let-me-in":
            abort(401)
        return await view(**kwargs)

    return checked


class Report(View):
    """One view for GET and POST, with a decorator applied to the view function."""

    methods: ClassVar[list[str]] = ["GET", "POST"]
    decorators: ClassVar[list[Callable[..., Any]]] = [require_token]

    def __init__(self, title: str) -> None:
        self.title = title

    async def dispatch_request(self) -> str:
        return f"{self.title} ({request.method}, {len(NOTES)} notes)"


app.add_url_rule("/report", view_func=Report.as_view("report", "Weekly report"))
