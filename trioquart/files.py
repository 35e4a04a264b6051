"""Sending files: ``send_file``, ``send_from_directory`` and the static files view.

A file is sent in chunks read in a worker thread (``trio.Path`` and trio's async files), so a
large file costs neither memory nor event-loop time. Responses carry ``ETag`` and
``Last-Modified``, and their body is a ``FileBody`` that can read any part of the file: with
``conditional=True``, :meth:`Response.make_conditional` answers conditional requests (304,
412) and single byte ranges (206, or 416 when unsatisfiable) with Werkzeug's header parsing
and comparisons. A request for several ranges gets the whole file (200), which RFC 9110
allows, rather than a multipart answer that few clients ask for.

Both spellings of the options are taken: Flask's (``download_name``, ``etag``, ``max_age``)
and Quart 0.22's (``attachment_filename``, ``add_etags``, ``cache_timeout``,
``filename_or_io``; ``file_name`` for ``send_from_directory``), so a Quart app ports by
changing its imports.

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
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from stat import S_ISREG
from typing import IO, Any
from urllib.parse import quote

import trio
from werkzeug.exceptions import NotFound
from werkzeug.http import dump_options_header
from werkzeug.security import safe_join

from .globals import find_app_context, request_context_var
from .wrappers.response import FileBody, Response

#: Bytes read from a file at a time (one worker-thread call each). Measured with a 1 GiB
#: download (`python -m bench --only transfer`), 256 KiB costs 2.4 times less server CPU per
#: byte than 64 KiB, and the memory it holds per download is the same few pages.
CHUNK_SIZE = 256 * 1024

FileSource = str | os.PathLike[str] | bytes | IO[bytes]


class _Default:
    """An option left to its default, told apart from the same value given, so that a Quart
    name for it can be given alone. Shown as the value in signatures."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


_ETAG_DEFAULT = _Default(True)


async def send_file(
    path_or_file: FileSource | None = None,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str | _Default = _ETAG_DEFAULT,
    last_modified: datetime | float | None = None,
    max_age: int | None = None,
    *,
    filename_or_io: FileSource | None = None,
    attachment_filename: str | None = None,
    add_etags: bool | None = None,
    cache_timeout: int | None = None,
) -> Response:
    """A response that sends a file: a path, ``bytes``, or a binary file object.

    Args:
        path_or_file: the file. A relative path is relative to the working directory; never
            pass a path taken from the request here (see :func:`send_from_directory`).
            ``bytes`` are the file's content (in Quart they would be a path).
        mimetype: the media type; guessed from the file's (or ``download_name``'s) name.
        as_attachment: ask the browser to save the file instead of showing it.
        download_name: the name the browser saves it as (any characters, RFC 6266).
        conditional: answer the request's conditional headers with
            :meth:`Response.make_conditional`: 304 (or 412) and ``Range`` with 206 (or 416),
            with ``Accept-Ranges: bytes``. ``True`` by default, as in Flask (Quart: ``False``).
        etag: make an ``ETag`` from the file's path, size and time (``True``), use this one
            (a ``str``), or send none.
        last_modified: the ``Last-Modified`` time; a path's own by default.
        max_age: seconds a client may cache the file without asking again; ``None`` (the
            default, ``SEND_FILE_MAX_AGE_DEFAULT``): it must revalidate every time.
        filename_or_io: Quart's name for ``path_or_file``.
        attachment_filename: Quart's name for ``download_name``.
        add_etags: Quart's name for ``etag``.
        cache_timeout: Quart's name for ``max_age``.

    Raises:
        FileNotFoundError: the path does not exist (or is not a file).
        TypeError: no file, or an option given under both its names.
        ValueError: the media type cannot be guessed, or ``as_attachment`` without a name.
        RequestedRangeNotSatisfiable: the ``Range`` asked for lies beyond the end (416).
    """
    _one_name("send_file", "path_or_file", path_or_file, "filename_or_io", filename_or_io)
    _one_name(
        "send_file", "download_name", download_name, "attachment_filename", attachment_filename
    )
    _one_name("send_file", "max_age", max_age, "cache_timeout", cache_timeout)
    if not isinstance(etag, _Default):
        _one_name("send_file", "etag", etag, "add_etags", add_etags)
    file = path_or_file if filename_or_io is None else filename_or_io
    if file is None:
        raise TypeError(
            "send_file() needs the file to send: pass path_or_file (or Quart's filename_or_io)"
        )
    if attachment_filename is not None:
        download_name = attachment_filename
    if cache_timeout is not None:
        max_age = cache_timeout
    if add_etags is not None:
        etag = add_etags
    elif isinstance(etag, _Default):
        etag = etag.value
    source = await _open_source(file)
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
    response.set_data(source.body)
    headers["Content-Length"] = str(source.body.size)
    if conditional:
        response.accept_ranges = "bytes"
        ctx = request_context_var.get(None)
        if ctx is not None:
            await response.make_conditional(ctx.request, accept_ranges=True)
    return response


