"""Shared fixtures: a fresh app and its in-process test client for every test."""

from __future__ import annotations

import pytest

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
