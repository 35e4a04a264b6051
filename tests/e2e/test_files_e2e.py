"""Static files over a real Hypercorn server: traversal attempts written byte for byte on the
socket (httpx would clean the paths up first), ranges and conditional requests with httpx (for
the static route, ``send_file`` under Quart's names and ``Response.make_conditional`` as
Quart's video tutorial calls it), and downloads the client abandons (the server's file and
task are released: the ``server`` fixture's leak check)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import trio

from trioquart import Response, TrioQuart, make_response, request, send_file
from trioquart.files import CHUNK_SIZE

from .conftest import RunningServer

SECRET = b"the secret outside the static folder"


@pytest.fixture
def app(tmp_path: Path) -> TrioQuart:
    static = tmp_path / "site" / "static"
    static.mkdir(parents=True)
    (static / "hello.txt").write_bytes(b"hello, static world")
    (static / "big.bin").write_bytes(os.urandom(40 * CHUNK_SIZE))
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (static / "link.txt").symlink_to(tmp_path / "secret.txt")
    app = TrioQuart("e2e_files", root_path=str(tmp_path / "site"))

    @app.get("/tutorial")
    async def tutorial() -> Response:
        # Quart's video tutorial: the whole body, then make_conditional.
        data = b"hello, conditional world"
        response = await make_response(data)
        response.set_etag("tutorial-1")
        return await response.make_conditional(
            request, accept_ranges=True, complete_length=len(data)
        )

    @app.get("/quart-video")
    async def quart_video() -> Response:
        # A Quart view as written for Quart: its names, unconditional, then made so.
        response = await send_file(
            filename_or_io=static / "big.bin", add_etags=True, cache_timeout=60, conditional=False
        )
        return await response.make_conditional(
            request, accept_ranges=True, complete_length=40 * CHUNK_SIZE
        )

    return app


async def raw_get(server: RunningServer, target: bytes) -> tuple[int, bytes]:
    """Send ``GET target`` exactly as given and return the status and the whole answer."""
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        await stream.send_all(
            b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        with trio.fail_after(5):
            while chunk := await stream.receive_some():
                answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


@pytest.mark.parametrize(
    "target",
    [
        b"/static/../secret.txt",
        b"/static/..%2fsecret.txt",
        b"/static/%2e%2e/secret.txt",
        b"/static/%2E%2E%2Fsecret.txt",
        b"/static/..%5csecret.txt",
        b"/static/..\\secret.txt",
        b"/static//etc/passwd",
        b"/static/link.txt",
        b"/static/hello.txt%00.png",
    ],
)
async def test_traversal_attempts_are_refused(server: RunningServer, target: bytes) -> None:
    status, answer = await raw_get(server, target)
    # 404 from trioquart; Hypercorn answers a NUL byte in the target with 400 itself, and a
    # path with "//" gets a redirect to the merged path, which is inside the folder.
    assert status in ({400, 404} if b"%00" in target else {308} if b"//" in target else {404})
    assert SECRET not in answer
    assert b"root:" not in answer


async def test_a_static_file_with_ranges_and_revalidation(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/static/hello.txt")
        assert response.content == b"hello, static world"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        etag = response.headers["etag"]
        again = await http.get("/static/hello.txt", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        part = await http.get("/static/hello.txt", headers={"Range": "bytes=7-12"})
        assert part.status_code == 206
        assert part.content == b"static"
        assert part.headers["content-range"] == "bytes 7-12/19"
        beyond = await http.get("/static/hello.txt", headers={"Range": "bytes=50-"})
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == "bytes */19"
        head = await http.head("/static/big.bin")
        assert head.headers["content-length"] == str(40 * CHUNK_SIZE)
        assert head.content == b""


async def test_a_download_abandoned_halfway_releases_the_file(
    server: RunningServer, tmp_path: Path
) -> None:
    expected = (tmp_path / "site" / "static" / "big.bin").read_bytes()
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        await stream.send_all(b"GET /static/big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        received = b""
        with trio.fail_after(5):
            while len(received) < 4 * CHUNK_SIZE:
                received += await stream.receive_some()
    # Gone with most of the file unsent; the leak check then waits for the server's task
    # and its open file to be released. The next client gets the whole file.
    assert received.startswith(b"HTTP/1.1 200")
    async with httpx.AsyncClient(base_url=server.url) as http:
        whole = await http.get("/static/big.bin")
    assert whole.content == expected


async def test_make_conditional_as_quart_tutorial_calls_it(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        whole = await http.get("/tutorial")
        assert whole.status_code == 200
        assert whole.content == b"hello, conditional world"
        assert whole.headers["accept-ranges"] == "bytes"
        part = await http.get("/tutorial", headers={"Range": "bytes=7-17"})
        assert part.status_code == 206
        assert part.content == b"conditional"
        assert part.headers["content-range"] == "bytes 7-17/24"
        current = await http.get("/tutorial", headers={"If-None-Match": whole.headers["etag"]})
        assert current.status_code == 304
        assert current.content == b""
        assert "content-type" not in current.headers
        failed = await http.get("/tutorial", headers={"If-Match": '"other"'})
        assert failed.status_code == 412
        assert failed.content == b""
        several = await http.get("/tutorial", headers={"Range": "bytes=0-1,3-4"})
        assert several.status_code == 200
        assert several.content == whole.content
        beyond = await http.get("/tutorial", headers={"Range": "bytes=24-"})
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == "bytes */24"


async def test_a_quart_style_send_file_seeks_through_the_file(
    server: RunningServer, tmp_path: Path
) -> None:
    expected = (tmp_path / "site" / "static" / "big.bin").read_bytes()
    middle = 17 * CHUNK_SIZE + 3
    async with httpx.AsyncClient(base_url=server.url) as http:
        head = await http.head("/quart-video")
        assert head.headers["content-length"] == str(len(expected))
        assert head.headers["cache-control"] == "public, max-age=60"
        part = await http.get("/quart-video", headers={"Range": f"bytes={middle}-{middle + 9}"})
        assert part.status_code == 206
        assert part.content == expected[middle : middle + 10]
        tail = await http.get("/quart-video", headers={"Range": "bytes=-5"})
        assert tail.content == expected[-5:]
        assert (
            tail.headers["content-range"]
            == f"bytes {len(expected) - 5}-{len(expected) - 1}/{len(expected)}"
        )
        current = await http.get("/quart-video", headers={"If-None-Match": head.headers["etag"]})
        assert current.status_code == 304
    # A player seeking away leaves a long range halfway; the leak check then waits for the
    # server's task and its open file to be released.
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        await stream.send_all(
            b"GET /quart-video HTTP/1.1\r\nHost: localhost\r\n"
            + f"Range: bytes={CHUNK_SIZE}-\r\n\r\n".encode()
        )
        received = b""
        with trio.fail_after(5):
            while len(received) < 3 * CHUNK_SIZE:
                received += await stream.receive_some()
    head_end = received.index(b"\r\n\r\n") + 4
    assert received.startswith(b"HTTP/1.1 206")
    assert received[head_end : head_end + CHUNK_SIZE] == expected[CHUNK_SIZE : 2 * CHUNK_SIZE]
