"""Whether a run passed: no leak, no lost or wrong message, no error anywhere.

A leak is a server that does not come back, once every client has gone, to what it held at the
baseline: more trio tasks or more open files than then (no slack: a connection that is gone
must leave nothing behind), or resident memory grown by more than ``rss_slack_mib``. Memory
gets a slack because CPython's allocator keeps some freed memory and fragments under churn;
the warm-up has already brought it to its working size, so the slack is small next to what a
leak of even a few bytes per connection would add over a soak. The baseline itself must not
be above the figures of the fresh server: trioquart starts nothing, on first use, that outlives
the connection it served.
"""

from __future__ import annotations

from soak.run import Outcome


def failures(outcome: Outcome) -> list[str]:
    """Every reason the run failed (empty: it passed)."""
    found = []
    initial, baseline, end = outcome.initial, outcome.baseline, outcome.end
    if not baseline.within(initial):
        found.append(
            f"the warm-up left {baseline.tasks - initial.tasks} trio tasks and "
            f"{baseline.fds - initial.fds} open files behind (nothing should outlive its "
            "connection)"
        )
    if end.tasks > baseline.tasks:
        found.append(f"task leak: {end.tasks} trio tasks at the end, {baseline.tasks} at baseline")
    if end.fds > baseline.fds:
        found.append(f"file leak: {end.fds} open files at the end, {baseline.fds} at baseline")
    growth_mib = (end.rss_kib - baseline.rss_kib) / 1024
    if growth_mib > outcome.settings.rss_slack_mib:
        found.append(
            f"memory growth: RSS up {growth_mib:.1f} MiB from baseline "
            f"(allowed: {outcome.settings.rss_slack_mib:g} MiB)"
        )
    for phase, tally in (("warm-up", outcome.warmup), ("soak", outcome.soak)):
        for kind, count in sorted(tally.errors.items()):
            found.append(f"{phase}: {count} x {kind}")
    found.extend(f"clients of the {phase} did not stop in time" for phase in outcome.hung_phases)
    if outcome.server_returncode != 0:
        found.append(f"the server exited with {outcome.server_returncode}")
    if outcome.server_errors:
        found.append(f"the server logged {len(outcome.server_errors)} error lines")
    return found
