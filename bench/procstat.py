"""What Linux's ``/proc`` says about a server process: resident memory and CPU time used."""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")
#: The resolution of :func:`cpu_seconds`.
CPU_TICK = 1 / _TICKS


def rss_kib(pid: int) -> int:
    """The resident set size of process ``pid`` in KiB."""
    return _status_kib(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """The highest resident set size of process ``pid`` in KiB, since it started or since
    :func:`reset_peak_rss`."""
    return _status_kib(pid, "VmHWM")


def reset_peak_rss(pid: int) -> bool:
    """Make the current RSS of process ``pid`` its peak; False if Linux refuses."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (clock-tick resolution, ~10 ms)."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name may hold spaces and parentheses: fields are counted after its ")".
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS
