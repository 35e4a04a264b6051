"""Sending files: ``send_file``, ``send_from_directory`` and the static files view.

A file is sent in chunks read in a worker thread (``trio.Path`` and trio's async files), so a
large file costs neither memory nor event-loop time. Responses carry ``ETag`` and
``Last-Modified`` and answer conditional requests (304) and single byte ranges (206, or 416
when unsatisfiable), with the header parsing and comparisons from Werkzeug. A request for
several ranges gets the whole file (200), which RFC 9110 allows, rather than a multipart
answer that few clients ask for.

Werkzeug's own ``send_file`` builds a WSGI response around a blocking file wrapper, hence this
trio version.
"""

from __future__ import annotations

import io
import mimetypes
import os
import time
import unicodedata
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from stat import S_ISREG
from typing import IO, Any
from urllib.parse import quote

import trio
from werkzeug.exceptions import NotFound, RequestedRangeNotSatisfiable
from werkzeug.http import dump_options_header, parse_range_header
from werkzeug.sansio.http import is_resource_modified
from werkzeug.security import safe_join

from .globals import find_app_context, request_context_var
from .wrappers.response import Response

#: Bytes read from a file at a time (one worker-thread call each). Measured with a 1 GiB
#: download (`python -m bench --only transfer`), 256 KiB costs 2.4 times less server CPU per
#: byte than 64 KiB, and the memory it holds per download is the same few pages.
CHUNK_SIZE = 256 * 1024

FileSource = str | os.PathLike[str] | bytes | IO[bytes]


async def send_file(
    path_or_file: FileSource,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | float | None = None,
    max_age: int | None = None,
) -> Response:
    """A response that sends a file: a path, ``bytes``, or a binary file object.

    Args:
        path_or_file: the file. A relative path is relative to the working directory; never
            pass a path taken from the request here (see :func:`send_from_directory`).
        mimetype: the media type; guessed from the file's (or ``download_name``'s) name.
        as_attachment: ask the browser to save the file instead of showing it.
        download_name: the name the browser saves it as (any characters, RFC 6266).
        conditional: answer ``If-None-Match``/``If-Modified-Since`` with 304 and ``Range``
            with 206 (or 416).
        etag: make an ``ETag`` from the file's path, size and time (``True``), use this one
            (a ``str``), or send none.
        last_modified: the ``Last-Modified`` time; a path's own by default.
        max_age: seconds a client may cache the file without asking again; ``None`` (the
            default, ``SEND_FILE_MAX_AGE_DEFAULT``): it must revalidate every time.

    Raises:
        FileNotFoundError: the path does not exist (or is not a file).
        ValueError: the media type cannot be guessed, or ``as_attachment`` without a name.
    """
    source = await _open_source(path_or_file)
    name = download_name or source.name
    if mimetype is None:
        if name is None:
            raise ValueError(
                "Cannot guess the media type of a file object without a name: pass "
                "mimetype= or download_name=."
            )
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = Response(status=200, mimetype=mimetype)
    headers = response.headers
    if download_name is not None or as_attachment:
        if name is None:
            raise ValueError("as_attachment needs a download_name for a file object.")
        headers["Content-Disposition"] = content_disposition(name, as_attachment)
    if last_modified is None:
        last_modified = source.modified
    if last_modified is not None:
        response.last_modified = _as_datetime(last_modified)
    if isinstance(etag, str):
        response.set_etag(etag)
    elif etag and source.etag is not None:
        response.set_etag(source.etag)
    if max_age is None:
        max_age = _default_max_age()
    if max_age is None:
        response.cache_control.no_cache = True
    else:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
        response.expires = datetime.fromtimestamp(time.time() + max_age, UTC)
    start, stop = 0, source.size
    if conditional:
        headers["Accept-Ranges"] = "bytes"
        try:
            answer = _conditional_answer(response, source.size)
        except RequestedRangeNotSatisfiable:
            await source.close()
            raise
        if answer is not None:
            await source.close()
            return answer
        content_range = response.content_range
        if content_range.start is not None and content_range.stop is not None:
            start, stop = content_range.start, content_range.stop
    headers["Content-Length"] = str(stop - start)
    if _is_head_request():
        await source.close()  # no body will be read
    else:
        response.body = source.read(start, stop)
    return response


