"""The in-process stages of the baseline, in a child process of its own.

One process cannot import two versions of trioquart, so the baseline (``--baseline``) is timed
in ``python -m bench.isolated``, which imports trioquart from the baseline's checkout, builds
the apps as the parent builds the others' (the routing-scale ones too), freezes its heap, and
then runs what the parent asks for with the same functions (:mod:`bench.inprocess`,
:mod:`bench.route_scale`), answering with the samples. The child lives for the whole run, as
the other apps live in the parent, and its runs take their turn in each round among theirs.

Parent and child speak in JSON lines: the child's stdout carries nothing else.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from bench import inprocess, route_scale
from bench.apps import SUBJECT, Contender, import_app_module, load
from bench.inprocess import HTTP_ROUTES, Durations, HttpRoute
from bench.process import READY_TIMEOUT, ROOT, child_env, read_json_line
from bench.route_scale import RoutingSettings
from bench.stats import Sample

#: Longest wait for one answer: a routing round runs one scenario per table size.
ANSWER_TIMEOUT = 3 * inprocess.SCENARIO_TIMEOUT


class Isolated:
    """The parent's side: a contender's in-process runs, done by its child process."""

    def __init__(self, contender: Contender, routing_sizes: Sequence[int]) -> None:
        assert contender.source is not None
        sizes = [str(size) for size in routing_sizes]
        command = [sys.executable, "-m", "bench.isolated", contender.module, contender.source]
        self.proc = subprocess.Popen(
            [*command, *(["--routing-sizes", *sizes] if sizes else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=child_env(),
        )
        assert self.proc.stdout is not None
        try:
            hello = read_json_line(self.proc.stdout, READY_TIMEOUT, self.proc)
        except RuntimeError:
            self.close()
            raise RuntimeError(f"{contender.name}: the in-process child did not start") from None
        #: Where the child imported trioquart from.
        self.imported: str = hello["imported"]
        self.has_route_table: bool = hello["has_route_table"]

    def _ask(self, request: dict[str, Any]) -> dict[str, Sample]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = read_json_line(self.proc.stdout, ANSWER_TIMEOUT, self.proc)
        return {key: Sample(value, extras) for key, (value, extras) in answer.items()}

    def run_http(self, routes: Sequence[HttpRoute], d: Durations) -> dict[str, Sample]:
        """As :func:`bench.inprocess.run_http`."""
        names = [route.name for route in routes]
        return self._ask({"run": "http", "routes": names, "durations": asdict(d)})

    def run_ws(self, fan_outs: Sequence[int], d: Durations) -> dict[str, Sample]:
        """As :func:`bench.inprocess.run_ws`."""
        return self._ask({"run": "ws", "fan_outs": list(fan_outs), "durations": asdict(d)})

    def run_routing(self, settings: RoutingSettings) -> dict[int, Sample]:
        """As :func:`bench.route_scale.run`, on the tables built at start."""
        samples = self._ask({"run": "routing", "durations": asdict(settings.durations)})
        return {int(size): sample for size, sample in samples.items()}

    def close(self) -> None:
        """End the child (stdin EOF) and wait for it."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(READY_TIMEOUT)


def _answer(
    request: dict[str, Any], contender: Contender, routing: dict[int, Any]
) -> dict[Any, Sample]:
    d = Durations(**request["durations"])
    if request["run"] == "http":
        by_name = {route.name: route for route in HTTP_ROUTES}
        routes = [by_name[name] for name in request["routes"]]
        return inprocess.run_http(load(contender), routes, d)
    if request["run"] == "ws":
        return inprocess.run_ws(load(contender), request["fan_outs"], d)
    return route_scale.run(routing, RoutingSettings(tuple(routing), d))


def main(argv: list[str] | None = None) -> None:
    """Build the apps, say where trioquart came from, then answer requests until stdin closes."""
    parser = argparse.ArgumentParser(prog="python -m bench.isolated")
    parser.add_argument("module", help="e.g. bench.apps.trioquart_app")
    parser.add_argument("source", help="the checkout to import trioquart from")
    parser.add_argument("--routing-sizes", nargs="+", type=int, default=[])
    args = parser.parse_args(argv)
    out, sys.stdout = sys.stdout, sys.stderr  # only this module writes to the parent
    contender = Contender("isolated", args.module, args.source)
    import_app_module(args.module, args.source)
    routing = route_scale.build(contender, args.routing_sizes) if args.routing_sizes else None
    inprocess.freeze_heap()
    hello = {"imported": sys.modules[SUBJECT].__file__, "has_route_table": routing is not None}
    print(json.dumps(hello), file=out, flush=True)
    for line in sys.stdin:
        samples = _answer(json.loads(line), contender, routing or {})
        answer = {key: (sample.value, sample.extras) for key, sample in samples.items()}
        print(json.dumps(answer), file=out, flush=True)


if __name__ == "__main__":
    main()
