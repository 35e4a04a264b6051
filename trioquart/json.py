"""JSON responses: ``jsonify`` and the encoder used for ``dict``/``list`` return values."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json as _json
import uuid
from typing import Any

from .globals import find_app_context
from .wrappers.response import Response


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Built once: ``json.dumps`` with options builds a new encoder for every call. Keyed by
# (sort_keys, ensure_ascii).
_ENCODERS = {
    (sort_keys, ensure_ascii): _json.JSONEncoder(
        default=_default, ensure_ascii=ensure_ascii, separators=(",", ":"), sort_keys=sort_keys
    )
    for sort_keys in (False, True)
    for ensure_ascii in (False, True)
}


def dumps(value: Any) -> str:
    """Encode ``value`` as compact JSON (dates, UUIDs, decimals and dataclasses included).

    The text is always valid UTF-8 once encoded: a string holding a lone surrogate (which
    ``loads`` makes of a ``"\\ud800"`` escape) is written escaped, not raw.
    """
    ctx = find_app_context()
    sort_keys = bool(ctx.app.config["JSON_SORT_KEYS"]) if ctx is not None else False
    text = _ENCODERS[sort_keys, False].encode(value)
    if not text.isascii():  # ASCII text holds no surrogate: the common case costs no encode
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return _ENCODERS[sort_keys, True].encode(value)
    return text


def loads(data: str | bytes) -> Any:
    """Decode JSON text.

    Raises:
        ValueError: the text is not valid JSON, or it nests arrays and objects too deeply to
            decode (Python's decoder recurses once per level, so this is a ``RecursionError``
            turned into a ``ValueError`` that callers answer with a 400).
    """
    try:
        return _json.loads(data)
    except RecursionError as error:
        raise ValueError("The JSON is nested too deeply to decode.") from error


def json_response(value: Any, status: int | None = None) -> Response:
    """A ``Response`` whose body is ``value`` as JSON, with ``Content-Type: application/json``."""
    return Response(dumps(value), status=status, mimetype="application/json")


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """Return a JSON response: one positional argument as itself, several as a list, or
    keyword arguments as an object.

    Raises:
        TypeError: both positional and keyword arguments were given.
    """
    if args and kwargs:
        raise TypeError("jsonify() takes positional arguments or keyword arguments, not both")
    if len(args) == 1:
        return json_response(args[0])
    return json_response(list(args) if args else kwargs)
