"""routing/domain must stay pure standard library (DESIGN.md, "Architecture")."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import routing.domain

DOMAIN = Path(routing.domain.__file__).parent
SOURCES = sorted(DOMAIN.rglob("*.py"))


DYNAMIC_IMPORTERS = {"import_module", "__import__"}


def dynamic_import_target(node: ast.AST) -> str | None:
    """The module named by importlib.import_module("x") or __import__("x"), if literal."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    first = node.args[0]
    if name in DYNAMIC_IMPORTERS and isinstance(first, ast.Constant):
        return first.value if isinstance(first.value, str) else None
    return None


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif target := dynamic_import_target(node):
            roots.add(target.split(".")[0])
    return roots


def test_domain_has_sources():
    assert {p.name for p in SOURCES} >= {"__init__.py", "engine.py"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_django_import(path):
    assert not {root for root in imported_roots(path) if root.startswith("django")}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_only_standard_library_imports(path):
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    assert imported_roots(path) <= allowed


def test_importing_the_engine_loads_no_django():
    # A fresh interpreter, because this test run may already have Django loaded.
    code = "import sys, routing.domain; print(sorted(m for m in sys.modules if 'django' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=DOMAIN.parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
