"""The chat demo in two processes sharing a ``redis://`` broadcast, in a real browser: two
headless Chromium pages, each on its own ``trioquart run`` process (two workers behind a load
balancer, each page pinned to one), chat and see each other's presence through Redis.

Runs only in ``nox -s browser`` (marker ``browser``), which needs ``redis-server`` and the
``redis`` extra besides Playwright and Chromium.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ..redis_server import free_port
from .conftest import CHROMIUM, CHROMIUM_ARGS, PROJECT_ROOT

pytestmark = pytest.mark.browser


@contextmanager
def running(command: list[str], ready: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``command`` in a subprocess until the block ends (then it must stop cleanly on
    SIGTERM); the first match of ``ready`` in its output (stdout and stderr), once printed."""
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.search(ready, line)
            if match:
                yield match.group(1)
                break
        else:
            pytest.fail(f"{command} did not start")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        assert process.stdout is not None
        process.stdout.close()


@pytest.fixture
def chat_urls(server_kind: str) -> Iterator[tuple[str, str]]:
    """The chat demo served by two ``trioquart run`` processes sharing a fresh redis-server
    and a session key."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run 'apt-get install -y redis-server'")
    port = free_port()
    redis = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    redis += ["--save", "", "--appendonly", "no"]
    with running(redis, r"(Ready to accept connections)"):
        env = {
            **os.environ,
            "TRIOQUART_BROADCAST_URL": f"redis://127.0.0.1:{port}/0",
            "TRIOQUART_SECRET_KEY": secrets.token_hex(),
        }
        serve = [sys.executable, "-m", "trioquart", "run", "examples.chat:app", "--port", "0"]
        serve += ["--server", server_kind]
        on = r"Running on (http://127\.0\.0\.1:\d+)"
        with running(serve, on, env) as first, running(serve, on, env) as second:
            yield first, second


def test_two_people_on_two_processes_chat_through_redis(chat_urls: tuple[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One context each (its own session cookie), each page on its own process.
            ada = browser.new_context().new_page()
            bob = browser.new_context().new_page()
            for page, name, url in ((ada, "ada", chat_urls[0]), (bob, "bob", chat_urls[1])):
                page.goto(url)
                page.fill("#name", name)
                page.click("#login button")
                expect(page.locator("#me")).to_have_text(name)
                page.fill("#room", "across")
                page.click("#join button")
                expect(page.locator("#status")).to_have_text("Connected to across.")
            expect(ada.locator("#log")).to_contain_text("bob joined (ada, bob)")
            # Each page's rooms list comes from its own process's activity feed.
            for page in (ada, bob):
                expect(page.locator("#rooms")).to_contain_text("across: ada, bob")
            bob.fill("#text", "hello from the other process")
            bob.click("#send")
            expect(ada.locator("#log .message")).to_have_text(["bob: hello from the other process"])
            ada.fill("#text", "hello back")
            ada.click("#send")
            expect(bob.locator("#log .message")).to_have_text(
                ["bob: hello from the other process", "ada: hello back"]
            )
            bob.close()
            expect(ada.locator("#log")).to_contain_text("bob left (ada)")
            expect(ada.locator("#rooms")).to_have_text("across: ada")
        finally:
            browser.close()
