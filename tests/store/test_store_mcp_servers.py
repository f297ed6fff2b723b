"""McpServerRepository: approval by fingerprint, enable/disable, update, remove."""

from __future__ import annotations

import pytest

from app.domain.tools import McpServerConfig
from app.store import ChangeNotice, DuplicateNameError, NotFoundError, Store


def stdio(name: str = "files", **fields) -> McpServerConfig:
    values = {"transport": "stdio", "command": "npx",
              "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]} | fields
    return McpServerConfig(name=name, **values)


def test_add_is_never_approved_or_enabled(store: Store) -> None:
    # Even a config that claims approval is stored unapproved and disabled.
    claimed = stdio()
    claimed = claimed.model_copy(update={"enabled": True,
                                         "approved_fingerprint": claimed.fingerprint})
    added = store.mcp_servers.add(claimed)
    assert added.id is not None
    assert (added.enabled, added.approved_fingerprint, added.approved) == (False, None, False)
    assert added.command_line == "npx -y @modelcontextprotocol/server-filesystem /tmp"
    assert added.args == ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]
    assert store.mcp_servers.list() == [added]


def test_approve_records_the_fingerprint_and_enables(store: Store) -> None:
    added = store.mcp_servers.add(stdio(env={"TOKEN": "keyring:files"}))
    approved = store.mcp_servers.approve("FILES", added.fingerprint)
    assert approved.approved and approved.enabled
    assert approved.approved_fingerprint == added.fingerprint
    assert approved.env == {"TOKEN": "keyring:files"}


def test_approve_with_a_stale_fingerprint_is_refused(store: Store) -> None:
    shown = store.mcp_servers.add(stdio())
    store.mcp_servers.update(shown.model_copy(update={"args": ["-y", "evil-package"]}))
    with pytest.raises(ValueError, match="changed since it was shown"):
        store.mcp_servers.approve("files", shown.fingerprint)
    current = store.mcp_servers.get_by_name("files")
    assert (current.approved, current.enabled) == (False, False)


@pytest.mark.parametrize("change", [
    {"command": "uvx"},
    {"args": ["-y", "@modelcontextprotocol/server-filesystem", "/"]},
    {"env": {"LD_PRELOAD": "/tmp/x.so"}},
])
def test_changing_the_command_line_revokes_the_approval(store: Store, change: dict) -> None:
    added = store.mcp_servers.add(stdio())
    store.mcp_servers.approve("files", added.fingerprint)
    updated = store.mcp_servers.update(
        store.mcp_servers.get_by_name("files").model_copy(update=change))
    assert not updated.approved
    assert updated.approved_fingerprint == added.fingerprint  # kept, no longer matching
    store.mcp_servers.approve("files", updated.fingerprint)
    assert store.mcp_servers.get_by_name("files").approved


def test_changed_url_revokes_the_approval(store: Store) -> None:
    added = store.mcp_servers.add(McpServerConfig(name="remote", transport="http",
                                                  url="http://127.0.0.1:8000/mcp"))
    assert added.command_line == "http://127.0.0.1:8000/mcp"
    store.mcp_servers.approve("remote", added.fingerprint)
    moved = store.mcp_servers.update(added.model_copy(
        update={"url": "http://attacker.example/mcp"}))
    assert not moved.approved


def test_enable_and_disable_keep_the_approval(store: Store) -> None:
    added = store.mcp_servers.add(stdio())
    store.mcp_servers.approve("files", added.fingerprint)
    disabled = store.mcp_servers.set_enabled("files", False)
    assert (disabled.enabled, disabled.approved) == (False, True)
    enabled = store.mcp_servers.set_enabled("files", True)
    assert (enabled.enabled, enabled.approved) == (True, True)


def test_duplicate_names_are_refused_case_insensitively(store: Store) -> None:
    store.mcp_servers.add(stdio("files"))
    with pytest.raises(DuplicateNameError):
        store.mcp_servers.add(stdio("Files"))
    other = store.mcp_servers.add(stdio("other"))
    with pytest.raises(DuplicateNameError):
        store.mcp_servers.update(other.model_copy(update={"name": "FILES"}))
    assert [c.name for c in store.mcp_servers.list()] == ["files", "other"]


def test_remove_and_not_found(store: Store, notices: list[ChangeNotice]) -> None:
    store.mcp_servers.add(stdio())
    store.mcp_servers.remove("files")
    assert store.mcp_servers.list() == []
    for call in (lambda: store.mcp_servers.remove("files"),
                 lambda: store.mcp_servers.get_by_name("files"),
                 lambda: store.mcp_servers.approve("files", "0" * 64),
                 lambda: store.mcp_servers.set_enabled("files", True),
                 lambda: store.mcp_servers.update(stdio())):
        with pytest.raises(NotFoundError):
            call()
    assert [(n.entity, n.op) for n in notices if n.entity == "mcp_server"] == [
        ("mcp_server", "insert"), ("mcp_server", "delete")]
