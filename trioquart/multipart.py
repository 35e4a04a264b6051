"""Multipart form bodies parsed as they stream in, with uploads spooled to disk.

Werkzeug's sans-I/O ``MultipartDecoder`` does the parsing: the body is fed to it as it arrives,
so a form is never held whole in memory. One precaution is taken first: the decoder can
misread a delimiter split between two pieces it is fed (seen with Werkzeug 3.1: a CR of the
delimiter ends up in the data, or the part is not found), and a client may send any split. So
each piece is cut before the first CR or LF in its last delimiter's length, and that tail
waits for the next chunk: the decoder never sees a piece that ends inside a possible
delimiter. ``tests/test_multipart.py`` checks every split of generated bodies.

Fields are kept in memory (bounded by ``MAX_FORM_MEMORY_SIZE``); a file is kept in memory up
to ``SPOOL_ABOVE`` bytes and then moved to a temporary file, written in a worker thread so
that the event loop never waits for the disk. Uploads are :class:`FileStorage` objects whose
``save`` is a coroutine, as in Quart.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import AsyncIterable
from typing import IO

import trio
from werkzeug.datastructures import FileStorage as _WerkzeugFileStorage
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

#: Bytes of one upload kept in memory before it moves to a temporary file (Werkzeug's own
#: threshold for its spooled files).
SPOOL_ABOVE = 500 * 1024

FormData = tuple[MultiDict[str, str], MultiDict[str, "FileStorage"]]


class FileStorage(_WerkzeugFileStorage):
    """An uploaded file: ``filename``, ``name``, ``content_type``, ``headers``, ``stream``,
    and the coroutine :meth:`save`."""

    async def save(  # type: ignore[override]
        self, destination: str | os.PathLike[str] | IO[bytes], buffer_size: int = 64 * 1024
    ) -> None:
        """Write the file to ``destination`` (a path or a binary file), in a worker thread.

        As in Quart this is awaited; Werkzeug's own ``save`` would block the event loop.
        """
        await trio.to_thread.run_sync(self._copy_to, destination, buffer_size)

    def _copy_to(self, destination: str | os.PathLike[str] | IO[bytes], buffer_size: int) -> None:
        if isinstance(destination, str | os.PathLike):
            with open(destination, "wb") as target:
                shutil.copyfileobj(self.stream, target, buffer_size)
        else:
            shutil.copyfileobj(self.stream, destination, buffer_size)


class _Spool:
    """The content of one upload: in memory, then in a temporary file past ``SPOOL_ABOVE``."""

    def __init__(self) -> None:
        self.file: IO[bytes] = io.BytesIO()
        self.size = 0
        self.on_disk = False

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if not self.on_disk and self.size > SPOOL_ABOVE:
            await trio.to_thread.run_sync(self._move_to_disk)
        if self.on_disk:
            await trio.to_thread.run_sync(self.file.write, data)
        else:
            self.file.write(data)

    def _move_to_disk(self) -> None:
        assert isinstance(self.file, io.BytesIO)
        disk = tempfile.TemporaryFile("w+b")  # noqa: SIM115 - closed with the request
        disk.write(self.file.getbuffer())
        self.file = disk
        self.on_disk = True

    async def rewind(self) -> IO[bytes]:
        if self.on_disk:
            await trio.to_thread.run_sync(self.file.seek, 0)
        else:
            self.file.seek(0)
        return self.file


async def parse_multipart(
    chunks: AsyncIterable[bytes],
    boundary: str,
    max_parts: int | None = None,
    max_memory: int | None = None,
) -> FormData:
    """The fields and files of a ``multipart/form-data`` body read from ``chunks``.

    Raises:
        BadRequest: the body is malformed.
        RequestEntityTooLarge: more than ``max_parts`` parts (Werkzeug's decoder counts them),
            or a field (not a file) above ``max_memory`` bytes.
    """
    form: MultiDict[str, str] = MultiDict()
    files: MultiDict[str, FileStorage] = MultiDict()
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_parts=max_parts)
    part: Field | File | None = None
    field = bytearray()
    spool: _Spool | None = None

    async def feed(chunk: bytes | None) -> None:
        """Give the decoder ``chunk`` (``None``: the end) and take every event it yields."""
        nonlocal part, field, spool
        decoder.receive_data(chunk)
        while True:
            try:
                event = decoder.next_event()  # too many parts: RequestEntityTooLarge
            except ValueError as error:
                raise BadRequest(f"The multipart body is malformed: {error}") from error
            if isinstance(event, NeedData | Epilogue):
                return
            if isinstance(event, File):
                part, spool = event, _Spool()
            elif isinstance(event, Field):
                part, field = event, bytearray()
            elif isinstance(event, Data) and part is not None:
                if isinstance(part, File):
                    assert spool is not None
                    await spool.write(event.data)
                else:
                    field += event.data
                    if max_memory is not None and len(field) > max_memory:
                        raise RequestEntityTooLarge(
                            f"The form field {part.name!r} is larger than "
                            f"MAX_FORM_MEMORY_SIZE ({max_memory} bytes)."
                        )
                if not event.more_data:
                    if isinstance(part, File):
                        assert spool is not None
                        files.add(part.name, await _upload(part, spool))
                        spool = None
                    else:
                        form.add(part.name, field.decode("utf-8", "replace"))
                    part = None

    window = len(boundary) + 8  # "\r\n--" + boundary + "--" or line break, and a margin
    pending = b""
    try:
        async for chunk in chunks:
            pending += chunk
            cut = _safe_cut(pending, window)
            if cut:
                await feed(pending[:cut])
                pending = pending[cut:]
        if pending:
            await feed(pending)
        await feed(None)
    except BaseException:
        close_files(files)
        if spool is not None:
            spool.file.close()
        raise
    return form, files


def _safe_cut(pending: bytes, window: int) -> int:
    """How much of ``pending`` may be fed: up to the first CR or LF in its last ``window``
    bytes (where a delimiter may be starting), or all of it."""
    tail_start = max(0, len(pending) - window)
    cuts = [
        index
        for index in (pending.find(b"\r", tail_start), pending.find(b"\n", tail_start))
        if index != -1
    ]
    return min(cuts, default=len(pending))


async def _upload(part: File, spool: _Spool) -> FileStorage:
    headers = Headers(part.headers)
    return FileStorage(
        await spool.rewind(),
        filename=part.filename,
        name=part.name,
        content_type=headers.get("Content-Type"),
        headers=headers,
    )


def close_files(files: MultiDict[str, FileStorage]) -> None:
    """Close every upload's stream (a temporary file's descriptor is released at once)."""
    for upload in files.values():
        upload.stream.close()
