"""Static files, ``send_file`` and ``send_from_directory``, in process: types, caching
headers, conditional and range requests, attachments, file objects, Quart's argument
names, and path traversal."""

from __future__ import annotations

import inspect
import io
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import trio

from trioquart import Blueprint, Response, TrioQuart, send_file, send_from_directory, url_for
from trioquart.files import CHUNK_SIZE, content_disposition
from trioquart.testing import TestClient

CSS = b"body { color: #333; }\n"
TEXT = b"0123456789abcdefghij"  # 20 bytes


@pytest.fixture
def root(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_bytes(CSS)
    (static / "digits.txt").write_bytes(TEXT)
    (static / "empty.bin").write_bytes(b"")
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    return tmp_path


@pytest.fixture
def app(root: Path) -> TrioQuart:
    app = TrioQuart("files", root_path=str(root))

    @app.get("/download/<name>")
    async def download(name: str) -> Response:
        return await send_from_directory(root / "static", name, as_attachment=True)

    return app


async def test_a_static_file_is_served_with_its_type_and_cache_headers(
    client: TestClient,
) -> None:
    response = await client.get("/static/css/site.css")
    assert response.status_code == 200
    assert await response.get_data() == CSS
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Content-Length"] == str(len(CSS))
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"].startswith('"')
    assert "Last-Modified" in response.headers
    assert "Content-Disposition" not in response.headers


async def test_url_for_static(app: TrioQuart) -> None:
    async with app.app_context():
        app.config["SERVER_NAME"] = "example.com"
        assert url_for("static", filename="css/site.css") == (
            "http://example.com/static/css/site.css"
        )


@pytest.mark.parametrize(
    "path",
    [
        "/static/missing.css",
        "/static/css",  # a folder
        "/static/../secret.txt",
        "/static/css/../../secret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/css\\..\\..\\secret.txt",
        "/static/digits.txt\x00.css",
    ],
)
async def test_paths_outside_the_folder_or_missing_are_404(client: TestClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert b"secret" not in await response.get_data()


async def test_symbolic_links_may_not_lead_out_of_the_folder(
    root: Path, client: TestClient
) -> None:
    (root / "static" / "outside.txt").symlink_to(root / "secret.txt")
    (root / "static" / "inside.txt").symlink_to(root / "static" / "digits.txt")
    (root / "static" / "elsewhere").symlink_to(root)
    assert (await client.get("/static/outside.txt")).status_code == 404
    assert (await client.get("/static/elsewhere/secret.txt")).status_code == 404
    inside = await client.get("/static/inside.txt")
    assert await inside.get_data() == TEXT


async def test_the_same_file_again_is_304_when_the_client_has_it(client: TestClient) -> None:
    first = await client.get("/static/digits.txt")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for headers in [{"If-None-Match": etag}, {"If-Modified-Since": modified}]:
        response = await client.get("/static/digits.txt", headers=headers)
        assert response.status_code == 304
        assert await response.get_data() == b""
        assert response.headers["ETag"] == etag
        assert "Content-Length" not in response.headers
    changed = await client.get("/static/digits.txt", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200
    assert await changed.get_data() == TEXT


@pytest.mark.parametrize(
    ("range_header", "status", "body", "content_range"),
    [
        ("bytes=0-4", 206, TEXT[:5], "bytes 0-4/20"),
        ("bytes=15-", 206, TEXT[15:], "bytes 15-19/20"),
        ("bytes=-3", 206, TEXT[-3:], "bytes 17-19/20"),
        ("bytes=10-100", 206, TEXT[10:], "bytes 10-19/20"),
        ("bytes=0-1,5-6", 200, TEXT, None),  # several ranges: the whole file
        ("bytes=oops", 200, TEXT, None),  # a Range that does not parse is ignored
        ("lines=1-2", 200, TEXT, None),
        ("bytes=20-", 416, None, "bytes */20"),
        ("bytes=100-200", 416, None, "bytes */20"),
    ],
)
async def test_byte_ranges(
    client: TestClient,
    range_header: str,
    status: int,
    body: bytes | None,
    content_range: str | None,
) -> None:
    response = await client.get("/static/digits.txt", headers={"Range": range_header})
    assert response.status_code == status
    if body is not None:
        assert await response.get_data() == body
        assert response.headers["Content-Length"] == str(len(body))
    assert response.headers.get("Content-Range") == content_range


async def test_if_range_sends_the_range_only_for_the_current_file(client: TestClient) -> None:
    etag = (await client.get("/static/digits.txt")).headers["ETag"]
    current = await client.get(
        "/static/digits.txt", headers={"Range": "bytes=0-1", "If-Range": etag}
    )
    assert current.status_code == 206
    assert await current.get_data() == b"01"
    stale = await client.get(
        "/static/digits.txt", headers={"Range": "bytes=0-1", "If-Range": '"stale"'}
    )
    assert stale.status_code == 200
    assert await stale.get_data() == TEXT


async def test_head_has_the_headers_and_no_body(client: TestClient) -> None:
    response = await client.head("/static/digits.txt")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "20"
    assert await response.get_data() == b""
    ranged = await client.head("/static/digits.txt", headers={"Range": "bytes=2-3"})
    assert ranged.status_code == 206
    assert ranged.headers["Content-Length"] == "2"


async def test_an_empty_file(client: TestClient) -> None:
    response = await client.get("/static/empty.bin")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert await response.get_data() == b""


async def test_a_large_file_is_sent_in_chunks(root: Path, app: TrioQuart) -> None:
    size = 3 * CHUNK_SIZE + 5
    (root / "static" / "big.bin").write_bytes(os.urandom(size))
    async with app.test_client().request("/static/big.bin") as connection:
        await connection.send_complete()
        status, headers = await connection.wait_for_headers()
        chunks = []
        try:
            while True:
                chunks.append(await connection.receive_chunk())
        except trio.EndOfChannel:
            pass
    assert status == 200
    assert headers["Content-Length"] == str(size)
    assert [len(chunk) for chunk in chunks] == [CHUNK_SIZE] * 3 + [5]
    assert b"".join(chunks) == (root / "static" / "big.bin").read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "attachment; filename=report.pdf"),
        ("my report.pdf", 'attachment; filename="my report.pdf"'),
        ("résumé.pdf", "attachment; filename=resume.pdf; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"),
        ("日本.txt", "attachment; filename=.txt; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
    ],
)
def test_content_disposition_names(name: str, expected: str) -> None:
    assert content_disposition(name, as_attachment=True) == expected


async def test_send_from_directory_as_attachment(client: TestClient) -> None:
    response = await client.get("/download/digits.txt")
    assert response.headers["Content-Disposition"] == "attachment; filename=digits.txt"
    assert await response.get_data() == TEXT
    assert (await client.get("/download/..%2fsecret.txt")).status_code == 404


async def test_send_file_takes_bytes_file_objects_and_options(
    app: TrioQuart, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    opened: list[Any] = []

    @app.get("/bytes")
    async def from_bytes() -> Response:
        return await send_file(b"a,b\n1,2\n", mimetype="text/csv", download_name="data.csv")

    @app.get("/bytesio")
    async def from_bytesio() -> Response:
        return await send_file(io.BytesIO(b"PNGDATA"), download_name="pixel.png")

    @app.get("/object")
    async def from_object() -> Response:
        handle = open(root / "static" / "digits.txt", "rb")  # noqa: ASYNC230, SIM115
        opened.append(handle)
        return await send_file(handle, max_age=60)

    @app.get("/nameless")
    async def nameless() -> Response:
        return await send_file(io.BytesIO(b"?"))

    client = app.test_client()
    response = await client.get("/bytes")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "inline; filename=data.csv"
    assert "ETag" not in response.headers
    assert await response.get_data() == b"a,b\n1,2\n"

    response = await client.get("/bytesio", headers={"Range": "bytes=3-"})
    assert response.status_code == 206
    assert response.headers["Content-Type"] == "image/png"
    assert await response.get_data() == b"DATA"

    response = await client.get("/object")
    assert await response.get_data() == TEXT
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Expires" in response.headers
    assert opened[0].closed
    response = await client.head("/object")  # not read at all, still closed
    assert opened[1].closed

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        assert (await client.get("/nameless")).status_code == 500
    assert "Cannot guess the media type" in caplog.text


async def test_send_file_max_age_default(app: TrioQuart, client: TestClient) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(hours=1)
    response = await client.get("/static/digits.txt")
    assert response.headers["Cache-Control"] == "public, max-age=3600"


async def test_send_file_of_a_missing_path_raises(app: TrioQuart) -> None:
    async with app.app_context():
        with pytest.raises(FileNotFoundError):
            await send_file("/no/such/file.txt")
        with pytest.raises(ValueError, match="download_name"):
            await send_file(io.BytesIO(b"x"), mimetype="text/plain", as_attachment=True)


async def test_blueprint_static_folders(root: Path) -> None:
    (root / "admin_static").mkdir()
    (root / "admin_static" / "admin.js").write_bytes(b"console.log('admin')")
    app = TrioQuart("files", root_path=str(root))
    admin = Blueprint("admin", __name__, static_folder="admin_static", root_path=str(root))
    app.register_blueprint(admin, url_prefix="/admin")
    client = app.test_client()
    response = await client.get("/admin/admin_static/admin.js")
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert await response.get_data() == b"console.log('admin')"
    async with app.app_context():
        app.config["SERVER_NAME"] = "example.com"
        assert url_for("admin.static", filename="admin.js") == (
            "http://example.com/admin/admin_static/admin.js"
        )


async def test_an_app_without_a_static_folder_has_no_static_route(root: Path) -> None:
    app = TrioQuart("files", static_folder=None, root_path=str(root))
    assert "static" not in app.view_functions
    assert (await app.test_client().get("/static/digits.txt")).status_code == 404
    with pytest.raises(RuntimeError, match="no static folder"):
        await app.send_static_file("digits.txt")


async def test_send_file_options_etag_last_modified_and_unconditional(
    app: TrioQuart, root: Path
) -> None:
    path = root / "static" / "digits.txt"

    @app.route("/custom", methods=["GET", "POST"])
    async def custom() -> Response:
        return await send_file(path, etag="v1", last_modified=0)

    @app.get("/plain")
    async def plain() -> Response:
        return await send_file(path, conditional=False, etag=False)

    client = app.test_client()
    response = await client.get("/custom")
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert (await client.get("/custom", headers={"If-None-Match": '"v1"'})).status_code == 304
    # Only GET and HEAD are conditional: a POST gets the whole file.
    posted = await client.post("/custom", headers={"Range": "bytes=0-1"})
    assert posted.status_code == 200
    assert await posted.get_data() == TEXT
    response = await client.get("/plain", headers={"Range": "bytes=0-1"})
    assert response.status_code == 200
    assert "Accept-Ranges" not in response.headers
    assert "ETag" not in response.headers
    assert await response.get_data() == TEXT


async def test_send_file_outside_a_request_sends_the_whole_file(root: Path) -> None:
    response = await send_file(root / "static" / "digits.txt")  # no app, no request
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert await response.get_data() == TEXT


async def test_a_file_that_shrinks_while_sent_ends_early(root: Path) -> None:
    from trioquart.files import _file_chunks, _object_chunks

    path = root / "static" / "digits.txt"
    assert [chunk async for chunk in _file_chunks(str(path), 5, 100)] == [TEXT[5:]]
    handle = open(path, "rb")  # noqa: ASYNC230, SIM115
    assert [chunk async for chunk in _object_chunks(handle, 18, 100)] == [TEXT[18:]]
    assert handle.closed


async def test_send_file_takes_quart_argument_names(app: TrioQuart, root: Path) -> None:
    path = root / "static" / "digits.txt"

    @app.get("/quart")
    async def quart_names() -> Response:
        return await send_file(
            filename_or_io=path,
            as_attachment=True,
            attachment_filename="numbers.txt",
            add_etags=False,
            cache_timeout=60,
        )

    @app.get("/flask")
    async def flask_names() -> Response:
        return await send_file(
            path, as_attachment=True, download_name="numbers.txt", etag=False, max_age=60
        )

    @app.get("/quart-etag")
    async def quart_etag() -> Response:
        return await send_file(path, add_etags=True)

    @app.get("/folder/<name>")
    async def from_folder(name: str) -> Response:
        return await send_from_directory(root / "static", file_name=name, cache_timeout=5)

    client = app.test_client()
    quart, flask = await client.get("/quart"), await client.get("/flask")
    for response in (quart, flask):
        assert response.headers["Content-Disposition"] == "attachment; filename=numbers.txt"
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=60"
        assert "ETag" not in response.headers
        assert await response.get_data() == TEXT
    assert "ETag" in (await client.get("/quart-etag")).headers
    response = await client.get("/folder/digits.txt")
    assert response.headers["Cache-Control"] == "public, max-age=5"
    assert await response.get_data() == TEXT
    assert (await client.get("/folder/..%2fsecret.txt")).status_code == 404


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"download_name": "a.txt", "attachment_filename": "b.txt"},
            "send_file() got both download_name= and attachment_filename= (Quart's name for "
            "download_name); pass only one",
        ),
        (
            {"max_age": 1, "cache_timeout": 2},
            "send_file() got both max_age= and cache_timeout= (Quart's name for max_age); "
            "pass only one",
        ),
        (
            {"etag": True, "add_etags": True},  # given, even as the default value
            "send_file() got both etag= and add_etags= (Quart's name for etag); pass only one",
        ),
        (
            {"etag": "v1", "add_etags": False},
            "send_file() got both etag= and add_etags= (Quart's name for etag); pass only one",
        ),
        (
            {"filename_or_io": b"x"},
            "send_file() got both path_or_file= and filename_or_io= (Quart's name for "
            "path_or_file); pass only one",
        ),
    ],
)
async def test_send_file_refuses_an_option_under_both_names(
    root: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError) as caught:
        await send_file(root / "static" / "digits.txt", **options)
    assert str(caught.value) == message


