"""The server-sent events example (``docs/examples/sse_app.py``) in a real browser: headless
Chromium (Debian's package) driven by Playwright, reading ``/events`` with ``EventSource``.

Runs only in ``nox -s browser`` (marker ``browser``). The server is the CLI in a subprocess, as
the example's docstring starts it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, served_by_the_cli

pytestmark = pytest.mark.browser


@pytest.fixture
def room_url(server_kind: str) -> Iterator[str]:
    """The example room served by ``trioquart run`` on an ephemeral port."""
    with served_by_the_cli("docs.examples.sse_app:app", server_kind) as url:
        yield url


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
