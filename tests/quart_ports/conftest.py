"""The ``framework`` fixture: every test here runs once per framework in ``FRAMEWORKS``."""

from __future__ import annotations

import pytest

from .frameworks import FRAMEWORKS, Framework


@pytest.fixture(params=FRAMEWORKS, ids=[framework.name for framework in FRAMEWORKS])
def framework(request: pytest.FixtureRequest) -> Framework:
    """trioquart, then Quart on trio where it is installed."""
    selected: Framework = request.param
    return selected
