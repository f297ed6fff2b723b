"""Settings > Data: a backup is a valid SQLite copy with the same rows; a
restore is verified, scheduled, and applied before the store opens; custom
tools and MCP servers are approved from the Tools page."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from dialog_helpers import WAIT_MS, click_box_button, host, message_box

from app.domain import AgentSpec, Message
from app.domain.tools import McpServerConfig
from app.ops.data import (
    BackupError,
    apply_pending_restore,
    inspect_backup,
    pending_restore,
)
from app.store import Store
from app.ui.dialogs.settings_dialog import SettingsDialog

__all__ = ["host"]


def rows(path: Path, table: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        connection.close()


def seed(aio, store) -> None:
    def write(s):
        agent = s.agents.create(AgentSpec(name="Keeper", model="m"))
        conversation = s.conversations.create(agent.id, "Backups")
        for text in ("first", "second"):
            s.messages.add(Message(conversation_id=conversation.id, role="user",
                                   content=text))

    aio.run(store.run(write))


@pytest.fixture
def dialog(bridge, settings, host, qtbot) -> SettingsDialog:
    created = SettingsDialog(bridge, settings, parent=host)
    created.open()
    qtbot.waitUntil(lambda: not created.busy, timeout=WAIT_MS)
    created.show_page("Data")
    return created


def test_backup_is_a_consistent_copy_with_the_same_rows(aio, async_store, dialog,
                                                        db_path, tmp_path, qtbot) -> None:
    seed(aio, async_store)
    target = tmp_path / "out" / "backup.db"
    page = dialog.data
    assert page.folder.text() == str(tmp_path)
    page.start_backup(target)
    qtbot.waitUntil(lambda: not page.spinner.spinning, timeout=WAIT_MS)
    assert "Backed up" in page.status.toolTip()
    assert "1 agent, 1 conversation, 2 messages" in page.status.toolTip()

    info = inspect_backup(target)
    assert (info.agents, info.messages) == (1, 2)
    # The live database, read through its own connection (WAL included).
    live = aio.run(async_store.run(lambda s: s.db.execute_sql(
        "SELECT * FROM messages ORDER BY id").fetchall()))
    assert rows(target, "messages") == [tuple(r) for r in live]
    assert rows(target, "agents")[0][1] == "Keeper"


def test_backup_refuses_the_live_database(dialog, db_path, qtbot) -> None:
    dialog.data.start_backup(db_path)
    assert "live database" in dialog.data.status.toolTip()
    assert not dialog.data.spinner.spinning


def test_restore_is_verified_scheduled_and_applied_at_start(
        aio, async_store, dialog, tmp_path, qtbot) -> None:
    backup = tmp_path / "old.db"
    with Store(backup) as other:
        other.agents.create(AgentSpec(name="From the backup"))
    not_ours = tmp_path / "plain.db"
    sqlite3.connect(not_ours).execute("CREATE TABLE t(x)").connection.close()

    page = dialog.data
    page.choose_restore(not_ours)
    assert "not an AgentDesk one" in page.status.toolTip()
    assert pending_restore(tmp_path) is None

    page.choose_restore(backup)
    click_box_button(message_box(dialog, "confirmMessage", qtbot), "Restore at next start")
    assert pending_restore(tmp_path) == backup
    assert page.cancel_restore_button.isVisibleTo(dialog)
    assert "next starts" in page.status.toolTip()

    # Next start: the app is closed first, then the restore runs before the store opens.
    aio.run(async_store.close())
    kept = apply_pending_restore(tmp_path)
    assert kept is not None and kept.exists()
    assert pending_restore(tmp_path) is None
    with Store.in_folder(tmp_path) as restored:
        assert [a.name for a in restored.agents.list()] == ["From the backup"]
    with Store(kept) as previous:
        assert previous.agents.list() == []
    assert apply_pending_restore(tmp_path) is None  # only once


def test_a_damaged_staged_restore_is_dropped(tmp_path) -> None:
    (tmp_path / "restore-pending.db").write_bytes(b"not a database at all" * 100)
    (tmp_path / "restore-pending.json").write_text('{"source": "x"}', encoding="utf-8")
    with pytest.raises(BackupError):
        apply_pending_restore(tmp_path)
    assert pending_restore(tmp_path) is None


def test_mcp_server_is_approved_after_showing_its_command_line(
        aio, async_store, dialog, qtbot) -> None:
    aio.run(async_store.run(lambda s: s.mcp_servers.add(McpServerConfig(
        name="files", transport="stdio", command="npx",
        args=["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]))))
    dialog.show_page("Tools & MCP")
    page = dialog.tools
    aio.run(page.reload())
    assert "not approved" in page.mcp_list.item(0).text()
    page.mcp_list.setCurrentRow(0)
    assert page.mcp_approve.isEnabled() and not page.mcp_toggle.isEnabled()
    page.mcp_approve.click()
    box = message_box(dialog, "confirmMessage", qtbot)
    shown = box.informativeText()
    assert "npx -y @modelcontextprotocol/server-filesystem /tmp" in shown
    server = aio.run(async_store.run(lambda s: s.mcp_servers.get_by_name("files")))
    assert server.fingerprint in shown
    click_box_button(box, "Approve and enable")
    qtbot.waitUntil(lambda: "approved, enabled" in page.mcp_list.item(0).text(),
                    timeout=WAIT_MS)
    server = aio.run(async_store.run(lambda s: s.mcp_servers.get_by_name("files")))
    assert server.approved and server.enabled

    page.mcp_list.setCurrentRow(0)
    page.mcp_toggle.click()
    qtbot.waitUntil(lambda: "approved, disabled" in page.mcp_list.item(0).text(),
                    timeout=WAIT_MS)


def test_custom_tool_is_enabled_with_its_hash(aio, async_store, dialog, qtbot,
                                              tmp_path) -> None:
    tool_file = tmp_path / "weather.py"
    tool_file.write_text("")                # a file that is gone cannot be enabled
    aio.run(async_store.run(lambda s: s.custom_tools.upsert_discovered(
        "weather", str(tool_file), "ab" * 32)))
    page = dialog.tools
    aio.run(page.reload())
    assert "ab" * 32 in page.custom_list.item(0).text()
    page.custom_list.setCurrentRow(0)
    page.custom_toggle.click()
    click_box_button(message_box(dialog, "confirmMessage", qtbot), "Enable")
    qtbot.waitUntil(lambda: "(enabled)" in page.custom_list.item(0).text(), timeout=WAIT_MS)
    record = aio.run(async_store.run(lambda s: s.custom_tools.find("weather")))
    assert record.runnable and record.approved_sha256 == "ab" * 32


def test_a_custom_tool_changed_or_gone_since_shown_is_not_enabled(
        aio, async_store, dialog, qtbot, tmp_path) -> None:
    tool_file = tmp_path / "weather.py"
    tool_file.write_text("")
    aio.run(async_store.run(lambda s: s.custom_tools.upsert_discovered(
        "weather", str(tool_file), "ab" * 32)))
    page = dialog.tools
    aio.run(page.reload())
    page.custom_list.setCurrentRow(0)
    page.custom_toggle.click()
    box = message_box(dialog, "confirmMessage", qtbot)
    assert "ab" * 32 in box.informativeText()
    # The file changes while the question is open: the hash shown is not approved.
    aio.run(async_store.run(lambda s: s.custom_tools.upsert_discovered(
        "weather", str(tool_file), "cd" * 32)))
    click_box_button(box, "Enable")
    qtbot.waitUntil(lambda: "changed" in page.custom_status.text(), timeout=WAIT_MS)
    assert not page.custom_status.isHidden()
    record = aio.run(async_store.run(lambda s: s.custom_tools.find("weather")))
    assert not record.enabled and record.approved_sha256 is None
    assert "cd" * 32 in page.custom_list.item(0).text()

    tool_file.unlink()                       # and now the file is gone
    page.custom_list.setCurrentRow(0)
    page.custom_toggle.click()
    click_box_button(message_box(dialog, "confirmMessage", qtbot), "Enable")
    qtbot.waitUntil(lambda: "is gone" in page.custom_status.text(), timeout=WAIT_MS)
    assert not aio.run(async_store.run(lambda s: s.custom_tools.find("weather"))).enabled
