"""The benchmarked applications: one module per contender, all with the same routes.

Every module exposes ``app``, an ASGI 3 callable that also answers the lifespan protocol, with
``GET /`` (plain text), ``GET /items/<int:id>`` (JSON), ``POST /echo`` and a websocket echo
on ``/ws``. The framework modules also expose ``make_app(extra_routes)``, which builds the same
app behind a larger route table (see :func:`extra_static_paths`); the raw app routes by hand
and has no route table to grow.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from bench.asgi import ASGIApp

HELLO = "Hello, world!"
ECHO_BODY_SIZE = 1024
# Scenario names, shared by the in-process and the end-to-end tables.
GET_TEXT = "GET / (text)"
GET_JSON = "GET /items/<id> (JSON)"
POST_ECHO = "POST /echo (1 KiB)"


@dataclass(frozen=True)
class Contender:
    """One framework under test and the module holding its benchmark app."""

    name: str
    module: str


SUBJECT = "trioquart"
CONTENDERS: tuple[Contender, ...] = (
    Contender("raw", "bench.apps.raw"),
    Contender(SUBJECT, "bench.apps.trioquart_app"),
    Contender("starlette", "bench.apps.starlette_app"),
    Contender("quart-trio", "bench.apps.quart_trio_app"),
)


def load(contender: Contender) -> ASGIApp:
    """Import a contender's app (an ImportError means its framework is not installed)."""
    app: Any = importlib.import_module(contender.module).app
    return app  # type: ignore[no-any-return]


def extra_static_paths(count: int) -> list[str]:
    """The static rules added before the benchmark routes: ``/static-route-0`` ..."""
    return [f"/static-route-{index}" for index in range(count)]


def extra_converter_prefixes(count: int) -> list[str]:
    """The prefixes of the converter rules added next: ``/users0`` ..., each then ``/<int:id>``."""
    return [f"/users{index}" for index in range(count)]


def item_json(item_id: int) -> dict[str, object]:
    """The JSON document every app returns for ``GET /items/<id>``."""
    return {"id": item_id, "name": f"item {item_id}"}
