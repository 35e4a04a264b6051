"""Fixtures for a test suite (the content of ``tests/conftest.py``); pytest-trio runs them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from trioquart import TrioQuart
from trioquart.testing import TestApp, TestClient

from .testing_app import create_app


@pytest.fixture
def app() -> TrioQuart:
    return create_app()  # a fresh app for every test


@pytest.fixture
def client(app: TrioQuart) -> TestClient:
    return app.test_client()  # requests only: no lifespan, no app.nursery


@pytest.fixture
async def served(app: TrioQuart) -> AsyncIterator[TestApp]:
    async with app.test_app() as test_app:  # before_serving ... after_serving around the test
        yield test_app
