"""The report of a run: a readable summary and table on stdout, and the same as JSON."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict
from typing import Any

from soak.census import Census
from soak.faults import KINDS
from soak.run import Outcome
from soak.sampling import Sample


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def _peak(samples: list[Sample]) -> Census:
    censuses = [sample.census for sample in samples if sample.phase == "soak"]
    if not censuses:
        return Census(0, 0, 0)
    return Census(
        tasks=max(census.tasks for census in censuses),
        fds=max(census.fds for census in censuses),
        rss_kib=max(census.rss_kib for census in censuses),
    )


def _grouped(tasks: list[str]) -> list[str]:
    """Identical task lines once, with their count, in the order they first appear."""
    counts = Counter(line.strip() for line in tasks)
    return [f"{count} x {line}" for line, count in counts.items()]


def _rows(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in [headers, *rows]) for column in range(len(headers))]
    lines = [
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def render(outcome: Outcome, failures: list[str]) -> str:
    """The summary, the figures over time, and the verdict."""
    settings, tally, seconds = outcome.settings, outcome.soak, outcome.elapsed
    orderly_sessions = tally.sessions["echo"] + tally.sessions["seq"]
    http = tally.sessions["http get"] + tally.sessions["http post"]
    faults = sum(tally.faults.values())
    messages = sum(tally.messages.values())
    lines = [
        f"Soak: {settings.websockets} websockets ({settings.websockets // 3} abrupt), "
        f"{settings.http_clients} HTTP clients at {settings.http_rate:g} requests/s, "
        f"{settings.duration:g} s after a {settings.warmup:g} s warm-up, seed {settings.seed}",
        f"Load achieved over {seconds:.0f} s: {orderly_sessions} orderly sessions "
        f"({tally.sessions['echo']} echo, {tally.sessions['seq']} sequence; "
        f"{orderly_sessions / seconds:.1f}/s), {messages} messages checked "
        f"({messages / seconds:.0f}/s), {faults} faults ({faults / seconds:.1f}/s), "
        f"{http} HTTP requests ({http / seconds:.1f}/s); at most "
        f"{max((sample.clients['open_websockets'] for sample in outcome.samples), default=0)} "
        f"websockets open at once; CPU: server {outcome.server_cpu:.2f} cores, this driver "
        f"{outcome.driver_cpu:.2f} cores (of {os.cpu_count()})",
        "",
        "Faults injected (where / how):",
        *_rows(["kind", "count"], [[kind, str(tally.faults[kind])] for kind in KINDS]),
        "",
        "Figures over time:",
        *_rows(
            ["phase", "s", "open ws", "sessions", "faults", "errors", "tasks", "fds", "RSS MiB"],
            [
                [
                    sample.phase,
                    f"{sample.seconds:.1f}",
                    str(sample.clients["open_websockets"]),
                    str(sum(sample.clients["sessions"].values())),
                    str(sum(sample.clients["faults"].values())),
                    str(sum(sample.clients["errors"].values())),
                    str(sample.census.tasks),
                    str(sample.census.fds),
                    _mib(sample.census.rss_kib),
                ]
                for sample in outcome.samples
            ],
        ),
        "",
        "Server (idle unless peak):",
        *_rows(
            ["moment", "tasks", "fds", "RSS MiB"],
            [
                [name, str(census.tasks), str(census.fds), _mib(census.rss_kib)]
                for name, census in (
                    ("start", outcome.initial),
                    ("baseline (after warm-up)", outcome.baseline),
                    ("peak (during soak)", _peak(outcome.samples)),
                    ("end (clients gone)", outcome.end),
                )
            ],
        ),
        "",
    ]
    details = outcome.warmup.error_details + outcome.soak.error_details
    if failures:
        lines += ["FAILED:", *(f"  - {failure}" for failure in failures)]
        lines += [f"  error: {detail}" for detail in details]
        lines += [f"  server: {line}" for line in outcome.server_errors[:20]]
        if outcome.leftover_tasks:
            lines += ["  the server's tasks at the end, and where they wait (count x task):"]
            lines += [f"    {line}" for line in _grouped(outcome.leftover_tasks)]
    else:
        lines.append("PASSED: no leak, no lost or out-of-order message, no error")
    return "\n".join(lines)


def as_json(outcome: Outcome, failures: list[str]) -> dict[str, Any]:
    """Everything measured, for a file."""
    return {
        "settings": asdict(outcome.settings),
        "elapsed": outcome.elapsed,
        "cpu_cores": {"server": outcome.server_cpu, "driver": outcome.driver_cpu},
        "server": {
            "start": outcome.initial.as_dict(),
            "baseline": outcome.baseline.as_dict(),
            "peak": _peak(outcome.samples).as_dict(),
            "end": outcome.end.as_dict(),
            "returncode": outcome.server_returncode,
            "errors": outcome.server_errors,
        },
        "warmup": outcome.warmup.snapshot(),
        "soak": outcome.soak.snapshot(),
        "samples": [sample.as_dict() for sample in outcome.samples],
        "leftover_tasks": outcome.leftover_tasks,
        "failures": failures,
        "error_details": outcome.warmup.error_details + outcome.soak.error_details,
    }
