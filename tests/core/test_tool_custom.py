"""Custom tools: discovery never runs code; only enabled, unchanged files load."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.tools import ToolContext, ToolRegistry, execute_tool
from app.core.tools.calculator import calculator_tool
from app.core.tools.custom import (
    discover_custom_tools,
    file_sha256,
    load_custom_tools,
    register_custom_tools,
)
from app.store import Store

GREETER = '''
from pathlib import Path
from app.core.tools import tool

Path({marker!r}).write_text("imported")


@tool
def greet(name: str, excited: bool = False) -> str:
    """Greet someone by name.

    Args:
        name: Who to greet.
        excited: Add an exclamation mark.
    """
    return "Hello, " + name + ("!" if excited else ".")


@tool(policy="auto", risk="medium")
def shout(text: str) -> str:
    """Say it loudly."""
    return text.upper()
'''


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "agentdesk.db")
    yield opened
    opened.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "home" / "tools"
    path.mkdir(parents=True)
    return path


def write_greeter(folder: Path, tmp_path: Path, extra: str = "") -> Path:
    path = folder / "greeter.py"
    path.write_text(GREETER.format(marker=str(tmp_path / "imported.txt")) + extra)
    return path


def call(registry: ToolRegistry, name: str, arguments: dict, tmp_path: Path,
         approve: bool = True):
    async def approver(request):
        return approve

    tool_ = registry.get(name)
    assert tool_ is not None, f"{name} is not registered"
    return asyncio.run(execute_tool(tool_, arguments,
                                    ToolContext(workspace=tmp_path, approver=approver)))


def test_discovery_hashes_without_running_the_file(folder, tmp_path, store):
    path = write_greeter(folder, tmp_path)
    (folder / "_helpers.py").write_text("raise SystemExit('private module')\n")
    (folder / "notes.txt").write_text("not python")
    records = discover_custom_tools(folder, store)
    assert [(r.name, r.path, r.sha256) for r in records] == [
        ("greeter", str(path), file_sha256(path.read_bytes()))]
    assert not records[0].enabled
    assert not (tmp_path / "imported.txt").exists()  # nothing was executed
    # Loading what was discovered still runs nothing: the tool is disabled.
    registry = ToolRegistry()
    [result] = load_custom_tools(records, registry)
    assert result.status == "disabled" and registry.names() == []
    assert not (tmp_path / "imported.txt").exists()


def test_enabled_file_is_loaded_and_callable(folder, tmp_path, store):
    write_greeter(folder, tmp_path)
    discover_custom_tools(folder, store)
    store.custom_tools.set_enabled("greeter", True)
    registry = ToolRegistry()
    [result] = register_custom_tools(folder, store, registry)
    assert result.status == "loaded" and result.error is None
    assert sorted(result.tools) == ["greet", "shout"] == registry.names()
    assert (tmp_path / "imported.txt").read_text() == "imported"

    greet = registry.get("greet")
    assert greet.parameters["properties"]["name"]["description"] == "Who to greet."
    assert greet.policy == "ask"  # no policy in the decorator: ask before each call
    assert registry.get("shout").policy == "auto"  # the author's choice is kept
    ok = call(registry, "greet", {"name": "Ada", "excited": True}, tmp_path)
    assert (ok.content, ok.is_error) == ("Hello, Ada!", False)
    declined = call(registry, "greet", {"name": "Ada"}, tmp_path, approve=False)
    assert declined.status == "denied"
    assert call(registry, "shout", {"text": "hey"}, tmp_path).content == "HEY"


def test_a_modified_file_waits_for_re_enabling(folder, tmp_path, store):
    path = write_greeter(folder, tmp_path)
    discover_custom_tools(folder, store)
    store.custom_tools.set_enabled("greeter", True)
    path.write_text(path.read_text().replace("Hello, ", "Pwned, "))

    registry = ToolRegistry()
    [result] = register_custom_tools(folder, store, registry)
    assert result.status == "changed" and "enable it again" in result.error
    assert registry.names() == []
    assert not (tmp_path / "imported.txt").exists()

    store.custom_tools.set_enabled("greeter", True)  # the user reviewed the new file
    [result] = register_custom_tools(folder, store, registry)
    assert result.status == "loaded"
    assert call(registry, "greet", {"name": "Ada"}, tmp_path).content == "Pwned, Ada."


def test_file_swapped_after_discovery_is_not_run(folder, tmp_path, store):
    path = write_greeter(folder, tmp_path)
    records = discover_custom_tools(folder, store)
    store.custom_tools.set_enabled("greeter", True)
    approved = store.custom_tools.list()
    assert approved[0].runnable and records[0].sha256 == approved[0].sha256
    path.write_text(path.read_text() + "\n# changed between discovery and loading\n")
    [result] = load_custom_tools(approved, ToolRegistry())
    assert result.status == "changed"
    assert not (tmp_path / "imported.txt").exists()


def test_no_bytecode_cache_is_written_or_trusted(folder, tmp_path, store):
    write_greeter(folder, tmp_path)
    discover_custom_tools(folder, store)
    store.custom_tools.set_enabled("greeter", True)
    register_custom_tools(folder, store, ToolRegistry())
    assert not (folder / "__pycache__").exists()


@pytest.mark.parametrize(("source", "message"), [
    ("import no_such_module_here\n", "failed to import: ModuleNotFoundError"),
    ("def broken(:\n", "failed to import: SyntaxError"),
    ("raise SystemExit(3)\n", "failed to import: SystemExit"),
    ("VALUE = 1\n\ndef helper():\n    return 2\n", "defines no tools"),
    ("from app.core.tools import tool\n\n@tool\ndef calculator(x: int) -> int:\n"
     "    '''Clash.'''\n    return x\n", "already in use: calculator"),
])
def test_broken_files_are_reported_not_fatal(folder, tmp_path, store, source, message):
    (folder / "broken.py").write_text(source)
    write_greeter(folder, tmp_path)
    discover_custom_tools(folder, store)
    store.custom_tools.set_enabled("broken", True)
    store.custom_tools.set_enabled("greeter", True)
    registry = ToolRegistry()
    registry.register(calculator_tool())  # a built-in the file's tool clashes with
    results = {r.record.name: r for r in register_custom_tools(folder, store, registry)}
    assert results["broken"].status == "failed"
    assert message in results["broken"].error
    assert results["greeter"].status == "loaded"  # one bad file does not stop the rest
    assert registry.names() == ["calculator", "greet", "shout"]


def test_removed_file_is_reported_missing(folder, tmp_path, store):
    path = write_greeter(folder, tmp_path)
    discover_custom_tools(folder, store)
    store.custom_tools.set_enabled("greeter", True)
    path.unlink()
    [result] = register_custom_tools(folder, store, ToolRegistry())
    assert result.status == "missing" and result.record.name == "greeter"


def test_missing_folder_discovers_nothing(tmp_path, store):
    assert discover_custom_tools(tmp_path / "no-such-folder", store) == []

