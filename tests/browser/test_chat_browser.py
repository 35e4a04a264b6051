"""The chat demo in a real browser: headless Chromium (Debian's package) driven by Playwright.

Runs only in ``nox -s browser`` (marker ``browser``), which installs Playwright and, when it is
missing, Chromium. The server is the CLI in a subprocess, exactly as the README starts the demo.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, served_by_the_cli

pytestmark = pytest.mark.browser


@pytest.fixture
def chat_url(server_kind: str) -> Iterator[str]:
    """The chat demo served by ``trioquart run`` on an ephemeral port."""
    with served_by_the_cli("examples.chat:app", server_kind) as url:
        yield url


def test_two_people_log_in_and_chat(chat_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One context each: two browsers, each with its own session cookie.
            ada = browser.new_context().new_page()
            bob = browser.new_context().new_page()
            for page, name in ((ada, "ada"), (bob, "bob")):
                page.goto(chat_url)
                page.fill("#name", name)
                page.click("#login button")
                expect(page.locator("#me")).to_have_text(name)
                expect(page.locator("link[rel=stylesheet]")).to_have_attribute(
                    "href", "/static/chat.css"
                )
                page.fill("#room", "browsers")
                page.click("#join button")
                expect(page.locator("#status")).to_have_text("Connected to browsers.")
            expect(ada.locator("#log")).to_contain_text("bob joined (ada, bob)")
            # The rooms list comes from the server-sent events feed.
            expect(ada.locator("#rooms")).to_contain_text("browsers: ada, bob")
            bob.fill("#text", "hello from bob")
            bob.click("#send")
            expect(ada.locator("#log .message")).to_have_text(["bob: hello from bob"])
            bob.close()
            expect(ada.locator("#log")).to_contain_text("bob left (ada)")
            # Logged out, the page is the login form again and the websocket is refused.
            ada.click("header button")
            expect(ada.locator("#login")).to_be_visible()
        finally:
            browser.close()


OPEN_SOCKET = """url => new Promise(resolve => {
    const socket = new WebSocket(url);
    socket.onopen = () => { socket.close(); resolve("open"); };
    socket.onclose = event => resolve(`closed ${event.code}`);
})"""


def test_a_page_of_another_site_cannot_open_the_chat_websocket(chat_url: str) -> None:
    """Cross-site websocket hijacking, tried by a real browser: a page of another origin (here
    ``localhost`` instead of ``127.0.0.1``) is refused, a page of the chat's own is not, with
    the same session cookie (``SameSite=Lax`` keeps it out of the foreign page's handshake
    too, and the Origin check refuses it either way)."""
    from playwright.sync_api import sync_playwright

    port = chat_url.rpartition(":")[2]
    socket_url = f"ws://127.0.0.1:{port}/ws/lobby"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(chat_url)
            page.fill("#name", "ada")
            page.click("#login button")
            assert page.evaluate(OPEN_SOCKET, socket_url) == "open"
            page.goto(f"http://localhost:{port}/")
            assert page.evaluate(OPEN_SOCKET, socket_url) == "closed 1006"
        finally:
            browser.close()
