"""Shared fixtures: a fresh app and its in-process test client for every test."""

from __future__ import annotations

from typing import NoReturn

import pytest
import trio

from trioquart import TrioQuart
from trioquart.testing import TestClient


@pytest.fixture
def app() -> TrioQuart:
    """A new, empty application; tests add the routes they need."""
    return TrioQuart(__name__)


@pytest.fixture
def client(app: TrioQuart) -> TestClient:
    """The in-process test client of ``app`` (no lifespan)."""
    return app.test_client()


async def wait_until_cancelled(record: list[str], entered: trio.Event | None = None) -> NoReturn:
    """What a handler awaits to wait forever: sets ``entered``, and on cancellation records
    ``"cancelled"`` in ``record`` and re-raises."""
    if entered is not None:
        entered.set()
    try:
        await trio.sleep_forever()
    except trio.Cancelled:
        record.append("cancelled")
        raise
