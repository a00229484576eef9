"""Package-level rules: exported names, layering, no printing outside the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import contract_tests

PACKAGE = Path(contract_tests.__file__).resolve().parent


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_all_lists_existing_public_names():
    assert sorted(contract_tests.__all__) == contract_tests.__all__
    for name in contract_tests.__all__:
        assert hasattr(contract_tests, name), name


def test_never_imports_the_mock_server():
    for path in modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "mock_server" for n in names), path


def test_no_print_outside_the_cli():
    for path in modules():
        if path.name == "cli.py":
            continue
        calls = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)]
        assert not any(isinstance(c.func, ast.Name) and c.func.id == "print" for c in calls), path


def test_every_module_uses_future_annotations():
    for path in modules():
        text = path.read_text()
        if text.strip():
            assert "from __future__ import annotations" in text, path