async def send_from_directory(
    directory: str | os.PathLike[str], path: str, **options: Any
) -> Response:
    """Send the file ``path`` (from the request, say) found under ``directory``, or 404.

    Refused with 404, as if missing: paths that leave the folder (``..``, absolute paths,
    backslashes, NUL bytes) and symbolic links that lead out of it. Takes the options of
    :func:`send_file`.

    Raises:
        NotFound: there is no such file in the folder.
    """
    full_path = safe_path(directory, path)
    if full_path is None:
        raise NotFound()
    try:
        return await send_file(full_path, **options)
    except FileNotFoundError:
        raise NotFound() from None


def safe_path(directory: str | os.PathLike[str], path: str) -> str | None:
    """``directory/path`` if it stays inside ``directory`` (symbolic links resolved), else
    ``None``. Werkzeug's ``safe_join`` refuses ``..`` and absolute paths; backslashes (a
    separator on Windows, a trick elsewhere), NUL bytes and links that lead out are refused
    here too."""
    if "\\" in path or "\x00" in path:
        return None
    joined = safe_join(os.fspath(directory), path)
    if joined is None:
        return None
    root = os.path.realpath(directory)
    real = os.path.realpath(joined)
    if real != root and not real.startswith(root + os.sep):
        return None
    return joined


def content_disposition(name: str, as_attachment: bool) -> str:
    """``Content-Disposition`` for a file named ``name`` (RFC 6266): an ASCII fallback in
    ``filename`` and the exact UTF-8 name in ``filename*`` when it is not plain ASCII."""
    kind = "attachment" if as_attachment else "inline"
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        exact = quote(name, safe="!#$&+-.^_`|~")
        return dump_options_header(kind, {"filename": fallback, "filename*": f"UTF-8''{exact}"})
    return dump_options_header(kind, {"filename": name})


def _conditional_answer(response: Response, size: int) -> Response | None:
    """A 304 when the client's copy is current; else ``None``, with ``response`` made a 206
    with ``Content-Range`` when one satisfiable byte range was asked for.

    Raises:
        RequestedRangeNotSatisfiable: the range lies beyond the file (416).
    """
    ctx = request_context_var.get(None)
    if ctx is None:
        return None
    request = ctx.request
    if request.method not in ("GET", "HEAD"):
        return None
    headers = request.headers
    etag, _ = response.get_etag()
    modified = is_resource_modified(
        http_range=headers.get("Range"),
        http_if_range=headers.get("If-Range"),
        http_if_modified_since=headers.get("If-Modified-Since"),
        http_if_none_match=headers.get("If-None-Match"),
        http_if_match=headers.get("If-Match"),
        etag=etag,
        last_modified=response.last_modified,
    )
    if not modified:
        not_modified = Response(status=304, mimetype=None)
        del not_modified.headers["Content-Length"]  # a 304 has no body to measure
        for name in ("ETag", "Last-Modified", "Cache-Control", "Expires", "Content-Location"):
            if name in response.headers:
                not_modified.headers[name] = response.headers[name]
        return not_modified
    requested = parse_range_header(headers.get("Range"))
    if requested is None:
        return None  # no Range, or one that does not parse: the whole file
    if_range = headers.get("If-Range")
    if if_range is not None and is_resource_modified(
        http_range=headers.get("Range"),
        http_if_range=if_range,
        etag=etag,
        last_modified=response.last_modified,
        ignore_if_range=False,
    ):
        return None  # the client's copy is out of date: the whole file
    if len(requested.ranges) > 1 or requested.units != "bytes":
        return None
    content_range = requested.make_content_range(size)
    if content_range is None:
        raise RequestedRangeNotSatisfiable(length=size)
    response.status_code = 206
    response.content_range = content_range
    return None


