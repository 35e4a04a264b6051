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

from bench.apps import BASELINE

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


ROOT = Path(__file__).resolve().parent.parent


def _git(root: Path, *args: str) -> str | None:
    """A read-only git query in the checkout ``root``, or None outside a checkout."""
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=root, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def source(root: Path = ROOT) -> str | None:
    """The commit of the code under test in the checkout ``root``, marked ``+changes`` when its
    trioquart/ differs from it.

    Figures from a working tree with uncommitted changes belong to that tree, not the commit.
    """
    commit = _git(root, "rev-parse", "--short", "HEAD")
    if commit is None:
        return None
    changed = _git(root, "diff", "--name-only", "HEAD", "--", "trioquart")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", "trioquart")
    return f"{commit}+changes" if changed or untracked else commit


def describe(baseline: Path | None = None) -> dict[str, object]:
    """A JSON-ready description of this machine and of the software under test (and of the
    baseline's checkout, if any)."""
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "wrk": _wrk_version(),
        "source": source(),
        "baseline": None if baseline is None else (source(baseline) or "unknown"),
        "versions": {name: _version(name) for name in DISTRIBUTIONS},
    }


def line(description: Mapping[str, Any], date: str, seconds: float) -> str:
    """One line saying when, on what and with which versions the figures were measured."""
    software = ", ".join(
        f"{name} {version}" for name, version in description["versions"].items() if version
    )
    load = " ".join(str(value) for value in description["load_average"])
    tree = description["source"] or "unknown"
    if description.get("baseline"):
        tree += f" (the baseline, {BASELINE}, at {description['baseline']})"
    return (
        f"Measured {date} in {seconds} s, trioquart at {tree}, "
        f"on {description['usable_cpus']} usable CPUs "
        f"({description['cpu_model']}), load average {load} at the start; "
        f"{description['python']}, {software}; {description['wrk'] or 'wrk not installed'}."
    )
