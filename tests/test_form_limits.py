"""Form limits (issue 11, defect 4): MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE answer 413."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from trioquart import TrioQuart, request
from trioquart.testing import TestClient


def add_form_route(app: TrioQuart) -> None:
    @app.post("/")
    async def fields() -> Any:
        form = await request.form
        files = await request.files
        return {"fields": len(form), "files": len(files)}


async def post_form(client: TestClient, kind: str, fields: dict[str, str]) -> Any:
    """POST ``fields`` url-encoded, or as multipart with a small file beside them."""
    if kind == "urlencoded":
        return await client.post("/", form=fields)
    return await client.post("/", form=fields, files={"upload": (b"data", "a.txt")})


@pytest.mark.parametrize("kind", ["urlencoded", "multipart"])
async def test_form_with_more_parts_than_max_form_parts_is_413(
    app: TrioQuart, client: TestClient, kind: str
) -> None:
    add_form_route(app)
    app.config["MAX_FORM_PARTS"] = 10
    many = {f"f{number}": "x" for number in range(11)}
    few = {f"f{number}": "x" for number in range(9)}  # with the file below: 10 parts
    response = await post_form(client, kind, many)
    accepted = await post_form(client, kind, few)
    assert response.status_code == 413
    assert accepted.status_code == 200


@pytest.mark.parametrize("kind", ["urlencoded", "multipart"])
async def test_form_field_above_max_form_memory_size_is_413(
    app: TrioQuart, client: TestClient, kind: str
) -> None:
    add_form_route(app)
    app.config["MAX_FORM_MEMORY_SIZE"] = 1000
    response = await post_form(client, kind, {"field": "x" * 2000})
    assert response.status_code == 413


async def test_form_file_is_limited_by_max_content_length_only(
    app: TrioQuart, client: TestClient
) -> None:
    add_form_route(app)
    app.config["MAX_FORM_MEMORY_SIZE"] = 1000
    response = await client.post("/", form={"a": "1"}, files={"upload": (b"x" * 5000, "a.bin")})
    assert await response.get_json() == {"fields": 1, "files": 1}


async def test_form_defaults_are_flasks(app: TrioQuart) -> None:
    assert app.config["MAX_FORM_PARTS"] == 1000
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 500_000


async def test_form_large_body_is_parsed_whole(app: TrioQuart, client: TestClient) -> None:
    """A 2 MB multipart form (parsed in a worker thread above 64 KiB) arrives intact."""

    @app.post("/")
    async def sizes() -> Any:
        form = await request.form
        files = await request.files
        return {"field": len(form["field"]), "upload": len(files["upload"].read())}

    boundary, body = encode_multipart(
        MultiDict(
            {
                "field": "y" * 100,
                "upload": FileStorage(BytesIO(b"z" * 2_000_000), filename="big.bin"),
            }
        )
    )
    response = await client.post(
        "/", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert await response.get_json() == {"field": 100, "upload": 2_000_000}