def _is_head_request() -> bool:
    ctx = request_context_var.get(None)
    return ctx is not None and ctx.request.method == "HEAD"


def _default_max_age() -> int | None:
    ctx = find_app_context()
    if ctx is None:
        return None
    value = ctx.app.config["SEND_FILE_MAX_AGE_DEFAULT"]
    if value is None:
        return None
    return int(value.total_seconds() if hasattr(value, "total_seconds") else value)


def _as_datetime(value: datetime | float) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)


class _Source:
    """What is known of the file to send, and how to read a part of it."""

    def __init__(
        self,
        name: str | None,
        size: int,
        modified: float | None,
        etag: str | None,
        read: Callable[[int, int], AsyncIterator[bytes]],
        close: Callable[[], object] | None = None,
    ) -> None:
        self.name = name
        self.size = size
        self.modified = modified
        self.etag = etag
        self._read = read
        self._close = close

    def read(self, start: int, stop: int) -> AsyncIterator[bytes]:
        """The bytes from ``start`` to ``stop``, chunk by chunk (the file is closed at the
        end)."""
        return self._read(start, stop)

    async def close(self) -> None:
        """Close a file object given by the caller, when its bytes will not be read."""
        if self._close is not None:
            await trio.to_thread.run_sync(self._close)


async def _open_source(path_or_file: FileSource) -> _Source:
    if isinstance(path_or_file, bytes):
        data = path_or_file
        return _Source(None, len(data), None, None, lambda start, stop: _memory(data, start, stop))
    if isinstance(path_or_file, str | os.PathLike):
        try:
            path = str(await trio.Path(os.fspath(path_or_file)).absolute())
            stat = await trio.Path(path).stat()
        except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
            raise FileNotFoundError(f"No file at {path!r}") from error
        if not S_ISREG(stat.st_mode):
            raise FileNotFoundError(f"{path!r} is not a file")
        checksum = zlib.adler32(path.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF
        etag = f"{stat.st_mtime}-{stat.st_size}-{checksum}"
        return _Source(
            os.path.basename(path),
            stat.st_size,
            stat.st_mtime,
            etag,
            lambda start, stop: _file_chunks(path, start, stop),
        )
    file = path_or_file
    name = getattr(file, "name", None)
    name = os.path.basename(name) if isinstance(name, str) else None
    if isinstance(file, io.BytesIO):
        data = file.getvalue()[file.tell() :]
        return _Source(name, len(data), None, None, lambda start, stop: _memory(data, start, stop))
    position = await trio.to_thread.run_sync(file.tell)
    end = await trio.to_thread.run_sync(file.seek, 0, io.SEEK_END)
    await trio.to_thread.run_sync(file.seek, position)
    return _Source(
        name,
        end - position,
        None,
        None,
        lambda start, stop: _object_chunks(file, position + start, position + stop),
        file.close,
    )


async def _memory(data: bytes, start: int, stop: int) -> AsyncIterator[bytes]:
    for offset in range(start, stop, CHUNK_SIZE):
        yield data[offset : min(offset + CHUNK_SIZE, stop)]


async def _file_chunks(path: str, start: int, stop: int) -> AsyncIterator[bytes]:
    async with await trio.open_file(path, "rb") as file:
        await file.seek(start)
        remaining = stop - start
        while remaining > 0:
            chunk = await file.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                return  # the file shrank since it was measured: end early
            remaining -= len(chunk)
            yield chunk


async def _object_chunks(file: IO[bytes], start: int, stop: int) -> AsyncIterator[bytes]:
    try:
        await trio.to_thread.run_sync(file.seek, start)
        remaining = stop - start
        while remaining > 0:
            chunk = await trio.to_thread.run_sync(file.read, min(CHUNK_SIZE, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    finally:
        file.close()
