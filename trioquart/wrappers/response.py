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

``make_conditional`` answers a request's preconditions (304, 412) and byte ranges (206, 416)
for any response; ``send_file`` uses it too. A body that knows its size can give a part of
itself: ``bytes`` are sliced, a :class:`FileBody` reads only the part from its file, and any
other stream of a stated length is read through, with the bytes outside the range dropped.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable
from datetime import datetime
from http import HTTPStatus
from types import EllipsisType
from typing import TYPE_CHECKING, Any

import trio
from werkzeug.datastructures import ContentRange, Headers, Range
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_etags, parse_range_header, remove_entity_headers
from werkzeug.sansio.http import is_resource_modified
from werkzeug.sansio.response import Response as _SansIOResponse
from werkzeug.utils import get_content_type

from ..sync import iterate_in_thread

if TYPE_CHECKING:
    # Typed against Werkzeug's request, which trioquart's extends: the wrappers of requests
    # sit above responses in the layers.
    from werkzeug.sansio.request import Request

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

    async def make_conditional(
        self,
        request: Request,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer ``request``'s conditional headers with this response, as Quart's does.

        For a ``GET`` or ``HEAD`` and a successful (2xx) response, in this order (RFC 9110
        13.2.2):

        - a failed ``If-Match``: 412; a current ``If-None-Match`` or ``If-Modified-Since``
          (against this response's ``ETag`` and ``Last-Modified``): 304. Either way the body
          is dropped (a stream is closed), and so are the headers that describe it
          (``Content-Type``, ``Content-Length``...);
        - when ranges are accepted, one ``bytes`` range of a 200 response, honouring
          ``If-Range``: 206, with ``Content-Range`` and only those bytes. A range that starts
          past the end raises 416. Several ranges, other units and a ``Range`` that does not
          parse get the whole body (200), which HTTP allows, as ``send_file`` does.

        A ``bytes`` body is sliced and a :class:`FileBody` (``send_file``'s) reads only the
        part; their own length is the complete length. Any other stream is read through up to
        the range's end, dropping the bytes before it, and needs ``complete_length``.

        A checkpoint, whatever the outcome; it reads no body (a stream is read when sent).

        Args:
            request: the request to answer (``trioquart.request`` inside a view).
            accept_ranges: ``True`` (``"bytes"``) or a unit: answer ``Range`` and send it as
                ``Accept-Ranges``; ``"none"`` only sends the header; ``False``: neither.
            complete_length: the length of a streamed body (an exact byte count); ignored
                for a ``bytes`` or ``FileBody`` body. Without it a stream is sent whole.

        Returns:
            This response, changed in place (so ``return await r.make_conditional(request)``
            works).

        Raises:
            RequestedRangeNotSatisfiable: the range lies beyond the end (416, with
                ``Content-Range: bytes */<length>``); the body is closed first.
            TypeError: ``accept_ranges`` is neither a ``bool`` nor a ``str``.
            ValueError: ``accept_ranges`` is empty, or ``complete_length`` is negative.
        """
        await trio.lowlevel.checkpoint()
        unit = _accept_ranges_header(accept_ranges)
        if complete_length is not None and complete_length < 0:
            raise ValueError(
                f"make_conditional() got complete_length={complete_length}; pass the body's "
                "length in bytes, or None when it is unknown"
            )
        if unit is not None:
            self.accept_ranges = unit
        if request.method not in ("GET", "HEAD") or not 200 <= self.status_code < 300:
            return self
        headers = request.headers
        etag = self.headers.get("ETag")
        last_modified = self.last_modified
        if_match = headers.get("If-Match")
        if parse_etags(if_match).star_tag:
            # RFC 9110 13.1.1: "*" matches any current representation, which Werkzeug's
            # strong comparison would refuse.
            if_match = None
        if not is_resource_modified(
            http_if_modified_since=headers.get("If-Modified-Since"),
            http_if_none_match=headers.get("If-None-Match"),
            http_if_match=if_match,
            etag=etag,
            last_modified=last_modified,
        ):
            failed = bool(parse_etags(if_match))
            await self._drop_body()
            self.status_code = HTTPStatus.PRECONDITION_FAILED if failed else HTTPStatus.NOT_MODIFIED
            # RFC 9110 15.4.5: a 304 keeps the validators and caching fields, not what
            # describes a body it does not have.
            remove_entity_headers(
                self.headers, allowed=("expires", "content-location", "last-modified")
            )
            return self
        if unit in (None, "none") or self.status_code != HTTPStatus.OK:
            return self  # a second call leaves a 206 as it is
        body = self.body
        if isinstance(body, bytes):
            length: int | None = len(body)
        elif isinstance(body, FileBody):
            length = body.size
        else:
            length = complete_length
        if not length:
            return self  # unknown, or empty: nothing a range could select (as Werkzeug)
        try:
            content_range = _requested_range(headers, etag, last_modified, length)
        except RequestedRangeNotSatisfiable:
            await self._drop_body()
            raise
        if content_range is None:
            return self
        start, stop = content_range.start, content_range.stop
        assert start is not None  # a satisfiable range has both ends
        assert stop is not None
        if isinstance(body, bytes):
            self.set_data(body[start:stop])
        else:
            if isinstance(body, FileBody):
                self.body = body.part(start, stop)
            else:
                self.body = _StreamPart(body, start, stop)
            self.headers["Content-Length"] = str(stop - start)
        self.status_code = HTTPStatus.PARTIAL_CONTENT
        self.content_range = content_range
        return self

    async def _drop_body(self) -> None:
        """Close a streamed body that will not be sent, and leave an empty one."""
        aclose = getattr(self.body, "aclose", None)
        if aclose is not None:
            await aclose()
        self.body = b""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status!r}>"


class FileBody:
    """A body read from a file in parts as it is sent: what :func:`~trioquart.send_file` gives.

    It knows the whole file's size and can give any byte range of the file, so
    :meth:`Response.make_conditional` answers a ``Range`` by reading only that part.

    Args:
        size: the whole file's length.
        read: ``read(start, stop)``: an async generator of the file's bytes in that range.
        close: closes what ``read`` would have read (a caller's file object) when the body is
            closed without being read; ``read`` closes it otherwise.
        start: where this body starts in the file.
        stop: where it ends (the end of the file by default).
    """

    def __init__(
        self,
        size: int,
        read: Callable[[int, int], AsyncGenerator[bytes, None]],
        close: Callable[[], object] | None = None,
        start: int = 0,
        stop: int | None = None,
    ) -> None:
        self.size = size
        self.start = start
        self.stop = size if stop is None else stop
        self._read = read
        self._close = close
        self._chunks: AsyncGenerator[bytes, None] | None = None

    def part(self, start: int, stop: int) -> FileBody:
        """A body of the same file's bytes from ``start`` to ``stop`` (this one is unused)."""
        return FileBody(self.size, self._read, self._close, start, stop)

    def __aiter__(self) -> FileBody:
        return self

    async def __anext__(self) -> bytes:
        if self._chunks is None:
            self._chunks = self._read(self.start, self.stop)
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        """Stop reading and close the file; safe to call more than once."""
        if self._chunks is not None:
            await self._chunks.aclose()
        elif self._close is not None:
            # Synchronous, as closing a file that was only opened is: a worker-thread call
            # would not even start in a cancelled scope (a client that left), and the file
            # would stay open.
            self._close()


def _accept_ranges_header(accept_ranges: bool | str) -> str | None:
    """The ``Accept-Ranges`` value ``make_conditional`` sends, or ``None`` for none."""
    if accept_ranges is True:
        return "bytes"
    if accept_ranges is False:
        return None
    if not isinstance(accept_ranges, str):
        raise TypeError(
            f"make_conditional() got accept_ranges={accept_ranges!r}; pass True (bytes), "
            "False, or a range unit such as 'bytes' or 'none'"
        )
    if not accept_ranges:
        raise ValueError(
            "make_conditional() got accept_ranges=''; pass True (bytes), False, or a range "
            "unit such as 'bytes' or 'none'"
        )
    return accept_ranges


def _requested_range(
    headers: Headers,
    etag: str | None,
    last_modified: datetime | None,
    length: int,
) -> ContentRange | None:
    """The part of a body of ``length`` bytes that ``headers`` ask for: ``None`` for all of
    it (no ``Range``, one that does not parse, several ranges, another unit, or an
    ``If-Range`` the body no longer matches).

    Raises:
        RequestedRangeNotSatisfiable: the range starts past the end (416).
    """
    requested = parse_range_header(headers.get("Range"))
    if requested is None or requested.units != "bytes" or len(requested.ranges) != 1:
        return None
    if_range = headers.get("If-Range")
    if if_range is not None and is_resource_modified(
        http_range=headers.get("Range"),
        http_if_range=if_range,
        etag=etag,
        last_modified=last_modified,
        ignore_if_range=False,
    ):
        return None  # the client's copy is out of date: the whole body
    start, _ = requested.ranges[0]
    if start < -length:
        # RFC 9110 14.1.2: a suffix longer than the body is all of it; Werkzeug's
        # make_content_range refuses it.
        requested = Range("bytes", [(-length, None)])
    content_range = requested.make_content_range(length)
    if content_range is None:
        raise RequestedRangeNotSatisfiable(length=length)
    return content_range


class _StreamPart:
    """The bytes from ``start`` to ``stop`` of a stream that cannot seek: those before
    ``start`` are read and dropped, and reading stops at ``stop``. Closing it closes the
    stream, even one never read (a ``HEAD``), which a generator wrapping it could not do."""

    def __init__(self, stream: AsyncIterable[bytes | str], start: int, stop: int) -> None:
        self._stream = stream
        self._chunks = _byte_range(stream, start, stop)

    def __aiter__(self) -> _StreamPart:
        return self

    async def __anext__(self) -> bytes:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        """Stop reading and close the stream."""
        await self._chunks.aclose()
        aclose = getattr(self._stream, "aclose", None)
        if aclose is not None:
            await aclose()


async def _byte_range(
    stream: AsyncIterable[bytes | str], start: int, stop: int
) -> AsyncGenerator[bytes, None]:
    position = 0
    async for chunk in stream:
        data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        end = position + len(data)
        if end > start:
            yield data[max(start - position, 0) : stop - position]
        position = end
        if position >= stop:
            return
