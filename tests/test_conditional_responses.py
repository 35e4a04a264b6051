"""``Response.make_conditional``, in process: preconditions (304, 412), byte ranges of a
``bytes`` body, of ``send_file``'s file body and of a stream (206, 416), ``Accept-Ranges``,
and the streams it closes. Each test is a tiny app whose view calls it as a Quart app does."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

import pytest
import trio
import trio.testing
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from trioquart import Response, TrioQuart, make_response, request, send_file
from trioquart.testing import TestClient
from trioquart.wrappers.response import FileBody

TEXT = b"0123456789abcdefghij"  # 20 bytes
ETAG = '"v1"'
MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


@pytest.fixture
def app(app: TrioQuart) -> TrioQuart:
    """Quart's video tutorial shape: the whole body, then ``make_conditional``."""

    @app.route("/data", methods=["GET", "HEAD", "POST"])
    async def data() -> Response:
        response = await make_response(TEXT)
        response.headers["ETag"] = ETAG
        response.headers["Last-Modified"] = MODIFIED
        response.headers["Vary"] = "Accept-Encoding"
        return await response.make_conditional(
            request, accept_ranges=True, complete_length=len(TEXT)
        )

    return app


async def test_make_conditional_answers_a_range_of_a_bytes_body(client: TestClient) -> None:
    response = await client.get("/data", headers={"Range": "bytes=2-5"})
    assert response.status_code == 206
    assert await response.get_data() == b"2345"
    assert response.headers["Content-Range"] == "bytes 2-5/20"
    assert response.headers["Content-Length"] == "4"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["ETag"] == ETAG


@pytest.mark.parametrize(
    ("range_header", "status", "body", "content_range"),
    [
        ("bytes=0-4", 206, TEXT[:5], "bytes 0-4/20"),
        ("bytes=15-", 206, TEXT[15:], "bytes 15-19/20"),
        ("bytes=-3", 206, TEXT[-3:], "bytes 17-19/20"),
        ("bytes=10-100", 206, TEXT[10:], "bytes 10-19/20"),
        ("bytes=-30", 206, TEXT, "bytes 0-19/20"),  # a suffix longer than the body: all
        ("bytes=0-1,5-6", 200, TEXT, None),  # several ranges: the whole body
        ("bytes=oops", 200, TEXT, None),  # a Range that does not parse is ignored
        ("lines=1-2", 200, TEXT, None),  # so is another unit
        ("bytes=20-", 416, None, "bytes */20"),
        ("bytes=100-200", 416, None, "bytes */20"),
    ],
)
async def test_make_conditional_byte_ranges(
    client: TestClient,
    range_header: str,
    status: int,
    body: bytes | None,
    content_range: str | None,
) -> None:
    response = await client.get("/data", headers={"Range": range_header})
    assert response.status_code == status
    if body is not None:
        assert await response.get_data() == body
        assert response.headers["Content-Length"] == str(len(body))
    assert response.headers.get("Content-Range") == content_range


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": ETAG},
        {"If-None-Match": f'"other", W/{ETAG}'},  # weak comparison for If-None-Match
        {"If-None-Match": "*"},
        {"If-Modified-Since": MODIFIED},
        {"If-None-Match": ETAG, "Range": "bytes=0-1"},  # preconditions come before ranges
    ],
)
async def test_make_conditional_is_304_while_the_client_copy_is_current(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = await client.get("/data", headers=headers)
    assert response.status_code == 304
    assert await response.get_data() == b""
    # The validators and caching fields stay; what describes the body goes.
    assert response.headers["ETag"] == ETAG
    assert response.headers["Last-Modified"] == MODIFIED
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "Content-Type" not in response.headers
    assert "Content-Length" not in response.headers
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-None-Match": '"other"'}, 200),
        ({"If-Modified-Since": "Tue, 20 Oct 2015 07:28:00 GMT"}, 200),
        ({"If-Match": ETAG}, 200),
        ({"If-Match": "*"}, 200),  # any current body matches "*"
        ({"If-Match": '"other"'}, 412),
        ({"If-Match": f"W/{ETAG}"}, 412),  # If-Match compares strongly
    ],
)
async def test_make_conditional_preconditions(
    client: TestClient, headers: dict[str, str], status: int
) -> None:
    response = await client.get("/data", headers=headers)
    assert response.status_code == status
    assert await response.get_data() == (TEXT if status == 200 else b"")


async def test_make_conditional_if_range_sends_the_range_only_for_the_current_body(
    client: TestClient,
) -> None:
    for if_range, status, body in [
        (ETAG, 206, b"01"),
        (MODIFIED, 206, b"01"),
        ('"stale"', 200, TEXT),
        ("Tue, 20 Oct 2015 07:28:00 GMT", 200, TEXT),
    ]:
        response = await client.get("/data", headers={"Range": "bytes=0-1", "If-Range": if_range})
        assert (response.status_code, await response.get_data()) == (status, body), if_range


async def test_make_conditional_head_and_other_methods(client: TestClient) -> None:
    head = await client.head("/data", headers={"Range": "bytes=2-3"})
    assert head.status_code == 206
    assert head.headers["Content-Length"] == "2"
    assert await head.get_data() == b""
    # Only GET and HEAD are conditional; Accept-Ranges is sent all the same.
    posted = await client.post("/data", headers={"Range": "bytes=0-1", "If-None-Match": ETAG})
    assert posted.status_code == 200
    assert posted.headers["Accept-Ranges"] == "bytes"
    assert await posted.get_data() == TEXT


@pytest.mark.parametrize(
    ("accept_ranges", "header", "status"),
    [(False, None, 200), (True, "bytes", 206), ("bytes", "bytes", 206), ("none", "none", 200)],
)
async def test_make_conditional_accept_ranges(
    app: TrioQuart, accept_ranges: bool | str, header: str | None, status: int
) -> None:
    @app.get("/ranges")
    async def ranges() -> Response:
        response = Response(TEXT)
        return await response.make_conditional(request, accept_ranges=accept_ranges)

    response = await app.test_client().get("/ranges", headers={"Range": "bytes=0-1"})
    assert response.status_code == status
    assert response.headers.get("Accept-Ranges") == header


async def test_make_conditional_leaves_other_answers_and_empty_bodies_alone(
    app: TrioQuart,
) -> None:
    @app.get("/missing")
    async def missing() -> Response:
        response = Response(b"nothing here", status=404)
        response.headers["ETag"] = ETAG
        return await response.make_conditional(request, accept_ranges=True)

    @app.get("/empty")
    async def empty() -> Response:
        return await Response(b"").make_conditional(request, accept_ranges=True)

    client = app.test_client()
    response = await client.get("/missing", headers={"If-None-Match": ETAG, "Range": "bytes=0-1"})
    assert response.status_code == 404
    assert await response.get_data() == b"nothing here"
    # An empty body has no range to select (as Werkzeug): the whole (empty) body.
    response = await client.get("/empty", headers={"Range": "bytes=0-"})
    assert response.status_code == 200
    assert await response.get_data() == b""


async def test_make_conditional_twice_changes_nothing_more(app: TrioQuart) -> None:
    @app.get("/twice")
    async def twice() -> Response:
        response = Response(TEXT)
        response.headers["ETag"] = ETAG
        await response.make_conditional(request, accept_ranges=True)
        return await response.make_conditional(request, accept_ranges=True)

    client = app.test_client()
    part = await client.get("/twice", headers={"Range": "bytes=5-9"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == "bytes 5-9/20"
    assert await part.get_data() == TEXT[5:10]
    current = await client.get("/twice", headers={"If-None-Match": ETAG})
    assert current.status_code == 304


async def test_make_conditional_on_a_stream_reads_through_to_the_range(app: TrioQuart) -> None:
    record: list[str] = []

    async def chunks() -> AsyncGenerator[bytes | str, None]:
        try:
            for start in range(0, len(TEXT), 4):
                record.append(f"chunk {start}")
                yield TEXT[start : start + 4].decode()  # str chunks are encoded too
        finally:
            record.append("closed")

    @app.get("/stream")
    async def stream() -> Response:
        response = Response(chunks())
        complete_length = None if "unknown" in request.args else len(TEXT)
        return await response.make_conditional(
            request, accept_ranges=True, complete_length=complete_length
        )

    client = app.test_client()
    response = await client.get("/stream", headers={"Range": "bytes=6-10"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 6-10/20"
    assert response.headers["Content-Length"] == "5"
    assert await response.get_data() == TEXT[6:11]
    # Read up to the range's end only, then closed.
    assert record == ["chunk 0", "chunk 4", "chunk 8", "closed"]

    record.clear()
    whole = await client.get("/stream?unknown", headers={"Range": "bytes=6-10"})
    assert whole.status_code == 200  # no length to check the range against
    assert await whole.get_data() == TEXT
    assert record[-1] == "closed"


class Chunks:
    """An async iterable of chunks with no ``aclose`` (not a generator)."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if not self.chunks:
            raise StopAsyncIteration
        return self.chunks.pop(0)


async def test_make_conditional_stream_parts_close_their_stream(app: TrioQuart) -> None:
    record: list[str] = []

    class Closable(Chunks):
        async def aclose(self) -> None:
            record.append("closed")

    @app.route("/closable", methods=["GET", "HEAD"])
    async def closable() -> Response:
        response = Response(Closable(TEXT))
        return await response.make_conditional(request, accept_ranges=True, complete_length=20)

    @app.get("/plain")
    async def plain() -> Response:
        response = Response(Chunks(TEXT[:10], TEXT[10:]))
        return await response.make_conditional(request, accept_ranges=True, complete_length=20)

    client = app.test_client()
    # HEAD never reads the part: closing it still closes the stream.
    head = await client.head("/closable", headers={"Range": "bytes=0-1"})
    assert head.status_code == 206
    assert record == ["closed"]
    record.clear()
    response = await client.get("/closable", headers={"Range": "bytes=18-"})
    assert await response.get_data() == b"ij"
    assert record == ["closed"]
    response = await client.get("/plain", headers={"Range": "bytes=12-13"})
    assert await response.get_data() == b"cd"


async def test_a_stream_shorter_than_its_stated_length_ends_early(app: TrioQuart) -> None:
    async with app.test_request_context("/", headers={"Range": "bytes=15-"}):
        response = Response(Chunks(TEXT[:8], TEXT[8:16]))
        await response.make_conditional(request, accept_ranges=True, complete_length=20)
        assert response.headers["Content-Range"] == "bytes 15-19/20"
        assert [chunk async for chunk in response.iter_body()] == [b"f"]


async def test_make_conditional_closes_a_stream_it_will_not_send(app: TrioQuart) -> None:
    record: list[str] = []

    class Closable(Chunks):
        async def aclose(self) -> None:
            record.append("closed")

    @app.get("/stream")
    async def stream() -> Response:
        response = Response(Closable(TEXT))
        response.headers["ETag"] = ETAG
        return await response.make_conditional(request, accept_ranges=True, complete_length=20)

    client = app.test_client()
    assert (await client.get("/stream", headers={"If-None-Match": ETAG})).status_code == 304
    assert record == ["closed"]
    record.clear()
    beyond = await client.get("/stream", headers={"Range": "bytes=30-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == "bytes */20"
    assert record == ["closed"]


async def test_make_conditional_on_send_file_reads_only_the_part(
    app: TrioQuart, tmp_path: Path
) -> None:
    path = tmp_path / "digits.txt"
    path.write_bytes(TEXT)

    @app.get("/quart-style")
    async def quart_style() -> Response:
        # Quart's send_file is unconditional by default; the view makes it conditional.
        response = await send_file(path, conditional=False)
        assert isinstance(response.body, FileBody)
        await response.make_conditional(request, accept_ranges=True, complete_length=20)
        return response

    @app.get("/both")
    async def both() -> Response:
        response = await send_file(path)  # conditional already
        return await response.make_conditional(request, accept_ranges=True)

    client = app.test_client()
    for url in ["/quart-style", "/both"]:
        response = await client.get(url, headers={"Range": "bytes=4-7"})
        assert response.status_code == 206, url
        assert response.headers["Content-Range"] == "bytes 4-7/20"
        assert response.headers["Accept-Ranges"] == "bytes"
        assert await response.get_data() == b"4567"
        etag = response.headers["ETag"]
        assert (await client.get(url, headers={"If-None-Match": etag})).status_code == 304


async def test_file_body_parts_and_closing() -> None:
    record: list[str] = []

    async def read(start: int, stop: int) -> AsyncGenerator[bytes, None]:
        try:
            yield TEXT[start:stop]
        finally:
            record.append(f"read {start}-{stop} closed")

    body = FileBody(20, read, lambda: record.append("file closed"))
    part = body.part(3, 6)
    assert (part.size, part.start, part.stop) == (20, 3, 6)
    assert [chunk async for chunk in part] == [b"345"]
    await part.aclose()
    assert record == ["read 3-6 closed"]
    await body.aclose()  # never read: what it would have read is closed
    assert record == ["read 3-6 closed", "file closed"]


async def test_make_conditional_is_a_checkpoint(app: TrioQuart) -> None:
    async with app.test_request_context("/"):
        with trio.testing.assert_checkpoints():
            await Response(TEXT).make_conditional(request)


async def test_make_conditional_refuses_bad_arguments(app: TrioQuart) -> None:
    async with app.test_request_context("/"):
        response = Response(TEXT)
        with pytest.raises(
            TypeError,
            match=(
                r"^make_conditional\(\) got accept_ranges=1; pass True \(bytes\), False, or a "
                r"range unit such as 'bytes' or 'none'$"
            ),
        ):
            await response.make_conditional(request, accept_ranges=1)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"^make_conditional\(\) got accept_ranges=''; "):
            await response.make_conditional(request, accept_ranges="")
        with pytest.raises(
            ValueError,
            match=(
                r"^make_conditional\(\) got complete_length=-1; pass the body's length in "
                r"bytes, or None when it is unknown$"
            ),
        ):
            await response.make_conditional(request, complete_length=-1)
        assert response.status_code == 200
        assert await response.get_data() == TEXT


async def test_an_unsatisfiable_range_raises_416_to_the_caller(app: TrioQuart) -> None:
    async with app.test_request_context("/", headers={"Range": "bytes=50-"}):
        with pytest.raises(RequestedRangeNotSatisfiable) as caught:
            await Response(TEXT).make_conditional(request, accept_ranges=True)
    assert caught.value.length == 20
