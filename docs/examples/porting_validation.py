"""Porting: request validation without an extension (what quart-schema gives a Quart app).

``validate_request(Todo)`` reads the JSON body into a dataclass and passes it to the view as
``data``, as quart-schema does; a body that does not fit is answered with 400 and the reasons.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable
from typing import Any, get_type_hints

from werkzeug.exceptions import BadRequest

from trioquart import Response, TrioQuart, jsonify, request

app = TrioQuart(__name__)


def validate_request(
    model: type[Any],
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Pass the JSON body to the view as ``data=model(...)``, or answer 400."""
    fields = get_type_hints(model)

    def decorator(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(view)
        async def validated(*args: Any, **kwargs: Any) -> Any:
            body = await request.get_json()
            if not isinstance(body, dict):
                raise BadRequest("The body must be a JSON object.")
            problems = [
                f"{name}: expected {getattr(kind, '__name__', kind)}"
                for name, kind in fields.items()
                if name in body and not isinstance(body[name], kind)
            ]
            problems += [f"{name}: missing" for name in _required(model) if name not in body]
            problems += [f"{name}: unknown field" for name in body if name not in fields]
            if problems:
                return jsonify(errors=problems), 400
            return await view(*args, data=model(**body), **kwargs)

        return validated

    return decorator


def _required(model: type[Any]) -> list[str]:
    return [
        field.name
        for field in dataclasses.fields(model)
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    ]


@dataclasses.dataclass
class Todo:
    task: str
    due: str | None = None
    done: bool = False


@app.post("/todos")
@validate_request(Todo)
async def create_todo(data: Todo) -> tuple[Response, int]:
    return jsonify(dataclasses.asdict(data)), 201
