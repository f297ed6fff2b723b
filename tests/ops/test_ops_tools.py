"""app/ops/tools.py on a real Store, without Qt: what an agent can be given,
custom tool files (list, enable only the reviewed hash, disable, a gone file),
MCP servers (add, approve what was shown, enable only approved, remove, test)."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

import pytest

from app.core.tools.base import ToolError
from app.core.tools.mcp_admin import new_server_config
from app.core.tools.mcp_manager import configs_from_store
from app.domain.tools import McpServerConfig
from app.ops import tools
from app.ops.tools import (
    CustomToolChanged,
    CustomToolMissing,
    HashPrefixTooShort,
    McpServerNotApproved,
    ToolEntry,
)
from app.store import DuplicateNameError, NotFoundError, Store

from tests.core.mcp_servers.support import ECHO_SERVER

BUILTINS = [ToolEntry("clock", "the time", "builtin", "auto")]


def tool_file(folder: Path, name: str = "dice", body: str = "x = 1\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(body)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def server(name: str = "files", command: str = "true") -> McpServerConfig:
    return new_server_config(name, command=command, args=["--root", "/tmp/a b"])


# -- custom tools --------------------------------------------------------------------------------
def test_listing_with_the_folder_hashes_files_without_running_them(store: Store,
                                                                   tmp_path: Path) -> None:
    folder = tmp_path / "tools"
    path = tool_file(folder, body="open(__file__ + '.ran', 'w').close()\n")
    assert tools.list_custom_tools(store) == []                 # not looked at yet
    [record] = tools.list_custom_tools(store, folder)
    assert (record.name, record.path, record.sha256) == ("dice", str(path), sha(path))
    assert tools.custom_tool_state(record) == "disabled"
    assert not Path(f"{path}.ran").exists()
    assert tools.find_custom_tool(store, "dice") == record
    assert tools.find_custom_tool(store, "nope", folder) is None


def test_enabling_approves_the_current_hash_and_a_change_needs_it_again(
        store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "tools"
    path = tool_file(folder)
    tools.list_custom_tools(store, folder)
    enabled = tools.set_custom_tool_enabled(store, "dice", True)
    assert enabled.runnable and enabled.approved_sha256 == sha(path)
    assert tools.custom_tool_state(enabled) == "enabled"

    path.write_text("x = 2\n")
    [changed] = tools.list_custom_tools(store, folder)
    assert tools.custom_tool_state(changed) == "changed" and not changed.runnable
    assert tools.set_custom_tool_enabled(store, "dice", False).enabled is False


def test_only_the_reviewed_hash_is_enabled(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "tools"
    path = tool_file(folder)
    tools.list_custom_tools(store, folder)
    reviewed = sha(path)
    path.write_text("import os\n")                              # changed after review
    tools.list_custom_tools(store, folder)
    with pytest.raises(CustomToolChanged, match="review it again"):
        tools.set_custom_tool_enabled(store, "dice", True, expected_sha256=reviewed)
    with pytest.raises(HashPrefixTooShort):
        tools.set_custom_tool_enabled(store, "dice", True, expected_sha256=sha(path)[:7])
    assert not store.custom_tools.find("dice").enabled
    enabled = tools.set_custom_tool_enabled(store, "dice", True,
                                            expected_sha256=sha(path)[:12].upper())
    assert enabled.approved_sha256 == sha(path)


def test_a_gone_file_cannot_be_enabled(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "tools"
    path = tool_file(folder)
    tools.list_custom_tools(store, folder)
    path.unlink()
    [record] = tools.list_custom_tools(store, folder)          # the record stays
    assert tools.custom_tool_state(record) == "missing"
    with pytest.raises(CustomToolMissing, match="is gone"):
        tools.set_custom_tool_enabled(store, "dice", True)
    with pytest.raises(NotFoundError):
        tools.set_custom_tool_enabled(store, "nope", False)


# -- what an agent can be given ------------------------------------------------------------------
def test_available_tools_are_builtins_runnable_custom_and_usable_servers(
        store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "tools"
    tool_file(folder, "dice")
    tool_file(folder, "coin")
    tools.list_custom_tools(store, folder)
    tools.set_custom_tool_enabled(store, "dice", True)
    added = tools.add_server(store, server("files"))
    tools.add_server(store, server("other"))
    assert [e.name for e in tools.available_tools(store, BUILTINS)] == ["clock", "dice"]

    tools.approve_server(store, "files", added.fingerprint)
    entries = tools.available_tools(store, BUILTINS)
    assert [e.name for e in entries] == ["clock", "dice", "mcp:files"]
    assert entries[-1].default_policy == "ask" and entries[-1].source == "mcp"
    tools.set_server_enabled(store, "files", False)
    assert [e.name for e in tools.available_tools(store, BUILTINS)] == ["clock", "dice"]


def test_builtins_are_described_by_their_modules() -> None:
    entries = {e.name: e for e in tools.builtin_tools()}
    assert set(entries) == set(tools.BUILTIN_TOOLS)
    assert entries["calculator"].default_policy == "auto" and entries["calculator"].description
    assert entries["files"].default_policy == "ask"


# -- MCP servers ---------------------------------------------------------------------------------
def test_a_server_is_added_unapproved_and_disabled(store: Store) -> None:
    wanted = server().model_copy(update={"enabled": True,
                                         "approved_fingerprint": server().fingerprint})
    added = tools.add_server(store, wanted)
    assert not added.enabled and not added.approved
    assert tools.list_servers(store) == [added]
    with pytest.raises(DuplicateNameError):
        tools.add_server(store, server("FILES"))


def test_approving_takes_exactly_what_was_shown(store: Store) -> None:
    shown = tools.add_server(store, server())
    store.mcp_servers.update(shown.model_copy(update={"args": ["--root", "/"]}))
    with pytest.raises(ValueError, match="changed since it was shown"):
        tools.approve_server(store, "files", shown.fingerprint)
    current = tools.get_server(store, "files")
    approved = tools.approve_server(store, "files", current.fingerprint)
    assert approved.approved and approved.enabled


def test_only_an_approved_server_can_be_enabled(store: Store) -> None:
    added = tools.add_server(store, server())
    with pytest.raises(McpServerNotApproved, match="not approved"):
        tools.set_server_enabled(store, "files", True)
    assert tools.set_server_enabled(store, "files", False).enabled is False
    tools.approve_server(store, "files", added.fingerprint)
    tools.set_server_enabled(store, "files", False)
    assert tools.set_server_enabled(store, "Files", True).enabled


def test_removing_returns_what_was_removed(store: Store) -> None:
    added = tools.add_server(store, server())
    assert tools.remove_server(store, "FILES") == added
    assert tools.list_servers(store) == []
    with pytest.raises(NotFoundError):
        tools.remove_server(store, "files")
    with pytest.raises(NotFoundError):
        tools.get_server(store, "files")


def test_an_unapproved_server_is_never_started(store: Store, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    tools.add_server(store, new_server_config(
        "files", command=sys.executable, args=["-c", f"open({str(marker)!r}, 'w')"]))
    with pytest.raises(ToolError):
        asyncio.run(tools.server_tools(configs_from_store(store), "files"))
    assert not marker.exists()


def test_an_approved_server_lists_its_tools(store: Store, tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    added = tools.add_server(store, new_server_config(
        "echo", command=sys.executable, args=[str(ECHO_SERVER), "--marker", str(marker)]))
    tools.approve_server(store, "echo", added.fingerprint)
    found = asyncio.run(tools.server_tools(configs_from_store(store), "echo",
                                           log_dir=tmp_path))
    assert found and all(t.name.startswith("echo__") for t in found)
    assert marker.exists()                   # it really ran (and was stopped again)


@pytest.mark.parametrize("url", ["ftp://host/mcp", "localhost:8000/mcp", "http://",
                                 "http://[::1"])
def test_a_server_url_gets_the_same_http_check_as_a_provider(url: str) -> None:
    from app.core.tools.mcp_admin import McpConfigError
    from app.ops.providers import url_problem

    with pytest.raises(McpConfigError, match="expected an http"):
        new_server_config("web", url=url)
    assert url_problem("openai", url) is not None
    assert new_server_config("web", url="https://mcp.example.test/mcp").url
