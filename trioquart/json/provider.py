"""JSON providers: how an app encodes and decodes JSON, as ``app.json``, as in Flask and Quart.

Every JSON the framework writes or reads goes through the current app's provider: ``jsonify``
and ``dict``/``list`` return values (:meth:`JSONProvider.response`), ``request.get_json`` and
``websocket.receive_json`` (:meth:`JSONProvider.loads`), ``websocket.send_json``, server-sent
events and the ``tojson`` template filter (:meth:`JSONProvider.dumps`). Replace it with
``app.json = MyProvider(app)``, or set ``json_provider_class`` on a ``TrioQuart`` subclass.

Strategy: ``json.dumps`` called with any option builds a new ``JSONEncoder`` on every call,
which costs more than encoding a small object. :class:`DefaultJSONProvider` keeps the encoders
it has built, keyed by the options (its attributes, and the few keyword arguments the
framework passes), so answering a request with a ``dict`` builds none.
"""

from __future__ import annotations

import dataclasses
import decimal
import json as _json
import uuid
import weakref
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import IO, Any, Protocol

from werkzeug.http import http_date

from ..wrappers.response import Response

__all__ = ["DefaultJSONProvider", "JSONProvider"]


class ProviderApp(Protocol):
    """What a provider reads of its app: the ``DEBUG`` key of its ``config``."""

    @property
    def config(self) -> Mapping[str, Any]:
        """The app's configuration."""
        ...


