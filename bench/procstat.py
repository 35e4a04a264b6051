"""What Linux's ``/proc`` says about a server process: resident memory and CPU time used."""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")
#: The resolution of :func:`cpu_seconds`.
CPU_TICK = 1 / _TICKS


def rss_kib(pid: int) -> int:
    """The resident set size of process ``pid`` in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (clock-tick resolution, ~10 ms)."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name may hold spaces and parentheses: fields are counted after its ")".
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS
