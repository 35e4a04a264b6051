"""The video page, tested the way Quart tests conditional responses: ``app.test_client()`` with
``Range``, ``If-None-Match`` and ``If-Range`` headers.

Each test runs under every framework of ``FRAMEWORKS``. Where Quart 0.22 answers differently
(a suffix range, several ranges, the headers of a 416 and of a whole file), the test pins
trioquart's answer and says what Quart does.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
import trio

from trioquart import TrioQuart
from trioquart.testing import TestClient

from .frameworks import Framework

VIDEO = (
    Path(__file__).parents[2] / "examples" / "quart_ports" / "video" / "static" / "video.mp4"
).read_bytes()
SIZE = len(VIDEO)


@pytest.fixture
def video(framework: Framework) -> ModuleType:
    return framework.load("video")


@pytest.fixture
def client(video: ModuleType) -> TestClient:
    app: TrioQuart = video.app
    return app.test_client()


async def test_the_page_plays_the_video_and_styles_itself_from_the_static_folder(
    client: TestClient,
) -> None:
    with trio.fail_after(5):
        response = await client.get("/")
        assert response.status_code == 200
        page = await response.get_data(as_text=True)
        assert '<source src="/video.mp4" type="video/mp4">' in page
        assert '<link rel="stylesheet" href="/static/style.css">' in page
        stylesheet = await client.get("/static/style.css")
        assert stylesheet.status_code == 200
        assert stylesheet.mimetype == "text/css"
        assert b"video {" in await stylesheet.get_data()


def test_the_video_comes_from_the_apps_static_folder(video: ModuleType) -> None:
    app: TrioQuart = video.app
    assert app.static_folder is not None
    assert Path(app.static_folder, "video.mp4").read_bytes() == VIDEO


async def test_without_a_range_the_whole_video_is_sent(client: TestClient) -> None:
    with trio.fail_after(5):
        response = await client.get("/video.mp4")
        assert response.status_code == 200
        assert response.mimetype == "video/mp4"
        assert response.headers["Content-Length"] == str(SIZE)
        assert "ETag" in response.headers
        assert "Last-Modified" in response.headers
        assert await response.get_data() == VIDEO


@pytest.mark.parametrize("path", ["/video.mp4", "/static/video.mp4"])
@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=100-1099", 100, 1100),
        ("bytes=0-0", 0, 1),
        ("bytes=10000-", 10000, SIZE),
    ],
)
async def test_a_range_is_answered_206_with_that_part(
    client: TestClient, path: str, header: str, start: int, stop: int
) -> None:
    with trio.fail_after(5):
        response = await client.get(path, headers={"Range": header})
        assert response.status_code == 206
        assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{SIZE}"
        assert response.headers["Content-Length"] == str(stop - start)
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.mimetype == "video/mp4"
        assert await response.get_data() == VIDEO[start:stop]


async def test_a_range_that_ends_past_the_file_gets_what_there_is(
    framework: Framework, client: TestClient
) -> None:
    with trio.fail_after(5):
        response = await client.get("/video.mp4", headers={"Range": f"bytes=10000-{SIZE * 2}"})
        assert response.status_code == 206
        assert await response.get_data() == VIDEO[10000:]
    # trioquart's Content-Range ends at the file's last byte, as RFC 9110 requires; Quart on
    # trio (quart_trio's file body) repeats the end that was asked for.
    end = SIZE - 1 if framework.is_trioquart else SIZE * 2
    assert response.headers["Content-Range"] == f"bytes 10000-{end}/{SIZE}"


async def test_a_range_past_the_end_is_416(framework: Framework, client: TestClient) -> None:
    with trio.fail_after(5):
        response = await client.get("/video.mp4", headers={"Range": f"bytes={SIZE}-"})
    assert response.status_code == 416
    # trioquart says how long the file is, as RFC 9110 asks of a 416; Quart does not.
    expected = f"bytes */{SIZE}" if framework.is_trioquart else None
    assert response.headers.get("Content-Range") == expected


async def test_a_suffix_range_is_the_end_of_the_file(
    framework: Framework, client: TestClient
) -> None:
    with trio.fail_after(5):
        response = await client.get("/video.mp4", headers={"Range": "bytes=-500"})
        if framework.is_trioquart:
            assert response.status_code == 206
            assert response.headers["Content-Range"] == f"bytes {SIZE - 500}-{SIZE - 1}/{SIZE}"
            assert await response.get_data() == VIDEO[-500:]
        else:
            # A Quart 0.22 bug: its file body takes the negative start as it is, and
            # Werkzeug's ContentRange then fails an assertion ("Bad range provided").
            assert response.status_code == 500


async def test_several_ranges_are_answered_with_the_whole_file(
    framework: Framework, client: TestClient
) -> None:
    with trio.fail_after(5):
        response = await client.get("/video.mp4", headers={"Range": "bytes=0-1,5-6"})
        if framework.is_trioquart:
            # A server may ignore a Range header (RFC 9110): trioquart sends no multipart
            # answer, and the client gets the file whole.
            assert response.status_code == 200
            assert await response.get_data() == VIDEO
        else:
            assert response.status_code == 416  # Quart refuses them


async def test_a_current_etag_is_answered_304_without_a_body(client: TestClient) -> None:
    with trio.fail_after(5):
        first = await client.get("/video.mp4")
        response = await client.get("/video.mp4", headers={"If-None-Match": first.headers["ETag"]})
        assert response.status_code == 304
        assert await response.get_data() == b""


@pytest.mark.parametrize(("current", "status"), [(True, 206), (False, 200)])
async def test_if_range_sends_the_part_only_while_the_file_is_unchanged(
    client: TestClient, current: bool, status: int
) -> None:
    with trio.fail_after(5):
        first = await client.get("/video.mp4")
        etag = first.headers["ETag"] if current else '"an-older-version"'
        response = await client.get(
            "/video.mp4", headers={"Range": "bytes=100-199", "If-Range": etag}
        )
        assert response.status_code == status
        assert await response.get_data() == (VIDEO[100:200] if current else VIDEO)


async def test_how_a_whole_file_may_be_cached(framework: Framework, client: TestClient) -> None:
    with trio.fail_after(5):
        response = await client.get("/video.mp4")
    if framework.is_trioquart:
        # Ranges are offered up front, and the file must be revalidated (a cheap 304) before
        # each use: SEND_FILE_MAX_AGE_DEFAULT is None, as in Flask.
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["Cache-Control"] == "no-cache"
    else:
        # Quart offers ranges only in a 206, and lets caches keep the file for 12 hours.
        assert "Accept-Ranges" not in response.headers
        assert response.headers["Cache-Control"] == "public, max-age=43200"
