"""Real-browser tests: headless Chromium (Debian's package) driven by Playwright, against an
app served by ``trioquart run`` in a subprocess, exactly as a user starts it.

Runs only in ``nox -s browser`` (marker ``browser``), which installs Playwright and, when it is
missing, Chromium.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling hosts this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


#: Each browser test runs against each server ``trioquart run --server`` offers.
SERVERS = ("hypercorn", "builtin")


@pytest.fixture(params=SERVERS)
def server_kind(request: pytest.FixtureRequest) -> str:
    """The server the app is served by in this test: Hypercorn's trio worker or trioquart's."""
    kind: str = request.param
    return kind


@contextmanager
def served_by_the_cli(target: str, server: str) -> Iterator[str]:
    """``trioquart run target --port 0 --server server`` in a subprocess: its base URL, until
    the block ends (then it must stop cleanly on SIGTERM)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "trioquart", "run", target, "--port", "0", "--server", server],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
            if match:
                yield match.group(1)
                break
        else:
            pytest.fail(f"{target} did not start")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        process.stderr.close()
