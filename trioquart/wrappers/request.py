"""Request: one HTTP request, with its body read on demand through trio.

The body is never read before a handler asks for it. ``MAX_CONTENT_LENGTH`` is enforced on the
declared ``Content-Length`` before reading and on the bytes received while reading, so an
oversized upload is refused with 413 without being read in full.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Generator
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

from .base import BaseRequestWebsocket

if TYPE_CHECKING:
    from ..request_inbox import RequestInbox
    from ..typing import HTTPScope


class Body:
    """The request body: ``await request.body`` for all of it, ``async for`` for chunks.

    Iterating streams the chunks as they arrive and does not keep them; awaiting reads and
    keeps the whole body (``request.get_data()`` uses that copy).
    """

    def __init__(self, inbox: RequestInbox, declared: int | None, limit: int | None) -> None:
        self._inbox = inbox
        self._declared = declared
        self._limit = limit
        self._received = 0
        self._data: bytes | None = None
        self._streamed = False

    def _start(self) -> None:
        """Begin the one read of the body, refusing a declared size above the limit."""
        if self._streamed:
            raise RuntimeError(
                "The request body was already consumed by 'async for chunk in request.body'; "
                "read it with 'await request.get_data()' before iterating if you need it twice."
            )
        self._streamed = True
        if self._limit is not None and self._declared is not None and self._declared > self._limit:
            raise RequestEntityTooLarge(
                f"The request body is {self._declared} bytes; the limit is {self._limit}."
            )

    def _count(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._limit is not None and self._received > self._limit:
            raise RequestEntityTooLarge(
                f"The request body is larger than the limit of {self._limit} bytes."
            )

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._data is not None:
            yield self._data
            return
        self._start()
        while (chunk := await self._inbox.read_chunk()) is not None:
            self._count(chunk)
            yield chunk

    async def read(self) -> bytes:
        """Read the whole body (once; later calls return the same bytes).

        Waits through the server's ``receive`` (a checkpoint under any trio server) until the
        last chunk has arrived; the body already read returns at once.
        """
        if self._data is None:
            self._start()
            chunks = await self._inbox.read_rest(self._count)
            self._data = b"".join(chunks)
        return self._data

    def __await__(self) -> Generator[Any, None, bytes]:
        return self.read().__await__()


class Request(BaseRequestWebsocket):
    """An HTTP request, available as the ``request`` global in handlers and hooks.

    Args:
        scope: the ASGI HTTP scope.
        inbox: where the body and the disconnect arrive.
        max_content_length: the largest body accepted, or ``None`` for no limit.
    """

    _form: MultiDict[str, str] | None = None
    _files: MultiDict[str, FileStorage] | None = None
    _json: Any = None
    _json_loaded = False
    _body: Body | None = None

    def __init__(
        self, scope: HTTPScope, inbox: RequestInbox, max_content_length: int | None = None
    ) -> None:
        super().__init__(scope, scope["method"])
        self._inbox = inbox
        self._max_content_length = max_content_length

    @property
    def max_content_length(self) -> int | None:
        """The largest body this request accepts (``MAX_CONTENT_LENGTH``), ``None`` for any."""
        return self._max_content_length

    @property
    def body(self) -> Body:
        """The request body: ``await request.body``, or ``async for chunk in request.body``."""
        # Built on first use: most requests never read a body, and the declared length comes
        # from the headers.
        body = self._body
        if body is None:
            body = self._body = Body(self._inbox, self.content_length, self._max_content_length)
        return body

    def get_data(self, *, as_text: bool = False) -> Awaitable[Any]:
        """Return the whole body as ``bytes`` (or ``str`` with ``as_text=True``). A checkpoint.

        Use as ``await request.get_data()``.

        Raises:
            RequestEntityTooLarge: the body exceeds ``MAX_CONTENT_LENGTH`` (answered with 413).
        """
        # A plain method returning the body's coroutine: a coroutine frame less for the
        # common call, which every upload handler makes.
        if as_text:
            return self._get_text()
        return self.body.read()

    async def _get_text(self) -> str:
        data = await self.body.read()
        return data.decode(self.charset_for_text, "replace")

    @property
    def charset_for_text(self) -> str:
        """The charset named by ``Content-Type``, UTF-8 when none is."""
        return self.mimetype_params.get("charset", "utf-8")

    async def get_json(self, *, force: bool = False, silent: bool = False) -> Any:
        """Parse the body as JSON. A checkpoint.

        Args:
            force: parse even when ``Content-Type`` is not JSON.
            silent: return ``None`` instead of raising on a bad body or content type.

        Raises:
            BadRequest: the body is not valid JSON, or the content type is not JSON
                (the client gets a 400 that says which).
        """
        if self._json_loaded:
            return self._json
        if not (force or self.is_json):
            if silent:
                return None
            raise BadRequest(
                f"Expected a JSON body ('Content-Type: application/json'), got {self.mimetype!r}."
            )
        data = await self.get_data()
        try:
            self._json = json.loads(data)
            self._json_loaded = True
        except ValueError as error:
            if silent:
                return None
            raise BadRequest(f"The request body is not valid JSON: {error}") from error
        return self._json

    @property
    def json(self) -> Any:
        """An awaitable of the parsed JSON body (``await request.json``); see :meth:`get_json`."""
        return self.get_json()

    async def _load_form(self) -> None:
        if self._form is not None:
            return
        self._form, self._files = MultiDict(), MultiDict()
        if self.mimetype == "application/x-www-form-urlencoded":
            text = (await self.get_data()).decode(self.charset_for_text, "replace")
            for key, value in parse_qsl(text, keep_blank_values=True):
                self._form.add(key, value)
        elif self.mimetype == "multipart/form-data":
            await self._load_multipart()

    async def _load_multipart(self) -> None:
        assert self._form is not None
        assert self._files is not None
        boundary = self.mimetype_params.get("boundary")
        if not boundary:
            raise BadRequest("The multipart body has no boundary in its Content-Type.")
        decoder = MultipartDecoder(boundary.encode("latin-1"))
        decoder.receive_data(await self.get_data())
        decoder.receive_data(None)
        part: Field | File | None = None
        content = bytearray()
        while True:
            try:
                event = decoder.next_event()
            except ValueError as error:
                raise BadRequest(f"The multipart body is malformed: {error}") from error
            if isinstance(event, NeedData | Epilogue):
                break
            if isinstance(event, Field | File):
                part, content = event, bytearray()
            elif isinstance(event, Data) and part is not None:
                content += event.data
                if not event.more_data:
                    self._store_part(part, bytes(content))
                    part = None
        if part is not None:
            raise BadRequest("The multipart body ended in the middle of a part.")

    def _store_part(self, part: Field | File, content: bytes) -> None:
        assert self._form is not None
        assert self._files is not None
        if isinstance(part, File):
            headers = Headers(part.headers)
            self._files.add(
                part.name,
                FileStorage(
                    BytesIO(content),
                    filename=part.filename,
                    name=part.name,
                    content_type=headers.get("Content-Type"),
                    headers=headers,
                ),
            )
        else:
            self._form.add(part.name, content.decode("utf-8", "replace"))

    @property
    def form(self) -> Any:
        """An awaitable of the form fields (``await request.form``), a ``MultiDict``.

        URL-encoded and multipart bodies are parsed; other bodies give an empty ``MultiDict``.
        """
        return self._get_form()

    async def _get_form(self) -> MultiDict[str, str]:
        await self._load_form()
        assert self._form is not None
        return self._form

    @property
    def files(self) -> Any:
        """An awaitable of the uploaded files (``await request.files``), a ``MultiDict``."""
        return self._get_files()

    async def _get_files(self) -> MultiDict[str, FileStorage]:
        await self._load_form()
        assert self._files is not None
        return self._files
