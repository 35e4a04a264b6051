"""What the figures were measured on: CPUs, load, Python, the libraries' versions, the source."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

DISTRIBUTIONS = (
    "trioquart",
    "trio",
    "hypercorn",
    "h11",
    "wsproto",
    "werkzeug",
    "starlette",
    "anyio",
    "quart",
    "quart-trio",
    "trio-websocket",
)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _wrk_version() -> str | None:
    if shutil.which("wrk") is None:
        return None
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split(" [")[0] if first else None


def _git(*args: str) -> str | None:
    """A read-only git query in the repository, or None outside a checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=root, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def source() -> str | None:
    """The commit of the code under test, marked ``+changes`` when trioquart/ differs from it.

    Figures from a working tree with uncommitted changes belong to that tree, not the commit.
    """
    commit = _git("rev-parse", "--short", "HEAD")
    if commit is None:
        return None
    changed = _git("diff", "--name-only", "HEAD", "--", "trioquart")
    untracked = _git("ls-files", "--others", "--exclude-standard", "--", "trioquart")
    return f"{commit}+changes" if changed or untracked else commit


def describe() -> dict[str, object]:
    """A JSON-ready description of this machine and of the software under test."""
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "wrk": _wrk_version(),
        "source": source(),
        "versions": {name: _version(name) for name in DISTRIBUTIONS},
    }


def line(description: Mapping[str, Any], date: str, seconds: float) -> str:
    """One line saying when, on what and with which versions the figures were measured."""
    software = ", ".join(
        f"{name} {version}" for name, version in description["versions"].items() if version
    )
    load = " ".join(str(value) for value in description["load_average"])
    tree = description["source"] or "unknown"
    return (
        f"Measured {date} in {seconds} s, trioquart at {tree}, "
        f"on {description['usable_cpus']} usable CPUs "
        f"({description['cpu_model']}), load average {load} at the start; "
        f"{description['python']}, {software}; {description['wrk'] or 'wrk not installed'}."
    )
