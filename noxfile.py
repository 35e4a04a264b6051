"""Developer tasks: ``nox -s tests`` (the README's test command), ``lint``, ``browser``,
``docs``, ``bench``, ``demo``."""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

PEERS = ["starlette", "anyio", "quart", "quart-trio"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite with branch coverage."""
    session.install("-e", ".[test]")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "report")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (format and lint) and mypy --strict."""
    session.install("-e", ".[test]", "ruff", "mypy", "playwright")
    session.run("ruff", "format", "--check", "trioquart", "tests", "docs", "bench", "examples")
    session.run("ruff", "check", "trioquart", "tests", "docs", "bench", "examples")
    session.run("mypy", "trioquart", "tests", "docs/examples")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the user guide with Sphinx, warnings as errors."""
    session.install("-e", ".", "sphinx", "myst-parser")
    session.run("sphinx-build", "-W", "-n", "-b", "html", "docs", "docs/_build/html")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with a raw ASGI app and the peers (never part of the tests)."""
    session.install("-e", ".[test]", *PEERS)
    session.run("python", "-m", "bench", *session.posargs)


@nox.session
def browser(session: nox.Session) -> None:
    """The chat demo in headless Chromium (Debian's package, installed here if missing)."""
    if shutil.which("chromium") is None:
        apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run(*apt, "update", "-qq", external=True, env=env)
        session.run(*apt, "install", "-y", "-qq", "chromium", external=True, env=env)
    session.install("-e", ".[test]", "playwright")
    session.run("pytest", "-m", "browser", "tests/browser", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Serve the chat demo on Hypercorn's trio worker at http://127.0.0.1:5000."""
    session.install("-e", ".")
    session.run("python", "-m", "trioquart", "run", "examples.chat:app", *session.posargs)
