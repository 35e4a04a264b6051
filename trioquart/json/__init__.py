"""JSON: ``jsonify`` and the functions of ``quart.json``, through the current app's provider.

Within an application context each function uses ``current_app.json`` (see
:mod:`trioquart.json.provider`); outside one, a :class:`DefaultJSONProvider` with its defaults,
so they also work in a script or a test without an app.
"""

from __future__ import annotations

from typing import IO, Any

from ..globals import find_app_context
from ..wrappers.response import Response
from .provider import DefaultJSONProvider, JSONProvider

__all__ = [
    "DefaultJSONProvider",
    "JSONProvider",
    "dump",
    "dumps",
    "jsonify",
    "load",
    "loads",
]

#: The provider used outside an application context.
_NO_APP_PROVIDER = DefaultJSONProvider(None)


def _provider() -> JSONProvider:
    ctx = find_app_context()
    return _NO_APP_PROVIDER if ctx is None else ctx.app.json


def dumps(obj: Any, **kwargs: Any) -> str:
    """Encode ``obj`` as JSON text with the current app's provider (``app.json.dumps``).

    Raises:
        TypeError: ``obj`` holds something the provider cannot encode.
    """
    return _provider().dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Encode ``obj`` as JSON into the text file ``fp`` with the current app's provider."""
    _provider().dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Decode JSON text (or UTF-8 bytes) with the current app's provider (``app.json.loads``).

    Raises:
        ValueError: the text is not valid JSON, or it nests arrays and objects too deeply to
            decode (the default provider's ``RecursionError`` made a ``ValueError``, which
            callers answer with a 400).
    """
    return _provider().loads(s, **kwargs)


def load(fp: IO[Any], **kwargs: Any) -> Any:
    """Decode the JSON read from the file ``fp`` with the current app's provider."""
    return _provider().load(fp, **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response (``app.json.response``): one positional argument as itself, several as
    a list, keyword arguments as an object, none as ``null``.

    The default provider writes it compact with a trailing newline, as Flask and Quart do:
    ``jsonify(a=1)`` is ``{"a":1}\\n``.

    Raises:
        TypeError: both positional and keyword arguments were given.
    """
    return _provider().response(*args, **kwargs)


def json_response(value: Any) -> Response:
    """The response for a ``dict`` or ``list`` a view returned: ``app.json.response(value)``."""
    return _provider().response(value)