def _response_value(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """What ``jsonify(*args, **kwargs)`` encodes (see :meth:`JSONProvider.response`)."""
    if args and kwargs:
        raise TypeError("jsonify() takes positional arguments or keyword arguments, not both")
    if len(args) == 1:
        return args[0]
    if args:
        return list(args)
    return kwargs or None


class JSONProvider:
    """The JSON operations of an application: subclass it to use another JSON library.

    A subclass implements at least :meth:`dumps` and :meth:`loads`; the other methods are
    built on them. Install one with ``app.json = MyProvider(app)``, or for every app of a
    ``TrioQuart`` subclass with its ``json_provider_class`` attribute.

    Args:
        app: the application (kept as a weak proxy, so the provider does not keep it alive),
            or ``None`` for a provider of no app, which takes ``DEBUG`` as off.
    """

    def __init__(self, app: ProviderApp | None) -> None:
        self._app: ProviderApp | None = None if app is None else weakref.proxy(app)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Encode ``obj`` as JSON text; ``kwargs`` are options of the JSON library."""
        raise NotImplementedError

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Encode ``obj`` as JSON and write it to the text file ``fp`` (blocks on the file)."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Decode the JSON text (or UTF-8 bytes) ``s``.

        Raises:
            ValueError: ``s`` is not valid JSON (answered with 400 where a client sent it).
        """
        raise NotImplementedError

    def load(self, fp: IO[Any], **kwargs: Any) -> Any:
        """Decode the JSON read from the file ``fp`` (text or bytes; blocks on the file)."""
        return self.loads(fp.read(), **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A ``Response`` whose body is the arguments as JSON (``application/json``).

        One positional argument is encoded as itself, several as a list, keyword arguments as
        an object, none as ``null``.

        Raises:
            TypeError: both positional and keyword arguments were given.
        """
        return Response(self.dumps(_response_value(args, kwargs)), mimetype="application/json")


def _default(value: Any) -> Any:
    if isinstance(value, date):  # datetime too
        return http_date(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):  # markupsafe.Markup and the like
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: The keyword arguments of ``dumps`` served by a kept encoder; any other goes to
#: ``json.dumps``, which builds one for the call.
_ENCODER_OPTIONS = frozenset({"ensure_ascii", "sort_keys", "separators", "indent"})
_COMPACT = (",", ":")


@lru_cache(maxsize=64)
def _encoder(
    default: Callable[[Any], Any],
    ensure_ascii: bool,
    sort_keys: bool,
    separators: tuple[str, str] | None,
    indent: int | str | None,
) -> _json.JSONEncoder:
    return _json.JSONEncoder(
        default=default,
        ensure_ascii=ensure_ascii,
        sort_keys=sort_keys,
        separators=separators,
        indent=indent,
    )


class DefaultJSONProvider(JSONProvider):
    """The JSON provider apps have unless told otherwise: Python's :mod:`json`, as in Flask.

    Besides what :mod:`json` encodes, it writes ``datetime`` and ``date`` as HTTP dates
    (``"Wed, 25 Nov 2026 12:00:00 GMT"``, RFC 822, as Flask and Quart do), ``uuid.UUID`` and
    ``decimal.Decimal`` as strings, dataclasses as objects, and anything with an
    ``__html__`` method (``Markup``) as the string it gives. The attributes below may be set
    on the app's provider (``app.json.sort_keys = False``) or on a subclass.

    The text is always valid UTF-8 once encoded, even with ``ensure_ascii`` off: a string
    holding a lone surrogate (which :meth:`loads` makes of a ``"\\ud800"`` escape) is written
    escaped, not raw.
    """

    #: Called with each object :mod:`json` cannot encode; returns something it can, or
    #: raises ``TypeError``.
    default: Callable[[Any], Any] = staticmethod(_default)
    #: Write non-ASCII characters as ``\\u`` escapes (Flask's default); ``False`` writes them
    #: as they are, which is shorter.
    ensure_ascii = True
    #: Sort the keys of every object (Flask's default); they must then be sortable together.
    sort_keys = True
    #: ``response()`` output without spaces or newlines when ``True``, indented when
    #: ``False``; ``None``: compact unless ``DEBUG`` is on.
    compact: bool | None = None
    #: The media type of ``response()``.
    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Encode ``obj`` as JSON text, with ``json.dumps``'s separators (``", "``, ``": "``).

        ``kwargs`` are options of ``json.dumps``; ``default``, ``ensure_ascii`` and
        ``sort_keys`` default to the attributes of the same names.

        Raises:
            TypeError: ``obj`` holds something that cannot be encoded (the message names its
                type), or, with ``sort_keys``, an object whose keys cannot be sorted together
                (``1`` and ``"a"``).
        """
        if kwargs.keys() <= _ENCODER_OPTIONS:
            separators = kwargs.get("separators")
            return self._encode(
                obj,
                kwargs.get("ensure_ascii", self.ensure_ascii),
                kwargs.get("sort_keys", self.sort_keys),
                None if separators is None else tuple(separators),
                kwargs.get("indent"),
            )
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        text = _json.dumps(obj, **kwargs)
        if kwargs["ensure_ascii"] or _is_utf8(text):
            return text
        return _json.dumps(obj, **{**kwargs, "ensure_ascii": True})

    def _encode(
        self,
        obj: Any,
        ensure_ascii: bool,
        sort_keys: bool,
        separators: tuple[str, str] | None,
        indent: int | str | None,
    ) -> str:
        text = _encoder(self.default, ensure_ascii, sort_keys, separators, indent).encode(obj)
        if ensure_ascii or _is_utf8(text):
            return text
        return self._encode(obj, True, sort_keys, separators, indent)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Decode the JSON text (or UTF-8 bytes) ``s``; ``kwargs`` go to ``json.loads``.

        Raises:
            ValueError: ``s`` is not valid JSON, or it nests arrays and objects too deeply to
                decode (Python's decoder recurses once per level; the ``RecursionError`` is
                turned into a ``ValueError``, which a client's request is answered with 400
                for).
        """
        try:
            return _json.loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("The JSON is nested too deeply to decode.") from error

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A ``Response`` whose body is the arguments as JSON and a newline, with the media
        type :attr:`mimetype`, as Flask and Quart write it.

        One positional argument is encoded as itself, several as a list, keyword arguments as
        an object, none as ``null``. Compact (``{"a":1}``) unless :attr:`compact` is
        ``False``, or ``None`` with ``DEBUG`` on: then indented by two spaces.

        Raises:
            TypeError: both positional and keyword arguments were given, or the value cannot
                be encoded.
        """
        obj = _response_value(args, kwargs)
        compact = self.compact
        if compact is None:
            compact = self._app is None or not self._app.config.get("DEBUG")
        if type(self).dumps is DefaultJSONProvider.dumps:
            # The hot path of every dict a view returns: no keyword arguments to pack and
            # sort through when no subclass has its own dumps to call.
            text = self._encode(
                obj,
                self.ensure_ascii,
                self.sort_keys,
                _COMPACT if compact else None,
                None if compact else 2,
            )
        elif compact:
            text = self.dumps(obj, separators=_COMPACT)
        else:
            text = self.dumps(obj, indent=2)
        return Response(f"{text}\n", mimetype=self.mimetype)


def _is_utf8(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8: it holds no lone surrogate."""
    if text.isascii():  # the common case, without an encode
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
