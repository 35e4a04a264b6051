"""The examples of the JSON provider, request data and config file pages, exercised.

``docs/examples/responses_json.py``, ``requests_data.py`` and ``config_files.py`` are included
in ``docs/responses.md``, ``docs/requests.md`` and ``docs/config.md``; each test checks what
the page says about its example.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from docs.examples import config_files, requests_data, responses_json

# --- responses.md: a JSON provider of its own ------------------------------------------------


async def test_docs_responses_json_provider_of_the_app() -> None:
    response = await responses_json.app.test_client().get("/launch")
    assert response.headers["Content-Type"] == "application/json"
    assert await response.get_data() == (
        '{"name":"Café launch","at":"2026-11-25T18:00:00+00:00"}\n'.encode()
    )


def test_docs_responses_json_provider_keeps_the_other_types() -> None:
    provider = responses_json.app.json
    assert provider.dumps({"day": datetime.date(2026, 11, 25)}) == (
        '{"day": "Wed, 25 Nov 2026 00:00:00 GMT"}'
    )
    with pytest.raises(TypeError, match=r"^Object of type object is not JSON serializable$"):
        provider.dumps(object())


# --- requests.md: values and data ------------------------------------------------------------


async def test_docs_requests_values_query_then_form() -> None:
    client = requests_data.app.test_client()
    response = await client.get("/search", query_string={"q": "trio", "page": "2"})
    assert await response.get_json() == {"q": "trio", "page": 2}
    response = await client.post("/search?q=from-query", form={"q": "from-form", "page": "3"})
    assert await response.get_json() == {"q": "from-query", "page": 3}
    response = await client.post("/search", form={"page": "not a number"})
    assert await response.get_json() == {"q": "", "page": 1}


def sign(body: bytes) -> dict[str, str]:
    digest = hmac.new(requests_data.WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()
    return {"X-Signature": digest, "Content-Type": "application/json"}


async def test_docs_requests_data_checks_a_webhook_signature() -> None:
    client = requests_data.app.test_client()
    body = json.dumps({"type": "push"}).encode()
    response = await client.post("/webhook", data=body, headers=sign(body))
    assert await response.get_json() == {"accepted": "push"}
    forged = {**sign(body), "X-Signature": "0" * 64}
    response = await client.post("/webhook", data=body, headers=forged)
    assert response.status_code == 403
    response = await client.post("/webhook", data=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 403


async def test_docs_requests_get_data_without_cache() -> None:
    response = await requests_data.app.test_client().post("/archive", data=b"x" * 10)
    assert await response.get_json() == {"stored": 10}


# --- config.md: files ------------------------------------------------------------------------


async def test_docs_config_files_defaults_without_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MYAPP_SETTINGS", raising=False)
    app = config_files.create_app(str(tmp_path))
    response = await app.test_client().get("/mail")
    assert await response.get_json() == {"server": "localhost", "port": 25}


async def test_docs_config_files_toml_then_the_environments_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "settings.toml").write_text('MAIL_SERVER = "mail.example.com"\nMAIL_PORT = 587\n')
    secrets = tmp_path / "secrets.py"
    secrets.write_text('MAIL_PASSWORD = "hunter2"\nMAIL_PORT = 2525\n')
    monkeypatch.setenv("MYAPP_SETTINGS", str(secrets))
    app = config_files.create_app(str(tmp_path))
    response = await app.test_client().get("/mail")
    assert await response.get_json() == {
        "server": "mail.example.com",
        "port": 2525,  # the environment's file comes last
        "password": "hunter2",
    }
