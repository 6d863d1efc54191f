"""The test suite's own shape: shared helpers live in tests/support (and the support modules
tests/synthetic.py and tests/asf_amc.py); no module under tests/ imports a test module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in a parsed module."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return out


def test_no_module_under_tests_imports_a_test_module() -> None:
    test_modules = {p.stem for p in TESTS.rglob("test_*.py")}
    found = [f"{path.relative_to(TESTS)}:{line} imports {mod}"
             for path in sorted(TESTS.rglob("*.py"))
             for line, mod in _imported(ast.parse(path.read_text(encoding="utf-8")))
             if mod.split(".")[0] in test_modules]
    assert not found, "move what they share to tests/support: " + "; ".join(found)
