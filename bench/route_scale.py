"""Routing scale: the in-process cost of a late rule as the route table grows.

Each framework's app is rebuilt by its ``make_app(n)`` with ``n`` static rules and ``n``
converter rules ahead of the benchmark routes, and ``GET /items/<id>`` (a converter rule added
after all of them) is timed as in :mod:`bench.inprocess`. The raw app has no route table, so it
takes no part. Routing that is not linear in the rule count keeps ``cost(n) / cost(smallest)``
close to 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from bench.apps import GET_JSON, Contender, import_app_module
from bench.asgi import ASGIApp
from bench.inprocess import HTTP_ROUTES, Durations, run_http
from bench.stats import Sample

ROUTE = next(route for route in HTTP_ROUTES if route.name == GET_JSON)


@dataclass(frozen=True)
class RoutingSettings:
    """The numbers of extra rules (of each kind) and how long each size is timed."""

    sizes: tuple[int, ...]
    durations: Durations


def build(contender: Contender, sizes: Sequence[int]) -> dict[int, ASGIApp] | None:
    """The contender's app for each size, or None when it has no ``make_app`` (raw ASGI).

    Raises ImportError when the framework is not installed.
    """
    factory = getattr(import_app_module(contender.module, contender.source), "make_app", None)
    if factory is None:
        return None
    make_app = cast("Callable[[int], ASGIApp]", factory)
    return {size: make_app(size) for size in sizes}


def scenario_name(size: int) -> str:
    """The scenario's name in the rate table."""
    return f"GET /items/<id> after {size}+{size} rules"


def growth_name(size: int, smallest: int) -> str:
    """The scenario's name in the growth table."""
    return f"cost({size}) / cost({smallest})"


def run(apps: dict[int, ASGIApp], settings: RoutingSettings) -> dict[int, Sample]:
    """Requests per CPU second of the late rule, for each size."""
    return {
        size: run_http(app, (ROUTE,), settings.durations)[ROUTE.name] for size, app in apps.items()
    }


def growth(samples: dict[int, Sample]) -> dict[int, Sample]:
    """Cost per request at each larger size relative to the smallest (same round)."""
    smallest = min(samples)
    base = samples[smallest].value
    return {
        size: Sample(base / sample.value) for size, sample in samples.items() if size != smallest
    }
