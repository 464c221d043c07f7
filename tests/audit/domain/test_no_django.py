"""audit/domain must stay pure standard library (DESIGN.md, "Architecture")."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import audit.domain

DOMAIN = Path(audit.domain.__file__).parent
SOURCES = sorted(DOMAIN.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_has_sources():
    assert {p.name for p in SOURCES} >= {"__init__.py", "chain.py"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_only_standard_library_imports(path):
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    assert imported_roots(path) <= allowed


def test_importing_the_chain_loads_no_django():
    # A fresh interpreter, because this test run has Django loaded already.
    code = "import sys, audit.domain; print(sorted(m for m in sys.modules if 'django' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=DOMAIN.parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