async def test_send_file_and_send_from_directory_need_a_file(root: Path) -> None:
    with pytest.raises(
        TypeError,
        match=(
            r"^send_file\(\) needs the file to send: pass path_or_file \(or Quart's "
            r"filename_or_io\)$"
        ),
    ):
        await send_file(mimetype="text/plain")
    with pytest.raises(
        TypeError,
        match=(
            r"^send_from_directory\(\) needs the file's path in the folder: pass path \(or "
            r"Quart's file_name\)$"
        ),
    ):
        await send_from_directory(root)
    with pytest.raises(
        TypeError,
        match=(
            r"^send_from_directory\(\) got both path= and file_name= \(Quart's name for "
            r"path\); pass only one$"
        ),
    ):
        await send_from_directory(root, "a.txt", file_name="b.txt")


async def test_send_file_answers_if_match(client: TestClient) -> None:
    etag = (await client.get("/static/digits.txt")).headers["ETag"]
    matching = await client.get("/static/digits.txt", headers={"If-Match": etag})
    assert matching.status_code == 200
    failed = await client.get("/static/digits.txt", headers={"If-Match": '"other"'})
    assert failed.status_code == 412
    assert await failed.get_data() == b""


async def test_a_file_object_not_sent_is_closed(app: TrioQuart, root: Path) -> None:
    opened: list[Any] = []

    @app.get("/object")
    async def from_object() -> Response:
        handle = open(root / "static" / "digits.txt", "rb")  # noqa: ASYNC230, SIM115
        opened.append(handle)
        return await send_file(handle, mimetype="text/plain", etag="v1")

    client = app.test_client()
    current = await client.get("/object", headers={"If-None-Match": '"v1"'})
    assert current.status_code == 304
    beyond = await client.get("/object", headers={"Range": "bytes=50-"})
    assert beyond.status_code == 416
    part = await client.get("/object", headers={"Range": "bytes=-2"})
    assert await part.get_data() == b"ij"
    assert [handle.closed for handle in opened] == [True, True, True]


def test_send_file_signature_shows_flask_defaults() -> None:
    # The docs render this signature: etag's default reads as what it means.
    parameters = inspect.signature(send_file).parameters
    assert repr(parameters["etag"].default) == "True"
    assert [
        name for name, parameter in parameters.items() if parameter.kind.name == "KEYWORD_ONLY"
    ] == [
        "filename_or_io",
        "attachment_filename",
        "add_etags",
        "cache_timeout",
    ]
