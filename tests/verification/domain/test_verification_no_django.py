"""verification/domain stays free of Django (DESIGN.md, "Architecture").

Besides the standard library it may use the numeric and file-format libraries named here.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import verification.domain

DOMAIN = Path(verification.domain.__file__).parent
SOURCES = sorted(DOMAIN.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def test_domain_has_sources() -> None:
    names = {p.name for p in SOURCES}
    assert names >= {"__init__.py", "canonical_csv.py", "metrics.py", "verdict.py", "synthetic.py"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_no_django_import(path: Path) -> None:
    assert not {root for root in imported_roots(path) if root.startswith("django")}


# Numeric and battery-file libraries: plain values in, plain values out, no framework.
ALLOWED_LIBRARIES = {"numpy", "pyarrow", "pandas", "galvani", "NewareNDA", "openpyxl"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_only_standard_and_numeric_library_imports(path: Path) -> None:
    allowed = set(sys.stdlib_module_names) | {"__future__", "verification"} | ALLOWED_LIBRARIES
    assert imported_roots(path) <= allowed


def test_importing_the_domain_loads_no_django() -> None:
    # A fresh interpreter, because this test run may already have Django loaded.
    code = "import sys, verification.domain; print(sorted(m for m in sys.modules if 'django' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=DOMAIN.parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
