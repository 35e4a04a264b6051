"""The package as shipped: its public names, its typing marker, and its trio-only imports."""

from __future__ import annotations

import ast
from pathlib import Path

import trioquart
import trioquart.testing

PACKAGE = Path(trioquart.__file__).parent

# The public API's Quart/Flask names built so far (docs/api.md); sessions, templates and files
# are not built yet.
CONTRACT_NAMES = [
    "TrioQuart",
    "Blueprint",
    "Response",
    "request",
    "websocket",
    "g",
    "current_app",
    "abort",
    "jsonify",
    "make_response",
    "redirect",
    "url_for",
    "stream_with_context",
]


def test_contract_names_are_exported() -> None:
    for name in CONTRACT_NAMES:
        assert name in trioquart.__all__
        assert getattr(trioquart, name) is not None


def test_every_exported_name_exists_and_is_documented() -> None:
    for module in (trioquart, trioquart.testing):
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value) and not name.islower():
                assert value.__doc__, f"{module.__name__}.{name} has no docstring"


def test_testing_errors_are_plain_exceptions() -> None:
    assert issubclass(trioquart.testing.WebsocketResponseError, Exception)
    assert not issubclass(trioquart.testing.WebsocketResponseError, BaseExceptionGroup)
    assert issubclass(trioquart.testing.WebsocketDisconnectError, Exception)


def test_py_typed_is_shipped() -> None:
    assert (PACKAGE / "py.typed").is_file()


def test_no_asyncio_anywhere_in_the_package() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {name}" for name in names if name.split(".")[0] == "asyncio"
            ]
    assert offenders == []
