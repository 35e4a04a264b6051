"""What the figures were measured on: CPUs, load, Python and the libraries' versions."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata

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
        "versions": {name: _version(name) for name in DISTRIBUTIONS},
    }
