"""Uploads through request.form and request.files: large multipart bodies parsed as they
stream in and spooled to disk, small ones kept, limits and errors on every read, files
closed when the request ends."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
import trio

from trioquart import TrioQuart, request
from trioquart.multipart import FileStorage
from trioquart.wrappers.request import STREAM_FORMS_ABOVE

BIG = os.urandom(STREAM_FORMS_ABOVE + 123_456)


@pytest.fixture
def app(app: TrioQuart, tmp_path: Path) -> TrioQuart:
    @app.post("/upload")
    async def upload() -> Any:
        files = await request.files
        form = await request.form
        upload = files["file"]
        assert isinstance(upload, FileStorage)
        target = tmp_path / "saved.bin"
        await upload.save(target)
        try:
            await request.get_data()
            kept = True
        except RuntimeError:
            kept = False
        return {
            "title": form.get("title"),
            "size": target.stat().st_size,
            "on_disk": not isinstance(upload.stream, io.BytesIO),
            "body_kept": kept,
        }

    return app


async def test_a_large_upload_streams_to_disk_and_is_saved(app: TrioQuart, tmp_path: Path) -> None:
    response = await app.test_client().post(
        "/upload", form={"title": "big"}, files={"file": (BIG, "big.bin")}
    )
    assert await response.get_json() == {
        "title": "big",
        "size": len(BIG),
        "on_disk": True,
        "body_kept": False,  # streamed through the parser, not held
    }
    assert (tmp_path / "saved.bin").read_bytes() == BIG


async def test_a_small_upload_keeps_the_body(app: TrioQuart) -> None:
    response = await app.test_client().post(
        "/upload", form={"title": "small"}, files={"file": (b"tiny", "tiny.txt")}
    )
    assert await response.get_json() == {
        "title": "small",
        "size": 4,
        "on_disk": False,
        "body_kept": True,
    }


async def test_two_tasks_reading_a_streamed_form_share_one_parse(app: TrioQuart) -> None:
    @app.post("/both")
    async def both() -> Any:
        sizes: list[int] = []

        async def read() -> None:
            files = await request.files
            sizes.append(len(files["file"].read()))
            files["file"].stream.seek(0)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read)
            nursery.start_soon(read)
        return sizes

    response = await app.test_client().post("/both", files={"file": (BIG, "big.bin")})
    assert await response.get_json() == [len(BIG), len(BIG)]


async def test_a_malformed_or_oversized_streamed_form_fails_the_same_on_every_read(
    app: TrioQuart,
) -> None:
    @app.post("/twice")
    async def twice() -> Any:
        outcomes = []
        for _ in range(2):
            try:
                await request.form
                outcomes.append(200)
            except Exception as error:
                outcomes.append(getattr(error, "code", 500))
        return outcomes

    client = app.test_client()
    boundary = "xyz"
    disposition = 'form-data; name="f"; filename="f.bin"'
    truncated = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
    truncated += b"x" * (STREAM_FORMS_ABOVE + 10)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await client.post("/twice", data=truncated, headers=headers)
    assert await response.get_json() == [400, 400]
    app.config["MAX_CONTENT_LENGTH"] = STREAM_FORMS_ABOVE
    response = await client.post("/twice", files={"file": (BIG, "big.bin")})
    assert await response.get_json() == [413, 413]  # refused by its declared length


async def test_uploaded_files_are_closed_when_the_request_ends(app: TrioQuart) -> None:
    kept: list[FileStorage] = []

    @app.post("/keep")
    async def keep() -> str:
        kept.append((await request.files)["file"])
        return "ok"

    await app.test_client().post("/keep", files={"file": (BIG, "big.bin")})
    assert kept[0].stream.closed
