"""The example of ``docs/files.md``'s sections on ``make_conditional`` and Quart's names
(``docs/examples/files_conditional.py``), run as a reader would try it."""

from __future__ import annotations

import hashlib

from docs.examples import files_conditional
from docs.examples.files_conditional import LINES, SAMPLES, STATIC


async def test_docs_files_clip_answers_ranges_and_revalidation() -> None:
    client = files_conditional.app.test_client()
    whole = await client.get("/clip")
    assert whole.status_code == 200
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["ETag"] == f'"{hashlib.sha256(SAMPLES).hexdigest()}"'
    assert await whole.get_data() == SAMPLES

    part = await client.get("/clip", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(SAMPLES)}"
    assert part.headers["Content-Type"] == "application/octet-stream"
    assert await part.get_data() == SAMPLES[1000:2000]

    current = await client.get("/clip", headers={"If-None-Match": whole.headers["ETag"]})
    assert current.status_code == 304
    assert await current.get_data() == b""

    beyond = await client.get("/clip", headers={"Range": f"bytes={len(SAMPLES)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(SAMPLES)}"


async def test_docs_files_a_stream_of_known_length_answers_a_range() -> None:
    client = files_conditional.app.test_client()
    body = b"".join(LINES)
    whole = await client.get("/rows.ndjson")
    assert await whole.get_data() == body
    tail = await client.get("/rows.ndjson", headers={"Range": "bytes=-40"})
    assert tail.status_code == 206
    assert tail.headers["Content-Range"] == f"bytes {len(body) - 40}-{len(body) - 1}/{len(body)}"
    assert await tail.get_data() == body[-40:]


async def test_docs_files_send_file_with_quart_names() -> None:
    client = files_conditional.app.test_client()
    css = (STATIC / "style.css").read_bytes()
    response = await client.get("/theme.css")
    assert response.headers["Content-Disposition"] == "attachment; filename=theme.css"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert await response.get_data() == css
    part = await client.get("/theme.css", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206
    assert await part.get_data() == css[:4]
    current = await client.get("/theme.css", headers={"If-None-Match": response.headers["ETag"]})
    assert current.status_code == 304
