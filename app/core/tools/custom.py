"""Custom tools: the user's own Python files in the data folder's ``tools/``.

A custom tool file is an ordinary Python module that defines tools with the
``@tool`` decorator from ``app.core.tools`` (see docs/ARCHITECTURE.md, "Custom
tools"). Such code runs inside the app with the user's rights, so:

1. ``discover_custom_tools`` only *hashes* each file (sha256) and records it in
   the store; it never imports or runs anything. A new file is disabled.
2. The user enables a file (UI or ``agentdesk tools enable NAME``), which
   approves its current hash.
3. ``load_custom_tools`` imports only enabled files whose bytes still hash to
   the approved value. The bytes that were hashed are the bytes that run (the
   file is read once; no cached bytecode is used), so a file swapped after the
   check cannot sneak in. A changed file waits until it is enabled again.

A file that fails to import, or defines no tools, or whose tool names clash
with tools already registered is reported in its ``CustomToolLoad`` (none of
its tools are registered); it never stops the app.

Approval policy: the decorator's ``policy`` is respected when the author gave
one; otherwise a custom tool asks before every call (``ask``), unlike the
decorator's usual ``auto`` default, since the user has vetted the file, not
each use of it. An agent's ``tool_policies`` still override either.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from app.core.bounded_read import BoundedReadError, read_bounded
from app.core.tools.base import FunctionTool, Tool, ToolRegistry
from app.domain.tools import CustomToolRecord

log = logging.getLogger(__name__)

FOLDER_NAME = "tools"
MAX_FILE_BYTES = 1_000_000
LoadStatus = Literal["disabled", "changed", "missing", "loaded", "failed"]


@dataclass(frozen=True)
class CustomToolLoad:
    """What happened to one custom tool file at start."""

    record: CustomToolRecord
    status: LoadStatus
    tools: tuple[str, ...] = ()
    error: str | None = None


class CustomToolLoadError(Exception):
    """A custom tool file could not be loaded (the message says why)."""


def custom_tools_folder(home: Path) -> Path:
    """``<data folder>/tools``."""
    return home / FOLDER_NAME


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tool_files(folder: Path) -> list[Path]:
    """The candidate files: ``*.py`` directly in ``folder``, not ``_private.py``."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("*.py")
                  if path.is_file() and not path.name.startswith(("_", ".")))


def discover_custom_tools(folder: Path, store: Any) -> list[CustomToolRecord]:
    """Hash every tool file in ``folder`` and record it in ``store.custom_tools``.

    Nothing is imported or run. The record's name is the file name without
    ``.py``. Returns every recorded custom tool (also those whose file is gone).
    """
    for path in tool_files(folder):
        try:
            data = _read(path)
        except CustomToolLoadError as exc:
            log.warning("custom tool file skipped: %s", exc)
            continue
        store.custom_tools.upsert_discovered(path.stem, str(path), file_sha256(data))
    return store.custom_tools.list()


def load_custom_tools(records: list[CustomToolRecord],
                      registry: ToolRegistry | None = None) -> list[CustomToolLoad]:
    """Import the enabled, unchanged files; register their tools in ``registry``."""
    results = []
    for record in records:
        result = _load_record(record, registry)
        if result.error:
            log.warning("custom tool %s: %s", record.name, result.error)
        results.append(result)
    return results


def register_custom_tools(folder: Path, store: Any,
                          registry: ToolRegistry) -> list[CustomToolLoad]:
    """Discover, then load what the user enabled: the start-up sequence."""
    return load_custom_tools(discover_custom_tools(folder, store), registry)


