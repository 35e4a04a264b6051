"""The streaming multipart parser: fields and files from a body in any chunking, uploads
spooled to temporary files, limits, malformed bodies, and files closed on every way out."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage as WerkzeugFileStorage
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.test import encode_multipart

from trioquart import multipart
from trioquart.multipart import FileStorage, close_files, parse_multipart


def body_of(fields: dict[str, str], files: dict[str, tuple[bytes, str]]) -> tuple[str, bytes]:
    """A multipart body (Werkzeug's encoder) and its boundary."""
    values: dict[str, object] = dict(fields)
    for name, (content, filename) in files.items():
        values[name] = WerkzeugFileStorage(io.BytesIO(content), filename=filename)
    boundary, body = encode_multipart(MultiDict(values))
    return boundary, body


class in_chunks:  # noqa: N801 - used like the function it could have been
    """``body`` as an async iterable of ``size``-byte chunks (not a generator: a parse that
    stops early leaves nothing to finalize)."""

    def __init__(self, body: bytes, size: int) -> None:
        self._chunks = iter([body[start : start + size] for start in range(0, len(body), size)])

    def __aiter__(self) -> in_chunks:
        return self

    async def __anext__(self) -> bytes:
        await trio.lowlevel.checkpoint()
        try:
            return next(self._chunks)
        except StopIteration:
            raise StopAsyncIteration from None


def standard_body(parts: list[tuple[str, bytes, str | None]], boundary: str) -> bytes:
    """A multipart body as browsers write it (Werkzeug's test encoder leaves out the line
    break before the delimiter of an empty part)."""
    body = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += value + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


@settings(max_examples=60, deadline=None, database=None)
@given(
    values=st.lists(
        st.tuples(
            st.binary(max_size=40) | st.sampled_from([b"\r", b"\n", b"\r\n--b", b"--"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    ),
    chunk_size=st.integers(min_value=1, max_value=90),
)
def test_any_split_of_the_body_gives_the_same_form(
    values: list[tuple[bytes, bool]], chunk_size: int
) -> None:
    """Werkzeug's decoder alone gets some of these wrong (a CR of the delimiter in the data);
    fed through the parser's cut, every split parses like the whole body."""
    boundary = "b0und4ry"
    parts = [
        (f"p{index}", value, f"f{index}.bin" if is_file else None)
        for index, (value, is_file) in enumerate(values)
    ]
    body = standard_body(parts, boundary)

    async def parse() -> None:
        form, files = await parse_multipart(in_chunks(body, chunk_size), boundary)
        for name, value, filename in parts:
            if filename is None:
                assert form[name] == value.decode("utf-8", "replace")
            else:
                assert files[name].filename == filename
                assert files[name].stream.read() == value
        close_files(files)

    trio.run(parse)


def test_the_parser_is_fed_every_one_byte_split_of_a_werkzeug_body() -> None:
    boundary, body = body_of({"title": "x" * 10}, {"upload": (b"a\r\nb\rc\n", "u.bin")})

    async def parse() -> None:
        form, files = await parse_multipart(in_chunks(body, 1), boundary)
        assert form["title"] == "x" * 10
        assert files["upload"].read() == b"a\r\nb\rc\n"

    trio.run(parse)


async def test_a_large_upload_is_spooled_to_a_temporary_file(tmp_path: Path) -> None:
    content = os.urandom(multipart.SPOOL_ABOVE * 2 + 17)
    boundary, body = body_of({"title": "big"}, {"upload": (content, "big.bin")})
    form, files = await parse_multipart(in_chunks(body, 64 * 1024), boundary)
    upload = files["upload"]
    assert isinstance(upload, FileStorage)
    assert form["title"] == "big"
    assert not isinstance(upload.stream, io.BytesIO)  # on disk
    descriptor = upload.stream.fileno()
    await upload.save(tmp_path / "saved.bin")
    assert (tmp_path / "saved.bin").read_bytes() == content
    close_files(files)
    assert upload.stream.closed
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(descriptor)  # the temporary file's descriptor is released


async def test_a_small_upload_stays_in_memory_and_saves_to_a_file_object() -> None:
    boundary, body = body_of({}, {"note": (b"hello", "note.txt")})
    _, files = await parse_multipart(in_chunks(body, 7), boundary)
    assert isinstance(files["note"].stream, io.BytesIO)
    target = io.BytesIO()
    await files["note"].save(target)
    assert target.getvalue() == b"hello"


@pytest.mark.parametrize(
    "body",
    [
        b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\nvalue",  # cut short
        b"--b\r\nContent-Disposition: form-data; name=x\r\n",  # cut in the headers
        b"no boundary here at all",
    ],
)
async def test_a_malformed_body_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequest, match="malformed"):
        await parse_multipart(in_chunks(body, 5), "b")


async def test_limits_on_parts_and_field_size() -> None:
    boundary, body = body_of({f"f{n}": "v" for n in range(5)}, {})
    with pytest.raises(RequestEntityTooLarge):
        await parse_multipart(in_chunks(body, 100), boundary, max_parts=3)
    boundary, body = body_of({"big": "x" * 100}, {"file": (b"y" * 1000, "f.txt")})
    with pytest.raises(RequestEntityTooLarge, match="MAX_FORM_MEMORY_SIZE"):
        await parse_multipart(in_chunks(body, 100), boundary, max_memory=50)
    # Files are not fields: only MAX_CONTENT_LENGTH bounds them.
    boundary, body = body_of({}, {"file": (b"y" * 1000, "f.txt")})
    _, files = await parse_multipart(in_chunks(body, 100), boundary, max_memory=50)
    assert len(files["file"].read()) == 1000


async def test_files_are_closed_when_parsing_fails_or_is_cancelled() -> None:
    # Cut inside b's content, past what moves it to disk (the parser may hold back the last
    # few dozen bytes of a piece, where a delimiter could start).
    content = os.urandom(multipart.SPOOL_ABOVE + 10_000)
    boundary, body = body_of({}, {"a": (content, "a.bin"), "b": (content, "b.bin")})
    opened: list[io.IOBase] = []
    original = multipart._Spool._move_to_disk

    def recording(spool: multipart._Spool) -> None:
        original(spool)
        opened.append(spool.file)  # type: ignore[arg-type]

    async def broken_after_the_first_file() -> AsyncIterator[bytes]:
        cut = body.index(b'name="b"') + 5000 + multipart.SPOOL_ABOVE
        yield body[:cut]
        raise RuntimeError("client went away")

    stalled = trio.Event()

    async def stalls_after_the_first_file() -> AsyncIterator[bytes]:
        yield body[: body.index(b'name="b"') + 5000 + multipart.SPOOL_ABOVE]
        stalled.set()  # asked for more: everything before has been parsed and spooled
        await trio.sleep_forever()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(multipart._Spool, "_move_to_disk", recording)
        with pytest.raises(RuntimeError, match="went away"):
            await parse_multipart(broken_after_the_first_file(), boundary)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(parse_multipart, stalls_after_the_first_file(), boundary)
            await stalled.wait()
            nursery.cancel_scope.cancel()
    assert len(opened) == 4
    assert all(file.closed for file in opened)