async def send_from_directory(
    directory: str | os.PathLike[str],
    path: str | None = None,
    *,
    file_name: str | None = None,
    **options: Any,
) -> Response:
    """Send the file ``path`` (from the request, say) found under ``directory``, or 404.

    Refused with 404, as if missing: paths that leave the folder (``..``, absolute paths,
    backslashes, NUL bytes) and symbolic links that lead out of it. Takes the options of
    :func:`send_file`, under Flask's or Quart's names; ``file_name`` is Quart's name for
    ``path``.

    Raises:
        NotFound: there is no such file in the folder.
        TypeError: no path, or the path (or an option) given under both its names.
    """
    _one_name("send_from_directory", "path", path, "file_name", file_name)
    path = path if file_name is None else file_name
    if path is None:
        raise TypeError(
            "send_from_directory() needs the file's path in the folder: pass path (or "
            "Quart's file_name)"
        )
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


def _one_name(
    function: str, name: str, value: object, quart_name: str, quart_value: object
) -> None:
    """Refuse an option given both as ``name`` and as Quart's ``quart_name``."""
    if value is not None and quart_value is not None:
        raise TypeError(
            f"{function}() got both {name}= and {quart_name}= (Quart's name for {name}); "
            "pass only one"
        )


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
    """What is known of the file to send, and its body."""

    def __init__(
        self, name: str | None, modified: float | None, etag: str | None, body: FileBody
    ) -> None:
        self.name = name
        self.modified = modified
        self.etag = etag
        self.body = body


async def _open_source(path_or_file: FileSource) -> _Source:
    if isinstance(path_or_file, bytes):
        data = path_or_file
        return _Source(None, None, None, _memory_body(data))
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
        body = FileBody(stat.st_size, lambda start, stop: _file_chunks(path, start, stop))
        return _Source(os.path.basename(path), stat.st_mtime, etag, body)
    file = path_or_file
    name = getattr(file, "name", None)
    name = os.path.basename(name) if isinstance(name, str) else None
    if isinstance(file, io.BytesIO):
        return _Source(name, None, None, _memory_body(file.getvalue()[file.tell() :]))
    position = await trio.to_thread.run_sync(file.tell)
    end = await trio.to_thread.run_sync(file.seek, 0, io.SEEK_END)
    await trio.to_thread.run_sync(file.seek, position)
    body = FileBody(
        end - position,
        lambda start, stop: _object_chunks(file, position + start, position + stop),
        file.close,
    )
    return _Source(name, None, None, body)


def _memory_body(data: bytes) -> FileBody:
    return FileBody(len(data), lambda start, stop: _memory(data, start, stop))


async def _memory(data: bytes, start: int, stop: int) -> AsyncGenerator[bytes, None]:
    for offset in range(start, stop, CHUNK_SIZE):
        yield data[offset : min(offset + CHUNK_SIZE, stop)]


async def _file_chunks(path: str, start: int, stop: int) -> AsyncGenerator[bytes, None]:
    async with await trio.open_file(path, "rb") as file:
        await file.seek(start)
        remaining = stop - start
        while remaining > 0:
            chunk = await file.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                return  # the file shrank since it was measured: end early
            remaining -= len(chunk)
            yield chunk


async def _object_chunks(file: IO[bytes], start: int, stop: int) -> AsyncGenerator[bytes, None]:
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
