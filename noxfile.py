"""Developer tasks: ``nox -s tests`` (the README's test command; on every CPython 3.11-3.13
found), ``lint``, ``browser``, ``docs``, ``bench``, ``soak``, ``demo``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

PEERS = ["starlette", "anyio", "quart", "quart-trio", "python-multipart"]

# The CPython versions the tests run on: those of them found on this machine.
TEST_VERSIONS = ["3.11", "3.12", "3.13"]
_PROBE = (
    "import sys, sysconfig; print(sys.implementation.name, sys.version_info[0],"
    " sys.version_info[1], bool(sysconfig.get_config_var('Py_GIL_DISABLED')), sys.executable)"
)


def _natural(text: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def find_test_pythons() -> dict[str, str]:
    """Every CPython in ``TEST_VERSIONS`` on this machine: ``{"3.12": "/path/to/python"}``.

    For each version, the first that runs of: ``python3.X`` on PATH, pyenv's newest
    (``~/.pyenv/versions/3.X.*``, found there because pyenv's shims refuse to run a version
    that is not selected), and the interpreter running nox. Each candidate is run once to read
    its version; free-threaded builds are left out.
    """
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    on_path = [shutil.which(f"python{version}") for version in TEST_VERSIONS]
    pyenv = sorted(
        (
            str(path)
            for version in TEST_VERSIONS
            for path in pyenv_root.glob(f"versions/{version}*/bin/python3")
        ),
        key=_natural,
        reverse=True,
    )
    found: dict[str, str] = {}
    for candidate in [*(path for path in on_path if path), *pyenv, sys.executable]:
        try:
            probe = subprocess.run(
                [candidate, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=True
            )
        except (OSError, subprocess.SubprocessError):
            continue  # not runnable (a pyenv shim for a version that is not selected)
        name, major, minor, free_threaded, executable = probe.stdout.split(maxsplit=4)
        version = f"{major}.{minor}"
        if name == "cpython" and free_threaded == "False" and version in TEST_VERSIONS:
            found.setdefault(version, executable.strip())
    return dict(sorted(found.items(), key=lambda item: _natural(item[0])))


TEST_PYTHONS = find_test_pythons()


@nox.session
@nox.parametrize(
    ("python", "version"),
    [(path, version) for version, path in TEST_PYTHONS.items()] or [(False, "none")],
    ids=list(TEST_PYTHONS) or ["none-found"],
)
def tests(session: nox.Session, version: str) -> None:
    """Run the whole test suite with branch coverage, on each CPython 3.11-3.13 found."""
    if not TEST_PYTHONS:
        session.error(f"No CPython {', '.join(TEST_VERSIONS)} found on PATH or under pyenv")
    # One coverage data file and one report per interpreter: .coverage.py3.11, .coverage.py3.12...
    env = {"COVERAGE_FILE": f".coverage.py{version}"}
    # The Redis broadcast's tests start a real redis-server of their own.
    install_from_debian(session, {"redis-server": "redis-server"})
    # speed: httptools, so that the built-in server's tests run on both of its parsers.
    session.install("-e", ".[test,redis,speed]")
    # The Python processes the tests start (the CLI, the built-in server's workers) write data
    # files of their own (pyproject.toml: patch = ["subprocess"]): combined before the report.
    session.run("coverage", "erase", env=env)
    session.run("coverage", "run", "-m", "pytest", *session.posargs, env=env)
    session.run("coverage", "combine", "--quiet", env=env)
    session.run("coverage", "report", env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (format and lint), mypy --strict, and the layers (import-linter)."""
    session.install("-e", ".[test,redis,speed]", "ruff", "mypy", "playwright", "import-linter")
    session.run(
        "ruff", "format", "--check", "trioquart", "tests", "docs", "bench", "examples", "soak"
    )
    session.run("ruff", "check", "trioquart", "tests", "docs", "bench", "examples", "soak")
    session.run("mypy", "trioquart", "tests", "docs/examples", "soak")
    session.run("lint-imports")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the user guide with Sphinx, warnings as errors."""
    session.install("-e", ".", "sphinx", "myst-parser")
    session.run("sphinx-build", "-W", "-n", "-b", "html", "docs", "docs/_build/html")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with a raw ASGI app and the peers (never part of the tests).

    ``nox -s bench -- --baseline DIR`` adds an older checkout (``git worktree add DIR COMMIT``)
    to the same run. The instructions stage needs wrk and valgrind, and the broadcast stage
    redis-server, installed here from Debian when missing. The broadcast stage's peer is
    broadcaster with redis-py below 8 (its Redis backend delivers nothing with redis-py 8).
    The servers stage runs uvicorn, with h11 and with httptools, beside Hypercorn.
    """
    install_from_debian(
        session, {"wrk": "wrk", "valgrind": "valgrind", "redis-server": "redis-server"}
    )
    session.install("-e", ".[test,redis]", *PEERS, "broadcaster", "redis<8", "uvicorn", "httptools")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session
def soak(session: nox.Session) -> None:
    """The soak: 1,000 websockets (a third dropping abruptly) and HTTP load for 5 minutes over
    Hypercorn, failing on a leak (never part of the tests; docs/reliability.md).

    Options go to ``python -m soak``: ``nox -s soak -- --websockets 2000 --duration 600``.
    """
    session.install("-e", ".[test]")
    session.run("python", "-m", "soak", *session.posargs)


@nox.session
def browser(session: nox.Session) -> None:
    """The chat demo in headless Chromium (Debian's package, installed here if missing), also
    as two processes sharing a redis-server (Debian's, installed here if missing)."""
    install_from_debian(session, {"chromium": "chromium", "redis-server": "redis-server"})
    session.install("-e", ".[test,redis]", "playwright")
    session.run("pytest", "-m", "browser", "tests/browser", *session.posargs)


def install_from_debian(session: nox.Session, packages: dict[str, str]) -> None:
    """Install the Debian packages (by command name) whose commands are not on the PATH."""
    missing = [package for command, package in packages.items() if shutil.which(command) is None]
    if not missing:
        return
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run(*apt, "update", "-qq", external=True, env=env)
    session.run(*apt, "install", "-y", "-qq", *missing, external=True, env=env)


@nox.session
def demo(session: nox.Session) -> None:
    """Serve the chat demo on Hypercorn's trio worker at http://127.0.0.1:5000."""
    session.install("-e", ".")
    session.run("python", "-m", "trioquart", "run", "examples.chat:app", *session.posargs)
