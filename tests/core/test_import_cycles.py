"""No import cycles below the entry points: a module of app/core, app/store or
app/services never imports (directly or through others, at any level, lazily
inside a function or only for type checking) a module that imports it back.

A cycle hides itself behind a function-level or TYPE_CHECKING import and
breaks the day someone moves that import to the top; the shared part belongs
in a module of its own (e.g. app/core/history_turns.py, which the context
window and its cache both build on).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("app/core", "app/store", "app/services")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """module -> the modules of ``folders`` it imports (every import statement)."""
    files = {module_name(p): p for folder in folders for p in (ROOT / folder).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in files)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in files:           # ``from pkg import module``
                        deps.add(sub)
                    elif base in files:
                        deps.add(base)
        deps.discard(name)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_in_core_store_and_services() -> None:
    assert cycles(import_graph(LAYERS)) == []


def test_the_context_window_and_its_cache_do_not_import_each_other() -> None:
    graph = import_graph(("app/core",))
    assert "app.core.context_window" not in graph["app.core.context_window_cache"]
    assert "app.core.history_turns" in graph["app.core.context_window_cache"]


def test_a_planted_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
