"""The example of ``docs/signals.md`` (``docs/examples/signals_metrics.py``), run as the page
describes it."""

from __future__ import annotations

import logging

import pytest

from docs.examples import signals_metrics


@pytest.fixture(autouse=True)
def fresh_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signals_metrics, "responses", type(signals_metrics.responses)())
    monkeypatch.setattr(signals_metrics, "errors", [])


async def test_docs_signals_count_responses_and_note_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = signals_metrics.app.test_client()
    assert (await client.get("/")).status_code == 200
    assert (await client.get("/")).status_code == 200
    assert (await client.get("/divide/4")).status_code == 200
    with caplog.at_level(logging.ERROR):
        assert (await client.get("/divide/0")).status_code == 500
    assert (await client.get("/nowhere")).status_code == 404
    assert signals_metrics.responses == {
        ("index", 200): 2,
        ("divide", 200): 1,
        ("divide", 500): 1,
        ("<unrouted>", 404): 1,
    }
    assert signals_metrics.errors == ["ZeroDivisionError: integer division or modulo by zero"]
