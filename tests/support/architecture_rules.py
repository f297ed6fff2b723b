"""The checkers behind tests/test_architecture.py, over any ``app`` source tree.

Each checker takes the directory of the ``app`` package (the real one, or a small
synthetic tree a test writes to ``tmp_path``) and returns its findings as
``"<path>:<line> <what>"`` strings, so a test can plant one violation of each rule
and see it reported.

The layer map names every top-level module and package of ``app``: a module the
map does not know is itself a finding, never exempt.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# The process-wide helpers beside the domain at the bottom: ``app`` itself
# (``app/__init__.py``: the version), typed settings, logging and the start-up
# collector pause. They import nothing from ``app``; every layer above may use them.
BASE = frozenset({"__init__", "settings", "logs", "gc_pause", "frozen_python"})
_BELOW_CORE = BASE | {"domain", "store", "providers"}
_BELOW_OPS = _BELOW_CORE | {"core"}
_HEADLESS = _BELOW_OPS | {"ops"}

# Which top-level modules/packages each one may import (besides itself). Imports
# point down: entry points (cli, __main__, commands, ui, api) -> services -> ops ->
# core -> providers | store -> domain, with BASE beside domain at the bottom.
LAYERS: dict[str, frozenset[str]] = {
    "__init__": frozenset(),
    "settings": frozenset(),
    "logs": frozenset(),
    "gc_pause": frozenset(),
    "frozen_python": frozenset(),   # the frozen app as Python for its own subprocesses
    "domain": frozenset(),
    "store": BASE | {"domain"},
    "providers": BASE | {"domain"},
    "core": _BELOW_CORE,
    "ops": _BELOW_OPS,
    "services": _HEADLESS,
    "ui": _HEADLESS | {"services", "api"},   # the window serves the API (app/ui/api_server.py)
    # The headless entry points never load the Qt bridge (app/services).
    "commands": _HEADLESS | {"api"},    # ``agentdesk serve`` runs the API
    "api": _HEADLESS,  # the coming local HTTP API: calls ops like the CLI
    # The dispatcher: a subcommand, the GUI (loaded only when no subcommand is
    # named) or, once it exists, the API server.
    "cli": _HEADLESS | {"commands", "ui", "api", "self_test"},
    # ``agentdesk --self-test``: the real start (its window through app.ui), then
    # the providers and the built-in model, headless.
    "self_test": _HEADLESS | {"ui"},
    "__main__": BASE | {"cli"},
}
# Layers that never import Qt themselves (the GUI is loaded through app.ui).
QT_FREE = frozenset(LAYERS) - {"services", "ui"}
QT_MODULES = frozenset({"PySide6", "qasync", "shiboken6"})

# What app/ui may take from the store: its typed errors and change notices (the
# vocabulary ops answer in), never a repository or the Store handle.
UI_STORE_VOCABULARY = frozenset({
    "StoreError", "NotFoundError", "DuplicateNameError", "SearchCancelled",
    "ChangeNotice", "EXTERNAL",
})
UI_STORE_VOCABULARY_MODULES = frozenset({"store.errors", "store.notices"})
# The composition root opens the database once for the whole window; that is
# wiring, not a query.
UI_STORE_OPENERS = {"app/ui/application.py": frozenset({"AsyncStore"})}

# The repositories a Store handle carries (app/store/store.py): reaching one from
# app/ui (``store.messages.page(...)`` in a lambda) is a query in a widget.
STORE_REPOSITORIES = frozenset({
    "agents", "providers", "conversations", "messages", "search", "memories",
    "custom_tools", "mcp_servers", "imports", "usage", "knowledge", "workflows", "db",
    "hub",
})
STORE_NAMES = frozenset({"store", "_store"})

BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})
LOGGER_NAMES = frozenset({"log", "logger", "logging"})


@dataclass(frozen=True)
class Import:
    """One import found in a file: the module and the names taken from it."""

    line: int
    module: str
    names: tuple[str, ...] = ()
    dynamic: bool = False  # importlib.import_module / __import__ with a string


def python_files(app_dir: Path) -> list[Path]:
    return sorted(p for p in app_dir.rglob("*.py") if "__pycache__" not in p.parts)


def rel(app_dir: Path, path: Path) -> str:
    return path.relative_to(app_dir.parent).as_posix()


def top_level_entries(app_dir: Path) -> list[str]:
    """Every top-level module (``x.py`` -> ``x``) and package of ``app``."""
    found = []
    for entry in sorted(app_dir.iterdir()):
        if entry.is_file() and entry.suffix == ".py":
            found.append(entry.stem)
        elif entry.is_dir() and entry.name != "__pycache__" and any(entry.rglob("*.py")):
            found.append(entry.name)
    return found


def layer_of(app_dir: Path, path: Path) -> str:
    return path.relative_to(app_dir).parts[0].removesuffix(".py")


def unmapped_modules(app_dir: Path, layers: dict[str, frozenset[str]] = LAYERS) -> list[str]:
    return [f"{app_dir.name}/{name} is in no layer" for name in top_level_entries(app_dir)
            if name not in layers]


def _package_of(app_dir: Path, path: Path) -> list[str]:
    parts = [app_dir.name, *path.relative_to(app_dir).with_suffix("").parts]
    return parts[:-1]  # a module's package; for __init__.py the package itself


def _string_constants(tree: ast.Module) -> dict[str, str]:
    consts = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            consts[node.targets[0].id] = node.value.value
    return consts


def _dynamic_target(call: ast.Call, consts: dict[str, str]) -> str | None:
    """The module a dynamic import names, as far as it can be known statically:
    a string, a module-level string constant, or an f-string's leading package
    (``f"app.commands.{name}"`` -> ``app.commands``). None when unknowable."""
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Name) and arg.id in consts:
        return consts[arg.id]
    if isinstance(arg, ast.JoinedStr) and arg.values:
        head = arg.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str) and "." in head.value:
            return head.value.rsplit(".", 1)[0]
    return None


def _is_dynamic_import(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in {"import_module", "__import__"} and bool(call.args)


def file_imports(app_dir: Path, path: Path) -> Iterator[Import]:
    """Every import in a file, relative ones resolved to absolute modules and
    ``importlib``/``__import__`` strings included. An unknowable dynamic target
    is yielded as module ``"?"``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    consts = _string_constants(tree)
    package = _package_of(app_dir, path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield Import(node.lineno, module, names)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            target = _dynamic_target(node, consts)
            yield Import(node.lineno, target if target and not target.startswith(".") else "?",
                         dynamic=True)


def _targets(app_dir: Path, imp: Import) -> list[str]:
    """The top-level app modules an import reaches (``from app import x`` reaches
    ``x`` when it is a module, else ``app/__init__``)."""
    parts = imp.module.split(".")
    if parts[0] != app_dir.name:
        return []
    if len(parts) > 1:
        return [parts[1]]
    entries = set(top_level_entries(app_dir))
    return [name if name in entries else "__init__" for name in imp.names] or ["__init__"]


def import_violations(app_dir: Path, layers: dict[str, frozenset[str]] = LAYERS) -> list[str]:
    """Imports that point up (or sideways) the layers, and dynamic imports whose
    target cannot be checked."""
    found = []
    for path in python_files(app_dir):
        layer = layer_of(app_dir, path)
        allowed = layers.get(layer)
        for imp in file_imports(app_dir, path):
            where = f"{rel(app_dir, path)}:{imp.line}"
            if imp.module == "?":
                found.append(f"{where} imports a module that cannot be known statically")
                continue
            if allowed is None:
                continue  # reported by unmapped_modules
            for target in _targets(app_dir, imp):
                if target != layer and target not in allowed:
                    found.append(f"{where} imports {imp.module} ({layer} -> {target})")
    return found


def qt_imports(app_dir: Path, layers: frozenset[str] = QT_FREE) -> list[str]:
    return [f"{rel(app_dir, path)}:{imp.line} imports {imp.module}"
            for path in python_files(app_dir) if layer_of(app_dir, path) in layers
            for imp in file_imports(app_dir, path)
            if imp.module.split(".")[0] in QT_MODULES]


def ui_store_imports(app_dir: Path) -> list[str]:
    """What app/ui imports from app.store beyond its errors and change notices,
    as ``"<path>: <module>.<name>"`` (no line numbers: an allow-list of these
    stays valid while the file is edited elsewhere)."""
    store = f"{app_dir.name}.store"
    found = set()
    for path in python_files(app_dir):
        if layer_of(app_dir, path) != "ui":
            continue
        where = rel(app_dir, path)
        allowed = UI_STORE_VOCABULARY | UI_STORE_OPENERS.get(where, frozenset())
        for imp in file_imports(app_dir, path):
            if imp.module != store and not imp.module.startswith(store + "."):
                if imp.module == app_dir.name and "store" in imp.names:
                    found.add(f"{where}: {store}")
                continue
            if imp.module.removeprefix(app_dir.name + ".") in UI_STORE_VOCABULARY_MODULES:
                continue
            if not imp.names:  # import app.store / import_module("app.store.x")
                found.add(f"{where}: {imp.module}")
            for name in imp.names:
                if name not in allowed:
                    found.add(f"{where}: {imp.module}.{name}")
    return sorted(found)


def _store_parameters(node: ast.AST) -> set[str]:
    """Parameters of a function or lambda that hold a Store: named ``store`` or
    annotated with a ``...Store`` type."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return set()
    args = node.args
    found = set()
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        annotation = ast.unparse(arg.annotation) if arg.annotation is not None else ""
        if arg.arg in STORE_NAMES or annotation.strip("'\"").endswith("Store"):
            found.add(arg.arg)
    return found


def ui_store_queries(app_dir: Path) -> list[str]:
    """Repositories reached from app/ui through a Store (``store.messages``,
    ``self._store.agents``, ``s.conversations`` where ``s: Store``), as
    ``"<path>: store.<repository>"``."""
    found = set()
    for path in python_files(app_dir):
        if layer_of(app_dir, path) != "ui":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        holders = set(STORE_NAMES)
        for node in ast.walk(tree):
            holders |= _store_parameters(node)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr in STORE_REPOSITORIES):
                continue
            base = node.value
            name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            if name in holders:
                found.add(f"{rel(app_dir, path)}: {name}.{node.attr}")
    return sorted(found)


def _is_broad(handler_type: ast.expr | None) -> bool:
    if handler_type is None:
        return True
    names = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
    return any((isinstance(n, ast.Name) and n.id in BROAD_EXCEPTIONS)
               or (isinstance(n, ast.Attribute) and n.attr in BROAD_EXCEPTIONS) for n in names)


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of a handler's body, not those of functions defined in it."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _logs_or_raises(body: list[ast.stmt]) -> bool:
    for node in _own_nodes(body):
        if isinstance(node, ast.Raise):
            return True  # re-raised or converted
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in LOGGER_NAMES:
                return True
    return False


def _is_broad_suppress(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "suppress" and any(_is_broad(arg) for arg in node.args)


def swallowed_exceptions(app_dir: Path) -> list[str]:
    """``except Exception`` / ``except BaseException`` / bare ``except`` handlers
    that neither log (log.*, logger.*, logging.*), convert nor re-raise, and
    ``contextlib.suppress(Exception)``."""
    found = []
    for path in python_files(app_dir):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ExceptHandler) and _is_broad(node.type)
                    and not _logs_or_raises(node.body)):
                found.append(f"{rel(app_dir, path)}:{node.lineno} swallows exceptions")
            elif _is_broad_suppress(node):
                found.append(f"{rel(app_dir, path)}:{node.lineno} suppresses all exceptions")
    return found


def eval_or_exec(app_dir: Path) -> list[str]:
    return [f"{rel(app_dir, path)}:{node.lineno} calls {node.func.id}"
            for path in python_files(app_dir)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in {"eval", "exec"}]


def against_allow_list(found: list[str], allowed: frozenset[str]) -> list[str]:
    """Offenders not on the allow-list, and allow-list entries that no longer
    offend (the list only shrinks: a fixed entry must be removed from it)."""
    return ([f"{entry} (new offender)" for entry in found if entry not in allowed]
            + [f"{entry} (fixed: remove it from the allow-list)"
               for entry in sorted(allowed) if entry not in found])


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write a synthetic source tree (``{"app/core/x.py": "source"}``) under
    ``root``; every folder gets an ``__init__.py``. Returns its ``app`` folder."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        for folder in path.relative_to(root).parents:
            if folder != Path(".") and not (root / folder / "__init__.py").exists():
                (root / folder / "__init__.py").write_text("", encoding="utf-8")
    return root / "app"
