"""JSON that keeps the Python types a session commonly holds: tuples, bytes, datetimes, UUIDs
and ``Markup``, each written as a one-key object ``{" t": ...}`` whose key JSON text cannot
otherwise make (a dict that happens to have such a key is itself wrapped).

The standard library's JSON turns tuples into lists and refuses the rest; a session written
and read back should hold what was put in it, as it does in Flask and Quart.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup

# One tag per type: how to write it as JSON-able data, and how to read that back.
_TAGS: dict[str, tuple[type, Callable[[Any], Any], Callable[[Any], Any]]] = {
    " t": (tuple, lambda value: [tag(item) for item in value], lambda data: tuple(data)),
    " b": (
        bytes,
        lambda value: base64.b64encode(value).decode("ascii"),
        lambda data: base64.b64decode(data, validate=True),
    ),
    " d": (datetime, lambda value: value.isoformat(), datetime.fromisoformat),
    " u": (uuid.UUID, lambda value: value.hex, uuid.UUID),
    " m": (Markup, str, Markup),
}
_DICT_TAG = " di"


def tag(value: Any) -> Any:
    """``value`` as data the standard ``json`` module can write, tagged where needed."""
    if isinstance(value, dict):
        tagged = {str(key): tag(item) for key, item in value.items()}
        if len(tagged) == 1 and next(iter(tagged)) in (*_TAGS, _DICT_TAG):
            return {_DICT_TAG: tagged}
        return tagged
    if isinstance(value, list):
        return [tag(item) for item in value]
    for key, (kind, write, _) in _TAGS.items():
        if isinstance(value, kind):
            return {key: write(value)}
    return value


def untag(data: Any) -> Any:
    """The value :func:`tag` was given, from what it returned."""
    if isinstance(data, dict):
        if len(data) == 1:
            ((key, inner),) = data.items()
            if key == _DICT_TAG:
                return {name: untag(item) for name, item in inner.items()}
            if key in _TAGS:
                read = _TAGS[key][2]
                return read(untag(inner) if key == " t" else inner)
        return {name: untag(item) for name, item in data.items()}
    if isinstance(data, list):
        return [untag(item) for item in data]
    return data


def dumps(value: Any) -> str:
    """``value`` as compact tagged JSON."""
    return json.dumps(tag(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """The value written by :func:`dumps`.

    Raises:
        ValueError: ``text`` is not JSON, is nested too deeply, or holds a malformed tag.
    """
    try:
        return untag(json.loads(text))
    except RecursionError as error:
        raise ValueError("The JSON is nested too deeply to decode.") from error
    except (TypeError, AttributeError, ValueError) as error:
        raise ValueError(f"Malformed tagged JSON: {error}") from error
