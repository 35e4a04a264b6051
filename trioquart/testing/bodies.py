"""Request bodies for the test client and the test request context: JSON, forms, files, data.

Werkzeug encodes the forms and files (``encode_multipart``), as its own test client does.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.test import encode_multipart

from .. import json as json_module

#: The default of ``json=``: no JSON body (``None`` is a JSON body, ``null``).
NO_JSON: Any = object()

# Methods whose requests carry a body by definition: a server sees Content-Length 0 when
# there is none, as clients send it.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def make_test_body_with_headers(
    *,
    data: bytes | str | None = None,
    form: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    json: Any = NO_JSON,
    app: Any = None,
) -> tuple[bytes, Headers]:
    """The body of a test request and the ``Content-Type`` that describes it, as in Quart.

    Args:
        data: raw bytes, or text sent as UTF-8.
        form: fields sent URL-encoded (a list value repeats its key), or as multipart fields
            when ``files`` is given too.
        files: field name to a Werkzeug ``FileStorage`` or to
            ``(bytes_or_file_object, filename[, content_type])``; sent as multipart.
        json: a value sent as JSON (``application/json``).
        app: accepted for Quart's signature; trioquart's JSON encoding does not depend on it.

    Returns:
        The body and headers holding its ``Content-Type`` (none for ``data`` or no body).

    Raises:
        ValueError: more than one of ``json``, ``form``/``files`` and ``data`` is given.
        TypeError: a ``files`` value has none of the accepted shapes.
    """
    given = [
        name
        for name, value in (
            ("json", json is not NO_JSON),
            ("form", form or files),
            ("data", data is not None),
        )
        if value
    ]
    if len(given) > 1:
        raise ValueError(f"Give only one of json, form/files and data, not {' and '.join(given)}")
    headers = Headers()
    if json is not NO_JSON:
        headers["Content-Type"] = "application/json"
        return json_module.dumps(json).encode("utf-8"), headers
    if files:
        fields: dict[str, Any] = dict(form or {})
        for name, value in files.items():
            fields[name] = _file_storage(value)
        boundary, body = encode_multipart(MultiDict(fields))
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return body, headers
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(form, doseq=True).encode("utf-8"), headers
    if data is not None:
        return (data.encode("utf-8") if isinstance(data, str) else bytes(data)), headers
    return b"", headers


def add_body_headers(headers: Headers, method: str, body: bytes, body_headers: Headers) -> None:
    """Describe ``body`` in ``headers`` as a client does: its ``Content-Type`` and
    ``Content-Length`` (also 0 for an empty ``POST``, ``PUT`` or ``PATCH``), unless the test
    gave its own."""
    for name, value in body_headers.items():
        if name not in headers:
            headers[name] = value
    if body or method.upper() in _BODY_METHODS:
        headers.setdefault("Content-Length", str(len(body)))


def _file_storage(value: Any) -> FileStorage:
    if isinstance(value, FileStorage):
        return value
    if isinstance(value, tuple):
        content, filename, *rest = value
        stream = io.BytesIO(content) if isinstance(content, bytes) else content
        return FileStorage(stream, filename=filename, content_type=rest[0] if rest else None)
    raise TypeError(
        "files values must be (bytes_or_file, filename[, content_type]) tuples or "
        f"FileStorage objects, not {type(value).__name__}"
    )
