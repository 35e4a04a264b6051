"""``python -m soak``: run the soak, print the report, exit 1 on a leak or any error."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

import trio

from bench.server import raise_fd_limit
from soak.report import as_json, render
from soak.run import soak
from soak.settings import Settings
from soak.verdict import failures


def parse_settings(argv: list[str] | None) -> tuple[Settings, Path | None]:
    """The settings and the JSON path from the command line (every setting is an option)."""
    parser = argparse.ArgumentParser(
        prog="python -m soak",
        description="Soak trioquart over Hypercorn; exit 1 on a leak or any error "
        "(docs/reliability.md).",
        allow_abbrev=False,
    )
    defaults = Settings()
    for setting in fields(Settings):
        default = getattr(defaults, setting.name)
        parser.add_argument(
            f"--{setting.name.replace('_', '-')}",
            type=type(default),
            default=default,
            help=f"{setting.metadata['help']} Default: {default}.",
        )
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = vars(parser.parse_args(argv))
    json_path = args.pop("json")
    return Settings(**args), json_path


def main(argv: list[str] | None = None) -> int:
    """Run the soak; 0 if it passed, 1 if not."""
    settings, json_path = parse_settings(argv)
    raise_fd_limit()
    outcome = trio.run(soak, settings)
    found = failures(outcome)
    print(render(outcome, found), flush=True)
    if json_path is not None:
        json_path.write_text(json.dumps(as_json(outcome, found), indent=2) + "\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
