"""``python -m soak`` still runs: a few seconds with 20 websockets, every kind of client and
fault, no leak (the real soak is ``nox -s soak``; docs/reliability.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from soak.faults import KINDS

ROOT = Path(__file__).resolve().parent.parent
# Short pauses, so that every client and every kind of fault gets many sessions in 1.5 s; a short
# keep-alive, so that the server is quiet soon after the clients leave.
QUICK = {
    "--websockets": "20",
    "--duration": "1.5",
    "--warmup": "0.3",
    "--ramp": "0.2",
    "--think": "0.05",
    "--abrupt-pause": "0.05",
    "--http-rate": "40",
    "--http-clients": "2",
    "--sample-interval": "0.5",
    "--keep-alive": "0.5",
    "--settle": "20",
}


def test_a_short_soak_passes_with_every_kind_of_client_and_fault(tmp_path: Path) -> None:
    report = tmp_path / "soak.json"
    options = [part for item in QUICK.items() for part in item]
    done = subprocess.run(
        [sys.executable, "-m", "soak", *options, "--json", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(report.read_text())
    assert figures["failures"] == []
    sessions = figures["soak"]["sessions"]
    for kind in ("echo", "seq", "abrupt", "http get", "http post"):
        assert sessions.get(kind, 0) > 0, kind
    faults = figures["soak"]["faults"]
    assert all(faults.get(kind, 0) > 0 for kind in KINDS), faults
    assert figures["soak"]["messages"]["echo"] > 0
    assert figures["soak"]["messages"]["seq"] > 0
    assert figures["server"]["end"]["tasks"] <= figures["server"]["baseline"]["tasks"]
