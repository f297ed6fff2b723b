"""Helpers for the Settings › Tools & MCP tests (imported as a plain module)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from app.ui.dialogs.mcp_server_editor import McpServerEditor
from app.ui.dialogs.tools_page import ToolsPage
from tests.core.mcp_servers.support import ECHO_SERVER

START_MS = 30_000        # the echo server imports the MCP SDK (about a second, more when busy)


def fill_echo_server(page: ToolsPage, qtbot, marker: Path) -> McpServerEditor:
    """Open the add-server editor and fill in the real stdio echo server, named "echo",
    writing its pid to ``marker``; returns the editor (not yet saved)."""
    editor = page.add_mcp()
    qtbot.keyClicks(editor.name, "echo")
    editor.command.setText(shlex.join([sys.executable, str(ECHO_SERVER), "--marker",
                                       str(marker)]))
    return editor


def wait_for_test_result(page: ToolsPage, qtbot) -> str:
    """Wait until the server test answered or failed; the status line."""
    qtbot.waitUntil(lambda: "answered" in page.mcp_status.text()
                    or "failed" in page.mcp_status.text(), timeout=START_MS)
    return page.mcp_status.text()
