"""Uploads over a real Hypercorn server: a multipart body with a declared length and a chunked
one are parsed as they arrive and saved; the temporary files are gone with the request (the
``server`` fixture's leak check counts open files)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from trioquart import TrioQuart, request
from trioquart.wrappers.request import STREAM_FORMS_ABOVE

from .conftest import RunningServer

CONTENT = os.urandom(3 * STREAM_FORMS_ABOVE + 7)


@pytest.fixture
def app(app: TrioQuart, tmp_path: Path) -> TrioQuart:
    @app.post("/upload")
    async def upload() -> Any:
        form, files = await request.form, await request.files
        await files["file"].save(tmp_path / "saved.bin")
        saved = (tmp_path / "saved.bin").read_bytes()
        return {"note": form["note"], "sha256": hashlib.sha256(saved).hexdigest()}

    return app


async def test_a_large_upload_with_a_length(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            "/upload", data={"note": "declared"}, files={"file": ("big.bin", CONTENT)}
        )
    assert response.json() == {"note": "declared", "sha256": hashlib.sha256(CONTENT).hexdigest()}


async def test_a_chunked_upload(server: RunningServer) -> None:
    boundary = "trioquart-e2e"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nchunked\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + CONTENT
        + f"\r\n--{boundary}--\r\n".encode()
    )

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 50_000):
            yield body[start : start + 50_000]

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/upload", content=pieces(), headers=headers)
    assert response.json() == {"note": "chunked", "sha256": hashlib.sha256(CONTENT).hexdigest()}
