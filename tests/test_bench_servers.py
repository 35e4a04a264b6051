"""The benchmark's servers stage (``python -m bench --only servers``): its app, its tables,
and one real built-in server measured briefly (uvicorn is not needed here)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any

import pytest

from bench import servers
from bench.asgi import Message
from bench.report import Group, Results, markdown, reference_table, render, to_json
from bench.servers_child import app
from bench.stats import Sample


async def _call(scope: Message, incoming: Sequence[Message]) -> list[Message]:
    """Call the stage's app with ``incoming`` messages; return what it sent."""
    sent: list[Message] = []
    pending = iter(incoming)

    async def receive() -> Message:
        return next(pending)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_app_says_hello() -> None:
    sent = await _call({"type": "http", "method": "GET", "path": "/"}, [])
    assert sent[0]["status"] == 200
    assert (b"content-length", b"13") in sent[0]["headers"]
    assert sent[1] == {"type": "http.response.body", "body": b"Hello, world!", "more_body": False}


async def test_app_echoes_text_and_bytes_until_the_client_leaves() -> None:
    incoming: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hi"},
        {"type": "websocket.receive", "bytes": b"\x00", "text": None},
        {"type": "websocket.disconnect", "code": 1000},
    ]
    sent = await _call({"type": "websocket", "path": "/ws"}, incoming)
    assert sent == [
        {"type": "websocket.accept"},
        {"type": "websocket.send", "text": "hi"},
        {"type": "websocket.send", "bytes": b"\x00"},
    ]


async def test_app_answers_the_lifespan() -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = await _call({"type": "lifespan"}, incoming)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


GROUP = Group(
    "g",
    "CPU",
    "µs",
    higher_is_better=False,
    references=("ref-a", "ref-b"),
    ratio_goals=(("x", "ref-a", 0.5), ("x", "ref-b", 1.2)),
)


def _results() -> Results:
    results = Results(["raw", "trioquart", "x", "ref-a", "ref-b"])
    for name, value in (("x", 30.0), ("ref-a", 100.0), ("ref-b", 20.0)):
        results.add(GROUP, "GET /", name, Sample(value))
    return results


def test_reference_table_has_a_row_per_contender_with_ratios_and_goals() -> None:
    rows = reference_table(_results(), GROUP)
    assert rows[0] == ["contender", "µs", "x ref-a", "x ref-b", "target"]
    assert rows[1] == ["GET /", "", "", "", ""]
    assert rows[2] == [
        "x",
        "30.0",
        "0.30x",
        "1.50x",
        "<= 0.5x ref-a: met; <= 1.2x ref-b: NOT met",
    ]
    assert rows[3] == ["ref-a", "100", "1.00x", "5.00x", ""]
    assert rows[4][:4] == ["ref-b", "20.0", "0.20x", "1.00x"]


def test_reference_groups_in_the_text_markdown_and_json() -> None:
    results = _results()
    assert "<= 0.5x ref-a: met" in render(results)
    assert "| x | 30.0 | 0.30x | 1.50x |" in markdown(results, "machine")
    document = to_json(results, {})
    groups: list[dict[str, Any]] = document["groups"]  # type: ignore[assignment]
    assert groups[0]["scenarios"]["GET /"]["ratios"]["x/ref-a"] == pytest.approx(0.3)


def test_a_builtin_server_is_measured() -> None:
    settings = servers.ServerSettings(
        http_seconds=1, ws_messages=50, ws_connections=2, servers=("builtin-h11",)
    )
    with servers.running("builtin-h11") as server:
        servers.check(server)
        per_echo, rate = servers.ws_load(server, settings)
        assert per_echo.value > 0
        assert rate.extras["count"] == 100
        # More requests than a connection carries, so that a second connection is opened.
        servers._requests(server.url, servers.PER_CONNECTION + 3)
        if shutil.which("wrk"):
            per_request, requests = servers.http_load(server, settings, 1)
            assert per_request.value > 0
            assert requests.value > 0
            assert "errors" not in per_request.extras
    assert server.proc.returncode == 0
