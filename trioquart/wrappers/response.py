"""Response: status, headers and a body that is bytes or an async iterator of chunks.

Werkzeug's sans-I/O response supplies headers, status, mimetype and cookies; this class adds
the body and the async accessors the test client and after-request hooks use.

Strategy: most responses are built from a body and a media type and sent unchanged. Werkzeug's
constructor validates every header value it stores and looks the ``Content-Type`` up by
raising and catching an exception. So a response built without ``headers`` keeps its two
headers as the ASGI byte pairs it will be sent with, and ``headers`` becomes a Werkzeug
``Headers`` only when code first reads it. Measured under Hypercorn (``nox -s bench -- --only
instructions``), Werkzeug's constructor on every response costs 1.5% to 2.4% more
instructions per request.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncGenerator, AsyncIterable, Iterable
from types import EllipsisType
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.sansio.response import Response as _SansIOResponse
from werkzeug.utils import get_content_type

from ..sync import iterate_in_thread

_HEADER_NAMES = {b"content-type": "Content-Type", b"content-length": "Content-Length"}


@functools.lru_cache(maxsize=64)
def _content_type(mimetype: str) -> str:
    return get_content_type(mimetype, "utf-8")


def _raw_content_type(content_type: str) -> list[tuple[bytes, bytes]] | None:
    """The ASGI header list for ``content_type``, or ``None`` if it is not latin-1 (then
    Werkzeug's constructor takes over, and sending reports the bad header)."""
    try:
        return [(b"content-type", content_type.encode("latin-1"))]
    except UnicodeEncodeError:
        return None


@functools.lru_cache(maxsize=64)
def _content_type_pair(mimetype: str) -> tuple[bytes, bytes] | None:
    raw = _raw_content_type(_content_type(mimetype))
    return None if raw is None else raw[0]


def _raw_headers_for_mimetype(mimetype: str) -> list[tuple[bytes, bytes]] | None:
    """:func:`_raw_content_type` of ``mimetype``'s full type, computed once per mimetype."""
    pair = _content_type_pair(mimetype)
    return None if pair is None else [pair]


class Response(_SansIOResponse):
    """An HTTP response.

    Args:
        body: ``bytes``/``str`` (sent at once, with ``Content-Length``) or an async iterable of
            ``bytes``/``str`` chunks (streamed, each chunk sent as it is produced); a plain
            iterable of chunks, such as a generator, is read in a worker thread.
        status: the status code (default 200).
        headers: extra headers.
        mimetype: the media type; ``text/html`` by default (with ``charset=utf-8``).
        content_type: the full ``Content-Type``, overriding ``mimetype``.
    """

    default_mimetype: str | None = "text/html"
    _headers: Headers | None = None
    #: The headers as ASGI byte pairs, while ``headers`` has not been built (see above).
    _raw_headers: list[tuple[bytes, bytes]] | None = None
    _status = "200 OK"
    _status_code = 200
    #: Seconds the client may take to accept each piece of this response; ``None``: no
    #: limit; ``...``: the app's ``RESPONSE_TIMEOUT``.
    timeout: float | EllipsisType | None = ...

    def __init__(
        self,
        body: str | bytes | AsyncIterable[bytes | str] | Iterable[bytes | str] | None = None,
        status: int | None = None,
        headers: Headers | dict[str, str] | list[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        raw = None
        if headers is None:
            if content_type is not None:
                raw = _raw_content_type(content_type)
            else:
                if mimetype is None:
                    mimetype = self.default_mimetype
                raw = [] if mimetype is None else _raw_headers_for_mimetype(mimetype)
        if raw is None:
            super().__init__(
                status=status, headers=headers, mimetype=mimetype, content_type=content_type
            )
        else:
            self._raw_headers = raw
            if status is None:
                status = self.default_status
            if status != 200:  # 200 is the class default, without Werkzeug's status parsing
                self.status = status
            if isinstance(body, str):
                body = body.encode("utf-8")
            if type(body) is bytes:
                self.body: bytes | AsyncIterable[bytes | str] = body
                raw.append((b"content-length", str(len(body)).encode("ascii")))
                return
        self.body = b""
        self.set_data(b"" if body is None else body)

    @property
    def headers(self) -> Headers:
        """The response headers, a Werkzeug ``Headers`` (built on first use)."""
        headers = self._headers
        if headers is None:
            headers = Headers()
            for name, value in self._raw_headers or ():
                headers.add(
                    _HEADER_NAMES.get(name) or name.decode("latin-1"), value.decode("latin-1")
                )
            self._headers = headers
            self._raw_headers = None
        return headers

    @headers.setter
    def headers(self, value: Headers) -> None:
        self._headers = value
        self._raw_headers = None

    def asgi_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as the ASGI byte pairs to send (lowercase names).

        Raises:
            ValueError: a header name or value cannot be encoded as latin-1 (HTTP's header
                charset).
        """
        if self._raw_headers is not None:
            return list(self._raw_headers)
        raw = []
        for name, value in self.headers.items():
            try:
                raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))
            except UnicodeEncodeError as error:
                raise ValueError(
                    f"The response header {name!r} cannot be sent: {value!r} is not latin-1; "
                    "percent-encode it or use RFC 8187 encoding"
                ) from error
        return raw

    def set_data(
        self, data: str | bytes | AsyncIterable[bytes | str] | Iterable[bytes | str]
    ) -> None:
        """Replace the body; a ``bytes``/``str`` body also sets ``Content-Length``."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        raw = self._raw_headers
        if isinstance(data, bytes | bytearray | memoryview):
            self.body = bytes(data)
            length = str(len(self.body))
            if raw is None:
                self.headers["Content-Length"] = length
            else:
                raw[:] = [pair for pair in raw if pair[0] != b"content-length"]
                raw.append((b"content-length", length.encode("ascii")))
        else:
            if isinstance(data, AsyncIterable):
                self.body = data
            else:
                # A plain iterable of chunks (a generator that reads a file, say): each step
                # runs in a worker thread, so a blocking one does not stop the event loop.
                chunks: Iterable[bytes | str] = data
                self.body = iterate_in_thread(chunks)
            if raw is None:
                self.headers.pop("Content-Length", None)
            else:
                raw[:] = [pair for pair in raw if pair[0] != b"content-length"]

    @property
    def is_streamed(self) -> bool:
        """Whether the body is an async iterator (sent chunk by chunk)."""
        return not isinstance(self.body, bytes)

    async def iter_body(self) -> AsyncGenerator[bytes, None]:
        """Yield the body as ``bytes`` chunks (one chunk for a ``bytes`` body).

        Closing this generator closes the body too, when it can be closed (an async
        generator), so that its ``finally`` runs then, not whenever it is collected.
        """
        body = self.body
        if isinstance(body, bytes):
            yield body
            return
        try:
            async for chunk in body:
                yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        finally:
            close = getattr(body, "aclose", None)
            if close is not None:
                await close()

    async def get_data(self, *, as_text: bool = False) -> Any:
        """Return the whole body, consuming a streamed body (which is then kept as bytes).

        Returns:
            ``bytes``, or ``str`` decoded as UTF-8 with ``as_text=True``.
        """
        if not isinstance(self.body, bytes):
            self.set_data(b"".join([chunk async for chunk in self.iter_body()]))
        assert isinstance(self.body, bytes)
        return self.body.decode("utf-8") if as_text else self.body

    async def get_json(self) -> Any:
        """Parse the body as JSON.

        Raises:
            ValueError: the body is not valid JSON.
        """
        return json.loads(await self.get_data())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status!r}>"
