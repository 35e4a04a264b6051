"""The benchmarked applications: one module per contender, all with the same routes.

Every module exposes ``app`` (an ASGI 3 callable that also answers the lifespan protocol) and
``make_app(extra_rules)``, which builds a fresh app with ``extra_rules`` more HTTP routes
``/r<i>/<int:id>`` for the route-table scaling scenario.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Contender:
    """One framework under test and the module holding its benchmark app."""

    name: str
    module: str
    has_router: bool = True


CONTENDERS: tuple[Contender, ...] = (
    Contender("raw", "bench.apps.raw", has_router=False),
    Contender("trioquart", "bench.apps.trioquart_app"),
    Contender("starlette", "bench.apps.starlette_app"),
    Contender("quart-trio", "bench.apps.quart_trio_app"),
)

HELLO = "Hello, world!"
ECHO_BODY_SIZE = 1024


def load(contender: Contender) -> ModuleType:
    """Import a contender's app module (any import error propagates to the caller)."""
    return importlib.import_module(contender.module)


def item_json(item_id: int) -> dict[str, object]:
    """The JSON document every app returns for ``GET /items/<id>``."""
    return {"id": item_id, "name": f"item {item_id}"}
