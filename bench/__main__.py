"""``python -m bench [--quick] [--only STAGE ...] [--contenders NAME ...]``: run and report.

``--e2e-rounds N`` and ``--e2e-seconds S`` make the end-to-end stage longer (or shorter) than
the plan's, for a steadier figure on a noisy machine. ``--baseline PATH`` adds trioquart as
found in PATH (a checkout of an older commit, say a git worktree) as one more contender,
``trioquart-before``, so that before and after are measured in one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time
from pathlib import Path

from bench import machine, runner
from bench.apps import BASELINE, CONTENDERS, SUBJECT, baseline
from bench.plan import FULL, QUICK
from bench.report import markdown, render, to_json, write_json

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    names = [contender.name for contender in CONTENDERS]
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=f"Benchmark {SUBJECT} side by side with a raw ASGI app and its peers.",
    )
    parser.add_argument("--quick", action="store_true", help="a short run (under 30 s)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=runner.STAGES,
        default=list(runner.DEFAULT_STAGES),
        metavar="STAGE",
        help=f"default: {' '.join(runner.DEFAULT_STAGES)}",
    )
    parser.add_argument("--contenders", nargs="+", choices=names, default=names, metavar="NAME")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--e2e-rounds", type=int, metavar="N", help="end-to-end rounds")
    parser.add_argument(
        "--e2e-seconds", type=float, metavar="S", help="seconds of each end-to-end run"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="PATH",
        help=f"also measure the {SUBJECT} of this checkout (an older commit) as {BASELINE}",
    )
    args = parser.parse_args(argv)
    if SUBJECT not in args.contenders and not args.baseline:
        parser.error(f"the contenders must include {SUBJECT} (or --baseline be given)")
    if args.baseline and not (args.baseline / SUBJECT / "__init__.py").is_file():
        parser.error(f"{args.baseline} holds no {SUBJECT} package")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks, print the tables and write the JSON file."""
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.e2e_rounds is not None:
        plan = dataclasses.replace(plan, e2e_rounds=args.e2e_rounds)
    if args.e2e_seconds is not None:
        plan = dataclasses.replace(
            plan, e2e=dataclasses.replace(plan.e2e, seconds=args.e2e_seconds)
        )
    contenders = [c for c in CONTENDERS if c.name in args.contenders]
    if args.baseline:
        # Right after trioquart if it is there, and in the memory stage even with --quick.
        names = [c.name for c in contenders]
        at = names.index(SUBJECT) + 1 if SUBJECT in names else len(names)
        contenders.insert(at, baseline(args.baseline))
        plan = dataclasses.replace(plan, memory_contenders=(*plan.memory_contenders, BASELINE))
    started = time.time()
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    description = machine.describe(args.baseline)
    meta: dict[str, object] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "command": shlex.join(["python", "-m", "bench", *sys.argv[1:]]),
        "plan": plan.name,
        "machine": description,
    }
    results = runner.run(plan, contenders, args.only)
    seconds = round(time.time() - started, 1)
    meta["seconds"] = seconds
    print(render(results))
    print("\n--- Markdown ---")
    print(markdown(results, machine.line(description, date, seconds)))
    path = write_json(to_json(results, meta), args.results_dir, time.strftime("%Y%m%dT%H%M%SZ"))
    print(f"\n{plan.name} run in {meta['seconds']} s; all figures in {path}")


if __name__ == "__main__":
    main()
