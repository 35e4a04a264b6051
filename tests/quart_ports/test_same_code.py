"""Each Quart original and its trioquart port differ only in their import statements.

The two files are parsed, every ``import``/``from ... import`` is removed (at any depth), and
what is left must be the same tree: the port changed what it imports and nothing else.
Comments are not in the tree; the tests of each app show that the port behaves the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples" / "quart_ports"
APPS = ["blog", "chat", "video"]


class _DropImports(ast.NodeTransformer):
    def visit_Import(self, node: ast.Import) -> None:
        return None

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        return None


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def without_imports(tree: ast.Module) -> str:
    return ast.dump(_DropImports().visit(tree), include_attributes=False)


def imported_modules(tree: ast.Module) -> set[str]:
    """The top-level packages ``tree`` imports from."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module.partition(".")[0])
    return names


@pytest.mark.parametrize("name", APPS)
def test_the_port_differs_from_the_original_only_in_its_imports(name: str) -> None:
    original = parse(EXAMPLES / name / "quart_app.py")
    port = parse(EXAMPLES / name / "app.py")
    assert without_imports(port) == without_imports(original)


@pytest.mark.parametrize("name", APPS)
def test_the_port_imports_trioquart_where_the_original_imports_quart(name: str) -> None:
    original = imported_modules(parse(EXAMPLES / name / "quart_app.py"))
    port = imported_modules(parse(EXAMPLES / name / "app.py"))
    assert {"quart", "quart_trio"} & original
    assert "trioquart" not in original
    assert "trioquart" in port
    assert not {"quart", "quart_trio"} & port
    # Everything else (trio, sqlite3, werkzeug...) is imported by both.
    assert original - {"quart", "quart_trio"} == port - {"trioquart"}


def test_a_change_outside_the_imports_is_caught() -> None:
    source = (EXAMPLES / "chat" / "app.py").read_text(encoding="utf-8")
    changed = ast.parse(source.replace("buffer_size: int = 32", "buffer_size: int = 33"))
    assert without_imports(changed) != without_imports(parse(EXAMPLES / "chat" / "app.py"))
