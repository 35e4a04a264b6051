"""The server-sent events example (``docs/examples/sse_app.py``) in a real browser: headless
Chromium (Debian's package) driven by Playwright, reading ``/events`` with ``EventSource``.

Runs only in ``nox -s browser`` (marker ``browser``). The server is the CLI in a subprocess, as
the example's docstring starts it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

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


@pytest.fixture
def room_url() -> Iterator[str]:
    """The example room served by ``trioquart run`` on an ephemeral port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "trioquart", "run", "docs.examples.sse_app:app", "--port", "0"],
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
            pytest.fail("The example room did not start")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        process.stderr.close()


def test_sse_browser_pages_receive_the_messages_posted(room_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ada = browser.new_page()
            bob = browser.new_page()
            for page in (ada, bob):
                page.goto(room_url)
                expect(page.locator("#state")).to_have_text("connected")
            ada.fill("input[name=text]", "hello from ada")
            ada.click("button")
            bob.fill("input[name=text]", "hi, ada")
            bob.press("input[name=text]", "Enter")
            for page in (ada, bob):
                expect(page.locator("#messages li")).to_have_text(["hello from ada", "hi, ada"])
                expect(page.locator("#messages li").last).to_have_attribute("data-id", "2")
            # A page opened later gets what the room keeps, then the new messages.
            carl = browser.new_page()
            carl.goto(room_url)
            expect(carl.locator("#messages li")).to_have_text(["hello from ada", "hi, ada"])
            bob.close()
            carl.fill("input[name=text]", "late")
            carl.press("input[name=text]", "Enter")
            expect(ada.locator("#messages li")).to_have_text(["hello from ada", "hi, ada", "late"])
        finally:
            browser.close()
