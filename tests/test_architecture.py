"""The house rules of docs/ARCHITECTURE.md, checked on the code itself."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"

# Which app packages each layer may import (besides itself). Imports point down.
ALLOWED = {
    "domain": set(),
    "settings": set(),
    "logs": set(),
    "store": {"domain", "settings", "logs"},
    "providers": {"domain", "settings", "logs"},
    "core": {"domain", "settings", "logs", "store", "providers"},
    "ops": {"domain", "settings", "logs", "store", "providers", "core"},
    "services": {"domain", "settings", "logs", "store", "providers", "core", "ops"},
    "ui": {"domain", "settings", "logs", "store", "providers", "core", "ops", "services"},
    "commands": {"domain", "settings", "logs", "store", "providers", "core", "ops",
                 "commands"},
}
QT_FREE = {"domain", "settings", "logs", "store", "providers", "core", "ops", "commands"}


def layer_of(path: Path) -> str:
    part = path.relative_to(APP).parts[0]
    return part.removesuffix(".py")


def app_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def python_files() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def test_imports_point_down_the_layers() -> None:
    violations = []
    for path in python_files():
        layer = layer_of(path)
        if layer not in ALLOWED:
            continue  # cli.py, __main__.py, __init__.py sit on top
        for line, module in app_imports(path):
            parts = module.split(".")
            if parts[0] != "app" or len(parts) < 2:
                continue
            target = parts[1]
            if target != layer and target not in ALLOWED[layer]:
                violations.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert violations == []


def test_no_qt_below_the_ui() -> None:
    violations = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in python_files() if layer_of(path) in QT_FREE
        for line, module in app_imports(path)
        if module.split(".")[0] in {"PySide6", "qasync", "shiboken6"}
    ]
    assert violations == []


def test_no_eval_exec_or_swallowed_exceptions() -> None:
    violations = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in {"eval", "exec"}):
                violations.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.func.id}")
            if (isinstance(node, ast.ExceptHandler) and len(node.body) == 1
                    and isinstance(node.body[0], ast.Pass)
                    and (node.type is None or getattr(node.type, "id", "") in
                         {"Exception", "BaseException"})):
                violations.append(f"{path.relative_to(ROOT)}:{node.lineno} swallows exceptions")
    assert violations == []


def test_the_code_passes_the_linter() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.fail("ruff is not installed: install the project's dev extra")
    result = subprocess.run([ruff, "check", "app", "tests", "bench", "--output-format",
                             "concise"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
