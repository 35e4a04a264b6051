"""Run ``wrk`` (when it is on PATH) and parse its report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from bench.process import pinned
from bench.stats import Sample

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
_PERCENTILE = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_COUNT = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def available() -> bool:
    """Whether the ``wrk`` binary is installed."""
    return shutil.which("wrk") is not None


def _post_script(body_size: int) -> str:
    """A wrk Lua script that POSTs a body of ``body_size`` bytes."""
    return (
        'wrk.method = "POST"\n'
        f'wrk.body = string.rep("x", {body_size})\n'
        'wrk.headers["Content-Type"] = "application/octet-stream"\n'
    )


def parse(output: str) -> Sample:
    """Requests/s, with the request count, p50/p99 latency (ms) and errors as extras."""
    rate = _RATE.search(output)
    count = _COUNT.search(output)
    if rate is None or count is None:
        raise RuntimeError(f"could not parse wrk output:\n{output}")
    extras = {
        f"p{percent}_ms": float(value) * _UNITS[unit]
        for percent, value, unit in _PERCENTILE.findall(output)
    }
    extras["count"] = float(count.group(1))
    errors = 0
    non_2xx = _NON_2XX.search(output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = _SOCKET_ERRORS.search(output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    if errors:
        extras["errors"] = float(errors)
    return Sample(float(rate.group(1)), extras)


def run(
    url: str,
    *,
    method: str = "GET",
    body_size: int = 0,
    connections: int = 32,
    seconds: float = 2.0,
    cpu: int | None = None,
) -> Sample:
    """Load ``url`` with one wrk thread; ``cpu`` pins wrk to one core."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        url,
    ]
    with tempfile.TemporaryDirectory() as tmp:
        if method == "POST":
            script = os.path.join(tmp, "post.lua")
            with open(script, "w") as file:
                file.write(_post_script(body_size))
            command[1:1] = ["-s", script]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=False,
            preexec_fn=pinned(cpu),
        )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse(done.stdout)
