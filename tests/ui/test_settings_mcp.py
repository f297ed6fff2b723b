"""Settings › Tools & MCP: add a server (checked as the CLI checks), approve it,
test it against the real stdio echo server (tests/core/mcp_servers), remove it."""

from __future__ import annotations

import sys

import pytest
from dialog_helpers import WAIT_MS, click_box_button, host, message_box
from mcp_page_helpers import START_MS, fill_echo_server, wait_for_test_result

from app.ui.dialogs.settings_dialog import SettingsDialog
from tests.core.mcp_servers.support import ECHO_SERVER, marker_pid, process_alive

__all__ = ["host"]

@pytest.fixture
def dialog(bridge, settings, host, qtbot) -> SettingsDialog:
    created = SettingsDialog(bridge, settings, parent=host)
    created.open()
    qtbot.waitUntil(lambda: not created.busy, timeout=WAIT_MS)
    created.show_page("Tools & MCP")
    return created


def _servers(aio, async_store):
    return aio.run(async_store.run(lambda s: s.mcp_servers.list()))


def test_the_editor_refuses_what_the_cli_refuses(aio, async_store, dialog, qtbot) -> None:
    page = dialog.tools
    editor = page.add_mcp()
    assert page.add_mcp() is editor                       # one at a time
    assert not editor.ok_button.isEnabled() and "name" in editor.problem.text()
    qtbot.keyClicks(editor.name, "a__b")
    qtbot.keyClicks(editor.command, "x")
    assert "invalid server name" in editor.problem.text()
    assert not editor.ok_button.isEnabled()
    editor.name.setText("files")
    assert editor.ok_button.isEnabled() and editor.problem.text() == ""
    editor.command.setText('prog "unclosed')
    assert "cannot be read" in editor.problem.text()
    editor.command.setText("prog --flag")
    editor.env.setPlainText("TOKEN=env:MY_TOKEN\nNOPE")
    assert "KEY=VALUE" in editor.problem.text()
    editor.transport.setCurrentIndex(editor.transport.findData("http"))
    assert not editor.command.isVisible() and editor.url.isVisible()
    editor.url.setText("file:///etc/passwd")
    assert "http://" in editor.problem.text() and not editor.ok_button.isEnabled()
    editor.url.setText("http://127.0.0.1:8000/mcp")
    assert editor.ok_button.isEnabled()
    editor.ok_button.click()

    qtbot.waitUntil(lambda: page.mcp_list.count() == 1, timeout=WAIT_MS)
    [server] = _servers(aio, async_store)
    assert (server.name, server.transport, server.url) == ("files", "http",
                                                           "http://127.0.0.1:8000/mcp")
    assert not server.approved and not server.enabled
    assert page.editor is None
    assert page.mcp_list.currentRow() == 0 and "approve" in page.mcp_status.text()
    assert not page.mcp_test.isEnabled()                  # nothing runs unapproved

    again = page.add_mcp()
    again.name.setText("FILES")
    again.url.setText("http://127.0.0.1:8000/mcp")
    assert "already exists" in again.problem.text() and not again.ok_button.isEnabled()
    again.reject()


def test_add_approve_test_and_remove_the_echo_server(aio, async_store, dialog, qtbot,
                                                    tmp_path) -> None:
    page = dialog.tools
    marker = tmp_path / "echo.pid"
    editor = fill_echo_server(page, qtbot, marker)
    editor.env.setPlainText("GREETING=hello")
    editor.ok_button.click()
    qtbot.waitUntil(lambda: page.mcp_list.count() == 1, timeout=WAIT_MS)
    assert "not approved" in page.mcp_list.item(0).text()
    assert not marker.exists()                            # adding starts nothing

    page.mcp_approve.click()
    box = message_box(dialog, "confirmMessage", qtbot)
    assert str(ECHO_SERVER) in box.informativeText() and "GREETING" in box.informativeText()
    click_box_button(box, "Approve and enable")
    qtbot.waitUntil(lambda: page.mcp_test.isEnabled(), timeout=WAIT_MS)

    page.mcp_test.click()
    assert page.mcp_status.text().startswith("Testing “echo”")
    assert not page.mcp_test.isEnabled()                  # one test at a time
    status = wait_for_test_result(page, qtbot)
    assert "answered with 7 tools" in status, status
    for name in ("add", "echo", "fail", "dotted.name"):
        assert name in status
    assert page.mcp_test.isEnabled()
    qtbot.waitUntil(lambda: not process_alive(marker_pid(marker)), timeout=START_MS)

    page.mcp_remove.click()
    box = message_box(dialog, "confirmMessage", qtbot)
    assert "echo" in box.text()
    click_box_button(box, "Cancel")
    assert len(_servers(aio, async_store)) == 1
    page.mcp_remove.click()
    click_box_button(message_box(dialog, "confirmMessage", qtbot), "Remove")
    qtbot.waitUntil(lambda: page.mcp_list.count() == 0, timeout=WAIT_MS)
    assert _servers(aio, async_store) == []
    assert page.mcp_status.text() == "Removed “echo”."
    assert not page.mcp_remove.isEnabled() and not page.mcp_test.isEnabled()


def test_a_server_that_fails_shows_its_error_as_plain_text(aio, async_store, dialog,
                                                           qtbot) -> None:
    from app.domain.tools import McpServerConfig

    config = McpServerConfig(name="broken", transport="stdio", command=sys.executable,
                             args=["-c", "print('<b>not mcp</b>'); raise SystemExit(3)"])
    aio.run(async_store.run(lambda s: s.mcp_servers.approve(
        s.mcp_servers.add(config).name, config.fingerprint)))
    page = dialog.tools
    aio.run(page.reload())
    page.mcp_list.setCurrentRow(0)
    page.mcp_test.click()
    qtbot.waitUntil(lambda: "failed" in page.mcp_status.text(), timeout=START_MS)
    assert page.mcp_status.text().startswith("“broken” failed: ")
    assert len(page.mcp_status.text()) < 700
    assert page.mcp_test.isEnabled()