def _load_record(record: CustomToolRecord,
                 registry: ToolRegistry | None) -> CustomToolLoad:
    if not record.enabled:
        return CustomToolLoad(record, "disabled")
    if not record.runnable:
        return CustomToolLoad(record, "changed", error=_changed(record))
    path = Path(record.path)
    if not path.is_file():
        return CustomToolLoad(record, "missing", error=f"the file {path} is gone")
    try:
        data = _read(path)
        if file_sha256(data) != record.approved_sha256:
            return CustomToolLoad(record, "changed", error=_changed(record))
        tools = load_tool_file(path, data)
        if registry is not None:
            _register_all(registry, tools, record.name)
    except CustomToolLoadError as exc:
        return CustomToolLoad(record, "failed", error=str(exc))
    return CustomToolLoad(record, "loaded", tuple(t.name for t in tools))


def load_tool_file(path: Path, source: bytes) -> list[Tool]:
    """Run ``source`` (the already verified bytes of ``path``) as a module and
    return the tools it defines. Raises CustomToolLoadError."""
    module_name = _module_name(path.stem, file_sha256(source))
    module = sys.modules.get(module_name)  # this exact content was loaded before
    if module is None:
        module = _import(module_name, path, source)
    tools = _tools_in(module)
    if not tools:
        raise CustomToolLoadError(f"{path.name} defines no tools (decorate a function "
                                  "with @tool from app.core.tools)")
    for tool_ in tools:
        if isinstance(tool_, FunctionTool) and not tool_.policy_declared:
            tool_.policy = "ask"
    return tools


class _VerifiedSourceLoader(importlib.machinery.SourceFileLoader):
    """Loads exactly the bytes that were hashed, never cached bytecode."""

    def __init__(self, fullname: str, path: str, source: bytes) -> None:
        super().__init__(fullname, path)
        self._source = source

    def get_data(self, path: str) -> bytes:
        if path == self.path:
            return self._source
        raise OSError(f"custom tools read no other file ({path})")

    def path_stats(self, path: str) -> dict[str, Any]:
        # No stats: the import system then neither reads nor writes a .pyc file.
        raise OSError("custom tools are compiled from their verified source")


def _import(module_name: str, path: Path, source: bytes) -> ModuleType:
    loader = _VerifiedSourceLoader(module_name, str(path), source)
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    if spec is None:  # pragma: no cover - cannot happen with an explicit loader
        raise CustomToolLoadError(f"{path.name} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # as a normal import does (dataclasses etc.)
    try:
        loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # the user's code: report, don't crash
        sys.modules.pop(module_name, None)
        log.info("custom tool file %s failed to import", path, exc_info=True)
        raise CustomToolLoadError(f"{path.name} failed to import: "
                                  f"{type(exc).__name__}: {exc}") from None
    return module


def _tools_in(module: ModuleType) -> list[Tool]:
    found: list[Tool] = []
    for value in vars(module).values():
        if isinstance(value, Tool) and all(value is not seen for seen in found):
            found.append(value)
    return found


def _register_all(registry: ToolRegistry, tools: list[Tool], file_name: str) -> None:
    names = [t.name for t in tools]
    taken = sorted({n for n in names if registry.get(n) is not None}
                   | {n for n in names if names.count(n) > 1})
    if taken:
        raise CustomToolLoadError(f"{file_name}.py defines tool names that are already "
                                  f"in use: {', '.join(taken)}")
    for tool_ in tools:
        registry.register(tool_)


def _read(path: Path) -> bytes:
    try:
        return read_bounded(path, MAX_FILE_BYTES, text=False)
    except BoundedReadError as exc:
        if exc.problem == "too_large":
            raise CustomToolLoadError(f"{path.name} is larger than {MAX_FILE_BYTES:,} bytes"
                                      ) from None
        raise CustomToolLoadError(f"cannot read {path}: {exc.reason or exc}") from None


def _changed(record: CustomToolRecord) -> str:
    return (f"{Path(record.path).name} changed since it was enabled (now sha256 "
            f"{record.sha256[:12]}…); enable it again to run it")


def _module_name(stem: str, sha256: str) -> str:
    return f"agentdesk_custom_{re.sub(r'[^0-9A-Za-z_]', '_', stem)}_{sha256[:16]}"
