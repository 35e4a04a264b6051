"""The benchmarked applications: one module per contender, all with the same routes.

Every module exposes ``app``, an ASGI 3 callable that also answers the lifespan protocol, with
``GET /`` (plain text), ``GET /items/<int:id>`` (JSON), ``POST /echo`` and a websocket echo
on ``/ws``. The framework modules also expose ``make_app(extra_routes)``, which builds the same
app behind a larger route table (see :func:`extra_static_paths`); the raw app routes by hand
and has no route table to grow.

When ``BENCH_FILES_DIR`` names a folder, each app also serves its files at
``GET /files/<name>``, its framework's ordinary way, and takes uploads at ``POST /uploads``:
the framework apps parse a ``multipart/form-data`` body and save its part ``file`` as
:data:`UPLOAD_NAME` in that folder, the raw app writes the whole body there as it arrives (it
parses nothing); each answers ``{"saved": <bytes in the saved file>}``. For the transfer stage
only: the other stages' servers have neither route, and keep their frameworks' body limits.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.asgi import ASGIApp

HELLO = "Hello, world!"
ECHO_BODY_SIZE = 1024
# Scenario names, shared by the in-process and the end-to-end tables.
GET_TEXT = "GET / (text)"
GET_JSON = "GET /items/<id> (JSON)"
POST_ECHO = "POST /echo (1 KiB)"
#: The environment variable naming the folder served at ``/files/<name>``.
FILES_DIR_VAR = "BENCH_FILES_DIR"
#: The file of that folder that ``POST /uploads`` writes.
UPLOAD_NAME = "uploaded"
#: The form field of the uploaded file.
UPLOAD_FIELD = "file"


@dataclass(frozen=True)
class Contender:
    """One framework under test and the module holding its benchmark app."""

    name: str
    module: str
    #: A checkout of another commit whose trioquart the app imports instead of the current one
    #: (the baseline); its app runs in processes of its own.
    source: str | None = None


SUBJECT = "trioquart"
#: The contender that is trioquart at an older commit (``python -m bench --baseline PATH``).
BASELINE = f"{SUBJECT}-before"
_SUBJECT_APP = "bench.apps.trioquart_app"
CONTENDERS: tuple[Contender, ...] = (
    Contender("raw", "bench.apps.raw"),
    Contender(SUBJECT, _SUBJECT_APP),
    Contender("starlette", "bench.apps.starlette_app"),
    Contender("quart-trio", "bench.apps.quart_trio_app"),
)


def baseline(checkout: Path) -> Contender:
    """The benchmark's trioquart app (this one, so that only the framework differs) served by
    the trioquart package of ``checkout``."""
    return Contender(BASELINE, _SUBJECT_APP, str(checkout.resolve()))


def import_app_module(module: str, source: str | None = None) -> ModuleType:
    """Import an app module; with ``source``, with trioquart from that checkout.

    ``python -m`` puts the working directory (this repository, whose trioquart is the current
    one) first on ``sys.path``, ahead of ``PYTHONPATH``, so ``source`` goes in front of it here.
    ``bench`` itself is imported by then, so the checkout's own ``bench/`` is not used. Fails
    unless trioquart really comes from ``source``.
    """
    if source is not None and SUBJECT not in sys.modules:
        sys.path.insert(0, source)
    loaded = importlib.import_module(module)
    if source is not None:
        origin = Path(sys.modules[SUBJECT].__file__ or "").resolve()
        if not origin.is_relative_to(Path(source).resolve()):
            raise RuntimeError(f"{SUBJECT} was imported from {origin}, not from {source}")
    return loaded


def load(contender: Contender) -> ASGIApp:
    """Import a contender's app (an ImportError means its framework is not installed)."""
    app: Any = import_app_module(contender.module, contender.source).app
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
