"""Turning what a view returns into a ``Response``.

Accepted: a ``Response``; ``str``/``bytes`` (HTML/bytes body); ``dict``/``list`` (JSON); an async
iterator or async iterable, or a plain generator (streamed); a Werkzeug ``HTTPException``; or a
tuple ``(body, status)``, ``(body, headers)`` or ``(body, status, headers)``. Anything else is a
``TypeError`` that names the view. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from types import CoroutineType, GeneratorType
from typing import Any

from markupsafe import escape
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from .errors import ResponseAbort
from .json import json_response
from .wrappers.response import Response

_ACCEPTED = (
    "a str, bytes, dict, list, async iterator, Response or a tuple of one with status/headers"
)


def _body_to_response(body: Any, view_name: str) -> Response:
    kind = type(body)  # the common kinds first, without isinstance's slower checks
    if kind is str or kind is bytes:
        return Response(body)
    if kind is dict or kind is list:
        return json_response(body)
    if isinstance(body, Response):
        return body
    if isinstance(body, str | bytes | bytearray | memoryview):
        return Response(bytes(body) if not isinstance(body, str) else body)
    if isinstance(body, dict | list):
        return json_response(body)
    if isinstance(body, AsyncIterable):
        return Response(body)
    if isinstance(body, HTTPException):  # abort(response) too, sent as it is
        return http_exception_response(body)
    if isinstance(body, GeneratorType):  # a plain generator streams from a worker thread
        return Response(body)
    if isinstance(body, CoroutineType):
        body.close()  # never awaited: closed here rather than warned about when collected
        raise TypeError(
            f"The view function {view_name!r} returned a coroutine; await it (make_response, "
            "render_template and flash are coroutine functions, as in Quart)."
        )
    raise TypeError(
        f"The view function {view_name!r} returned {type(body).__name__}; "
        f"it must return {_ACCEPTED}."
    )


def _is_headers(value: Any) -> bool:
    return isinstance(value, Headers | Mapping | list)


def make_response_from(rv: Any, view_name: str) -> Response:
    """Convert the return value ``rv`` of the view ``view_name`` into a ``Response``.

    Raises:
        TypeError: ``rv`` is not a supported return value (the message names the view).
    """
    kind = type(rv)
    if kind is str or kind is bytes:  # the commonest answer, without a call more
        return Response(rv)
    if not isinstance(rv, tuple):
        return _body_to_response(rv, view_name)
    status: Any = None
    headers: Any = None
    if len(rv) == 3:
        body, status, headers = rv
    elif len(rv) == 2 and _is_headers(rv[1]):
        body, headers = rv
    elif len(rv) == 2:
        body, status = rv
    else:
        raise TypeError(
            f"The view function {view_name!r} returned a tuple of {len(rv)} items; "
            "use (body, status), (body, headers) or (body, status, headers)."
        )
    if status is not None and not isinstance(status, int):
        raise TypeError(
            f"The view function {view_name!r} returned the status {status!r}; use an int."
        )
    response = _body_to_response(body, view_name)
    if status is not None:
        response.status_code = status
    if headers is not None:
        # Like Flask, a name the view gives replaces the response's own header of that name;
        # unlike a plain ``Headers.update``, every value the view gives for it is kept, so
        # ``[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]`` sends both.
        extra = headers if isinstance(headers, Headers) else Headers(headers)
        for name in {name.lower() for name, _ in extra.items()}:
            response.headers.remove(name)
        response.headers.extend(extra)
    return response


def http_exception_response(error: HTTPException) -> Response:
    """The response Werkzeug describes for an HTTP exception (status, headers, HTML body)."""
    if isinstance(error, ResponseAbort):
        return error.response_to_send  # type: ignore[no-any-return]
    if isinstance(error, RequestRedirect):
        return redirect_response(error.new_url, error.code)
    response = Response(error.get_body(), status=error.code or 500)
    for name, value in error.get_headers():
        response.headers[name] = value
    return response


def redirect_response(location: str, status: int = 302) -> Response:
    """A redirect to ``location`` with a short HTML body naming it."""
    link = escape(location)
    body = (
        "<!doctype html>\n<title>Redirecting</title>\n"
        f'<p>Redirecting to <a href="{link}">{link}</a>.</p>\n'
    )
    response = Response(body, status=status)
    response.headers["Location"] = location
    return response
