"""Request: one HTTP request, with its body read on demand through trio.

The body is never read before a handler asks for it. ``MAX_CONTENT_LENGTH`` is enforced on the
declared ``Content-Length`` before reading and on the bytes received while reading, so an
oversized upload is refused with 413 without being read in full.

Strategy for several readers: tasks of one handler may await the body (``get_data``,
``body``, ``json``, ``form``, ``files``) at once. One of them reads; the others wait for its
outcome and share it: the same bytes, or the same exception re-raised (and raised again by
every later read). A reader that is cancelled has no outcome and stores none: the chunks it
had taken are kept, and a waiter (or else the next read) goes on from there. Parsing (JSON,
forms) needs no waiting once the bytes are in, so the first task to resume parses for all and
the others find the result stored; only a parse that succeeded is stored, so one that fails
fails the same way on the next read.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import aclosing
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload
from urllib.parse import parse_qsl

import trio
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    RequestEntityTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)

from .. import json as json_module
from ..multipart import FileStorage, FormData, close_files, parse_multipart
from .base import BaseRequestWebsocket

if TYPE_CHECKING:
    from ..typing import HTTPScope


class BodySource(Protocol):
    """Where a request's body comes from, chunk by chunk (the HTTP driver's inbox)."""

    async def read_chunk(self) -> bytes | None:
        """The next chunk, or ``None`` once the body is complete."""
        ...

    async def read_rest(self, on_chunk: Callable[[bytes], None]) -> None:
        """Hand every chunk still to come to ``on_chunk``, until the body is complete."""
        ...


#: Bodies larger than this (bytes) are parsed as forms in a worker thread.
_PARSE_IN_THREAD_ABOVE = 64 * 1024
#: The size of the pieces a multipart body is fed to Werkzeug's decoder in.
#: Multipart bodies declared up to this size are read whole (and kept for ``get_data()``)
#: before they are parsed; larger ones, and chunked ones, are parsed as they stream in.
STREAM_FORMS_ABOVE = 1024 * 1024
#: Pieces in which a body held in memory is parsed, a checkpoint between two.
_MULTIPART_PIECE = 64 * 1024
#: The bodies ``await request.form`` parses (``get_data(parse_form_data=True)`` leaves out).
_FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


#: A parsed form body: its fields and its files.
async def _pieces(data: bytes) -> AsyncGenerator[bytes, None]:
    for start in range(0, len(data), _MULTIPART_PIECE):
        await trio.lowlevel.checkpoint()
        yield data[start : start + _MULTIPART_PIECE]


class Body:
    """The request body: ``await request.body`` for all of it, ``async for`` for chunks.

    Awaiting reads and keeps the whole body (``request.get_data()`` uses that copy), and may
    be done by several tasks at once: one reads, every waiter gets its bytes or its error.
    Iterating streams the chunks as they arrive and keeps nothing; it is for one task, and
    refuses to start while a whole-body read is in progress.
    """

    __slots__ = (
        "_data",
        "_deadline",
        "_failure",
        "_failure_traceback",
        "_inbox",
        "_kept",
        "_limit",
        "_read_done",
        "_reading",
        "_received",
        "_streamed",
        "_timeout",
    )

    def __init__(
        self,
        inbox: BodySource,
        declared: int | None,
        limit: int | None,
        timeout: float | None = None,
    ) -> None:
        self._inbox = inbox
        self._limit = limit
        self._timeout = timeout
        self._deadline: float | None = None
        self._received = 0
        # Chunks taken by a whole-body read that has not finished (or was cancelled).
        self._kept: list[bytes] = []
        self._data: bytes | None = None
        self._failure: Exception | None = None
        self._failure_traceback: TracebackType | None = None
        self._reading = False
        self._read_done: trio.Event | None = None  # made when a second reader waits
        self._streamed = False
        if limit is not None and declared is not None and declared > limit:
            self._failure = RequestEntityTooLarge(
                f"The request body is {declared} bytes; the limit is {limit}."
            )

    def _read_deadline(self) -> float:
        """When the body must be in: ``timeout`` seconds after it was first asked for."""
        if self._timeout is None:
            return math.inf
        if self._deadline is None:
            self._deadline = trio.current_time() + self._timeout
        return self._deadline

    def _timed_out(self) -> RequestTimeout:
        return RequestTimeout(
            f"The request body did not arrive within {self._timeout} s (BODY_TIMEOUT)."
        )

    def _count(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._limit is not None and self._received > self._limit:
            raise RequestEntityTooLarge(
                f"The request body is larger than the limit of {self._limit} bytes."
            )

    def _keep(self, chunk: bytes) -> None:
        self._count(chunk)
        self._kept.append(chunk)

    def _refusal(self) -> BaseException:
        """Why the body cannot be read (whole) any more: its stored error, or streaming."""
        if self._failure is not None:
            # Every raise would add its frames to the stored traceback; start from the first.
            return self._failure.with_traceback(self._failure_traceback)
        return RuntimeError(
            "The request body was already consumed as a stream (by 'async for chunk in "
            "request.body', or to parse a multipart form larger than STREAM_FORMS_ABOVE); read "
            "it with 'await request.get_data()' first if you need it whole."
        )

    async def __aiter__(self) -> AsyncGenerator[bytes, None]:
        """Each chunk as it arrives, a checkpoint each; for one task (see the class)."""
        if self._data is not None:
            await trio.lowlevel.checkpoint()
            if self._data:  # nothing at all once cleared
                yield self._data
            return
        if self._failure is not None or self._streamed:
            raise self._refusal()
        if self._reading:
            raise RuntimeError(
                "The request body is being read whole by another task; await "
                "request.get_data() to share that read instead of iterating over request.body."
            )
        self._streamed = True
        kept, self._kept = self._kept, []
        for chunk in kept:
            await trio.lowlevel.checkpoint()
            yield chunk
        while True:
            with trio.CancelScope(deadline=self._read_deadline()) as deadline:
                more = await self._inbox.read_chunk()
            if deadline.cancelled_caught:
                raise self._timed_out()
            if more is None:
                return
            self._count(more)
            yield more

    async def read(self) -> bytes:
        """Read the whole body; later and concurrent calls get the same bytes. A checkpoint.

        Waits until the last chunk has arrived, or for the task already reading it. If the
        reading task is cancelled, a waiting task takes over where it stopped.

        Raises:
            RequestEntityTooLarge: the body exceeds the limit (again on every later call).
            ClientDisconnectedError: the client left first (when nothing cancelled the task).
            RuntimeError: the body was streamed with ``async for``.
        """
        waited = False
        while self._data is None:
            if self._failure is not None or self._streamed:
                if not waited:
                    await trio.lowlevel.checkpoint()
                raise self._refusal()
            if self._reading:
                if self._read_done is None:
                    self._read_done = trio.Event()
                await self._read_done.wait()
                waited = True  # then: the bytes, the reader's error, or (it was cancelled) a turn
                continue
            # This task reads for all. Not a helper coroutine: every wake-up of the reader
            # passes through each frame in between.
            self._reading = True
            try:
                with trio.CancelScope(deadline=self._read_deadline()) as deadline:
                    await self._inbox.read_rest(self._keep)
                if deadline.cancelled_caught:
                    raise self._timed_out()
                data = self._data = b"".join(self._kept)
                self._kept = []
                return data
            except Exception as error:
                # Cancellation is not an outcome: it stores nothing, and the kept chunks stay.
                self._failure, self._failure_traceback = error, error.__traceback__
                self._kept = []
                raise
            finally:
                self._reading = False
                if self._read_done is not None:
                    self._read_done.set()
                    self._read_done = None
        if not waited:
            await trio.lowlevel.checkpoint()
        return self._data

    def __await__(self) -> Generator[Any, None, bytes]:
        return self.read().__await__()

    def clear(self) -> None:
        """Drop the body once read whole, as Quart's ``clear`` (``get_data(cache=False)``):
        every later read, whole or streamed, gets empty bytes. A body not read whole (not
        yet, or streamed, or refused) is left as it is. Not a checkpoint."""
        if self._data is not None:
            self._data = b""


def decode_text(data: bytes, charset: str) -> str:
    """``data`` decoded with ``charset``, undecodable bytes replaced.

    Raises:
        UnsupportedMediaType: Python has no text codec of that name (or it cannot replace
            what it cannot decode): the client's ``Content-Type`` is at fault, hence a 415.
    """
    try:
        text = data.decode(charset, "replace")
        if not data:
            b" ".decode(charset, "replace")  # empty bytes decode without looking the codec up
    except (LookupError, UnicodeError) as error:
        raise UnsupportedMediaType(
            f"The request body's charset {charset!r} (from Content-Type) is not supported."
        ) from error
    return text


def parse_urlencoded(
    data: bytes, charset: str, max_parts: int | None = None, max_memory: int | None = None
) -> FormData:
    """The fields of an ``application/x-www-form-urlencoded`` body (it has no files).

    Raises:
        RequestEntityTooLarge: more than ``max_parts`` fields, or a body above ``max_memory``
            bytes (``MAX_FORM_PARTS``, ``MAX_FORM_MEMORY_SIZE``).
        UnsupportedMediaType: ``charset`` is not a text encoding Python knows.
    """
    if max_memory is not None and len(data) > max_memory:
        raise RequestEntityTooLarge(
            f"The form is {len(data)} bytes; MAX_FORM_MEMORY_SIZE is {max_memory}."
        )
    form: MultiDict[str, str] = MultiDict()
    text = decode_text(data, charset)
    try:
        fields = parse_qsl(text, keep_blank_values=True, max_num_fields=max_parts)
    except ValueError as error:
        raise RequestEntityTooLarge(
            f"The form has more than MAX_FORM_PARTS ({max_parts}) fields."
        ) from error
    for key, value in fields:
        form.add(key, value)
    return form, MultiDict()


class Request(BaseRequestWebsocket):
    """An HTTP request, available as the ``request`` global in handlers and hooks.

    Its body readers may be awaited by several tasks at once (see :class:`Body`).

    Args:
        scope: the ASGI HTTP scope.
        inbox: where the body and the disconnect arrive.
        max_content_length: the largest body accepted, or ``None`` for no limit.
        body_timeout: seconds the whole body may take to arrive once it is first read (else
            408), or ``None`` for no limit.
        max_form_parts: the most fields and files a form may have (else 413), or ``None``.
        max_form_memory_size: the largest form field, or url-encoded form, in bytes (else
            413), or ``None``.
    """

    _form_data: FormData | None = None
    _form_failure: HTTPException | None = None
    _form_lock: trio.Lock | None = None
    _json: Any = None
    _json_loaded = False
    _body: Body | None = None

    def __init__(
        self,
        scope: HTTPScope,
        inbox: BodySource,
        max_content_length: int | None = None,
        body_timeout: float | None = None,
        *,
        max_form_parts: int | None = None,
        max_form_memory_size: int | None = None,
    ) -> None:
        super().__init__(scope, scope["method"])
        self._inbox = inbox
        self._max_content_length = max_content_length
        self._body_timeout = body_timeout
        self._max_form_parts = max_form_parts
        self._max_form_memory_size = max_form_memory_size

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
            body = self._body = Body(
                self._inbox, self.content_length, self._max_content_length, self._body_timeout
            )
        return body

    @overload
    async def get_data(
        self,
        cache: bool = True,
        as_text: Literal[False] = False,
        parse_form_data: bool = False,
    ) -> bytes: ...
    @overload
    async def get_data(
        self, cache: bool, as_text: Literal[True], parse_form_data: bool = False
    ) -> str: ...
    @overload
    async def get_data(
        self, cache: bool = True, *, as_text: Literal[True], parse_form_data: bool = False
    ) -> str: ...
    @overload
    async def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str: ...
    async def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        """The whole body as ``bytes`` (``str`` with ``as_text=True``), read once and kept.

        A checkpoint. Safe to call from several tasks at once; a cancelled call leaves the
        body to the next one (see :meth:`Body.read`).

        Args:
            cache: keep the bytes for later reads; ``False`` drops them once returned, so
                every later read (``get_data``, ``json``, ``form``, by any task) gets an empty
                body, as in Quart. What was parsed already stays.
            as_text: decode the bytes with the charset of ``Content-Type`` (UTF-8 when it
                names none), replacing what does not decode.
            parse_form_data: for a form body (url-encoded or multipart), parse the form
                first (``await request.form`` has it) and return what is left of the body
                besides the form: nothing, as in Flask. Other bodies are returned whole.

        Raises:
            RequestEntityTooLarge: the body exceeds ``MAX_CONTENT_LENGTH`` (answered with 413).
            RequestTimeout: the body took longer than ``BODY_TIMEOUT`` (answered with 408).
            UnsupportedMediaType: with ``as_text``, the charset of ``Content-Type`` is not one
                Python can decode (answered with 415).
            RuntimeError: the body was streamed (``async for``, or a multipart form larger
                than ``STREAM_FORMS_ABOVE``), so it is not there to read whole.
            BadRequest: with ``parse_form_data``, the form is malformed (and see
                :attr:`form` for its limits).
        """
        if parse_form_data and self.mimetype in _FORM_MIMETYPES:
            await self._load_form()
            data = b""
        else:
            data = await self.body.read()
        if not cache:
            self.body.clear()
        return decode_text(data, self.charset_for_text) if as_text else data

    @property
    def data(self) -> Awaitable[bytes]:
        """An awaitable of the body (``await request.data``), as in Quart:
        ``get_data(parse_form_data=True)``, so it is empty for a form body, whose fields are
        in :attr:`form`."""
        return self.get_data(parse_form_data=True)

    @property
    def charset_for_text(self) -> str:
        """The charset named by ``Content-Type``, UTF-8 when none (or an empty one) is."""
        return self.mimetype_params.get("charset") or "utf-8"

    async def get_json(self, *, force: bool = False, silent: bool = False) -> Any:
        """Parse the body as JSON; later and concurrent calls get the same object.

        A checkpoint. Safe to call from several tasks at once, and to cancel, like
        :meth:`get_data`.

        Args:
            force: parse even when ``Content-Type`` is not JSON.
            silent: return ``None`` instead of raising on a bad body or content type.

        Raises:
            BadRequest: the body is not valid JSON (nested too deeply included), or the
                content type is not JSON (the client gets a 400 that says which).
        """
        if self._json_loaded:
            await trio.lowlevel.checkpoint()
            return self._json
        if not (force or self.is_json):
            await trio.lowlevel.checkpoint()
            if silent:
                return None
            raise BadRequest(
                f"Expected a JSON body ('Content-Type: application/json'), got {self.mimetype!r}."
            )
        data = await self.body.read()
        if not self._json_loaded:  # else another task parsed it while this one waited
            try:
                self._json = json_module.loads(data)
            except ValueError as error:
                if silent:
                    return None
                raise BadRequest(f"The request body is not valid JSON: {error}") from error
            self._json_loaded = True
        return self._json

    @property
    def json(self) -> Awaitable[Any]:
        """An awaitable of the parsed JSON body (``await request.json``); see :meth:`get_json`."""
        return self.get_json()

    async def _load_multipart(self, boundary: str) -> FormData:
        """The multipart form, parsed once by one task as the body arrives; other tasks wait
        for that parse. A declared body up to ``STREAM_FORMS_ABOVE`` bytes is read (and kept,
        for ``get_data()``) first; a larger one, or one of unknown length, is parsed as it
        streams in and not kept."""
        if self._form_lock is None:
            self._form_lock = trio.Lock()
        async with self._form_lock:
            if self._form_data is not None:
                return self._form_data
            if self._form_failure is not None:
                raise self._form_failure
            options = {"max_parts": self._max_form_parts, "max_memory": self._max_form_memory_size}
            declared = self.content_length
            try:
                if declared is not None and declared <= STREAM_FORMS_ABOVE:
                    data = await self.body.read()
                    async with aclosing(_pieces(data)) as pieces:
                        self._form_data = await parse_multipart(pieces, boundary, **options)
                else:
                    async with aclosing(self.body.__aiter__()) as chunks:
                        self._form_data = await parse_multipart(chunks, boundary, **options)
            except HTTPException as error:
                # The body may be gone (streamed): the same answer on every later read.
                self._form_failure = error
                raise
            return self._form_data

    async def close_uploads(self) -> None:
        """Close the uploaded files' streams (their temporary files are deleted): the request
        is done with them. Called by the framework once the response is sent.

        In a worker thread (freeing a large temporary file's pages takes the kernel about
        10 ms per 200 MB), shielded (the client may have left) and bounded to 5 s. Not a
        checkpoint when there is no upload.
        """
        if self._form_data is None or not self._form_data[1]:
            return
        files = self._form_data[1]
        with trio.move_on_after(5, shield=True):
            await trio.to_thread.run_sync(close_files, files)

    async def _load_form(self) -> FormData:
        """The parsed form, read and parsed once. A checkpoint."""
        form_data = self._form_data
        if form_data is not None:
            await trio.lowlevel.checkpoint()
            return form_data
        parse: Callable[[bytes], FormData]
        mimetype = self.mimetype
        if mimetype == "application/x-www-form-urlencoded":
            parse = partial(
                parse_urlencoded,
                charset=self.charset_for_text,
                max_parts=self._max_form_parts,
                max_memory=self._max_form_memory_size,
            )
        elif mimetype == "multipart/form-data":
            boundary = self.mimetype_params.get("boundary")
            if not boundary:
                await trio.lowlevel.checkpoint()
                raise BadRequest("The multipart body has no boundary in its Content-Type.")
            return await self._load_multipart(boundary)
        else:
            await trio.lowlevel.checkpoint()
            form_data = self._form_data = MultiDict(), MultiDict()
            return form_data
        data = await self.body.read()
        if self._form_data is None:  # another task may have parsed it while this one waited
            if len(data) > _PARSE_IN_THREAD_ABOVE:
                # A large body takes milliseconds to parse: not on the event loop.
                parsed = await trio.to_thread.run_sync(parse, data)
            else:
                parsed = parse(data)
            # Stored only once parsed (a body that fails to parse fails again on the next
            # read), and the first parse wins.
            if self._form_data is None:
                self._form_data = parsed
        return self._form_data

    @property
    def form(self) -> Awaitable[MultiDict[str, str]]:
        """An awaitable of the form fields (``await request.form``), a ``MultiDict``.

        URL-encoded and multipart bodies are parsed; other bodies give an empty ``MultiDict``.
        Awaiting it is a checkpoint, safe from several tasks at once and to cancel, like
        :meth:`get_data`.

        Raises:
            BadRequest: a malformed multipart body (again on every later read).
            RequestEntityTooLarge: more fields than ``MAX_FORM_PARTS``, or one larger than
                ``MAX_FORM_MEMORY_SIZE``.
            UnsupportedMediaType: a url-encoded body whose charset Python cannot decode.
        """
        return self._get_form()

    async def _get_form(self) -> MultiDict[str, str]:
        return (await self._load_form())[0]

    @property
    def files(self) -> Awaitable[MultiDict[str, FileStorage]]:
        """An awaitable of the uploaded files (``await request.files``), a ``MultiDict``.

        The files of a multipart body; see :attr:`form`.
        """
        return self._get_files()

    async def _get_files(self) -> MultiDict[str, FileStorage]:
        return (await self._load_form())[1]

    @property
    def values(self) -> Awaitable[CombinedMultiDict[str, str]]:
        """An awaitable of the query arguments and the form fields in one read-only
        ``CombinedMultiDict`` (``await request.values``), as in Quart and Werkzeug.

        ``values.get(key)`` looks in :attr:`args` first; ``getlist`` gives the values of both.
        A ``GET`` request's form is left out (and its body is not read), as in Werkzeug. A
        checkpoint, and it raises what :attr:`form` raises.
        """
        return self._get_values()

    async def _get_values(self) -> CombinedMultiDict[str, str]:
        if self.method == "GET":
            await trio.lowlevel.checkpoint()
            return CombinedMultiDict([self.args])
        return CombinedMultiDict([self.args, await self.form])
