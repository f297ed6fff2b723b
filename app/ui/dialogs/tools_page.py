"""Settings > Tools: custom tool files (path, hash, enable) and MCP servers
(full command line and fingerprint; add, approve, enable/disable, test, remove).

Add opens app/ui/dialogs/mcp_server_editor.py (checked by the CLI's rules). Test
starts an approved, enabled server on the event loop — the dialog stays
responsive — and shows its tools or the error as plain text, bounded. Remove
asks first.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.contrast_style import pad_items
from app.core.tools.base import ToolError
from app.core.tools.mcp_admin import shown_command_line
from app.domain.tools import CustomToolRecord, McpServerConfig
from app.ops.tools import ToolRefused
from app.services.tool_service import ToolService
from app.store import DuplicateNameError, NotFoundError
from app.ui.dialogs.mcp_server_editor import McpServerEditor

log = logging.getLogger(__name__)

MAX_TOOLS_SHOWN = 25         # a test lists at most this many tool names
MAX_SHOWN_CHARS = 600        # of a server's error or a tool's name


def custom_tool_label(record: CustomToolRecord) -> str:
    if record.runnable:
        state = "enabled"
    elif record.enabled:
        state = "changed since enabled — enable again to run"
    else:
        state = "disabled"
    return f"{record.name}  ({state})\n{record.path}\nsha256 {record.sha256}"


def mcp_label(config: McpServerConfig) -> str:
    if config.approved and config.enabled:
        state = "approved, enabled"
    elif config.approved:
        state = "approved, disabled"
    elif config.approved_fingerprint:
        state = "command line changed — approve again"
    else:
        state = "not approved"
    return (f"{config.name}  ({config.transport}, {state})\n{shown_command_line(config)}\n"
            f"fingerprint {config.fingerprint[:16]}…")


def _bounded(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def tools_text(name: str, tools: list) -> str:  # noqa: ANN001 (McpTool list)
    """What a successful test shows: the tool names the server offers."""
    if not tools:
        return f"“{name}” answered and offers no tools."
    names = [_bounded(tool.remote_name, 80) for tool in tools[:MAX_TOOLS_SHOWN]]
    more = f" and {len(tools) - MAX_TOOLS_SHOWN} more" if len(tools) > MAX_TOOLS_SHOWN else ""
    count = len(tools)
    return (f"“{name}” answered with {count} tool{'s' if count != 1 else ''}: "
            f"{', '.join(names)}{more}")


class ToolsPage(QWidget):
    def __init__(self, service: ToolService, spawn, confirm,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._spawn = spawn
        self._confirm = confirm
        self._tools: list[CustomToolRecord] = []
        self._servers: list[McpServerConfig] = []

        self.custom_list = QListWidget()
        self.custom_list.setObjectName("customToolList")
        self.custom_toggle = QPushButton("Enable")
        self.custom_toggle.setObjectName("customToolToggleButton")
        self.custom_status = QLabel()
        self.custom_status.setObjectName("customToolStatus")
        self.custom_status.setTextFormat(Qt.TextFormat.PlainText)   # a file's path
        self.custom_status.setWordWrap(True)
        self.custom_status.hide()
        self.mcp_list = QListWidget()
        self.mcp_list.setObjectName("mcpServerList")
        self.mcp_approve = QPushButton("Review and approve…")
        self.mcp_approve.setObjectName("mcpApproveButton")
        self.mcp_toggle = QPushButton("Disable")
        self.mcp_toggle.setObjectName("mcpToggleButton")
        self.mcp_add = QPushButton("Add…")
        self.mcp_add.setObjectName("mcpAddButton")
        self.mcp_test = QPushButton("Test")
        self.mcp_test.setObjectName("mcpTestButton")
        self.mcp_test.setToolTip("Start the server, list its tools, stop it")
        self.mcp_remove = QPushButton("Remove…")
        self.mcp_remove.setObjectName("mcpRemoveButton")
        self.mcp_status = QLabel()
        self.mcp_status.setObjectName("mcpStatus")
        self.mcp_status.setTextFormat(Qt.TextFormat.PlainText)   # a server's own words
        self.mcp_status.setWordWrap(True)
        self.mcp_status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        #: The open Add MCP Server dialog (None when closed).
        self.editor: McpServerEditor | None = None
        self._testing: str | None = None
        for widget in (self.custom_list, self.mcp_list):
            pad_items(widget, 6, 4)
            widget.setWordWrap(True)

        custom = QGroupBox("Custom tools (Python files in the data folder's tools/ folder)")
        custom_layout = QVBoxLayout(custom)
        custom_layout.addWidget(QLabel("A tool runs only once you enable it; a file that "
                                       "changed must be enabled again."))
        custom_layout.addWidget(self.custom_list, 1)
        custom_layout.addWidget(self.custom_status)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.custom_toggle)
        custom_layout.addLayout(row)
        mcp = QGroupBox("MCP servers")
        mcp_layout = QVBoxLayout(mcp)
        mcp_layout.addWidget(QLabel("Nothing starts before you approve its exact command "
                                    "line."))
        mcp_layout.addWidget(self.mcp_list, 1)
        mcp_layout.addWidget(self.mcp_status)
        row = QHBoxLayout()
        row.addWidget(self.mcp_add)
        row.addWidget(self.mcp_remove)
        row.addStretch(1)
        row.addWidget(self.mcp_test)
        row.addWidget(self.mcp_approve)
        row.addWidget(self.mcp_toggle)
        mcp_layout.addLayout(row)
        layout = QVBoxLayout(self)
        layout.addWidget(custom, 1)
        layout.addWidget(mcp, 1)

        self.custom_list.currentRowChanged.connect(self._update_buttons)
        self.mcp_list.currentRowChanged.connect(self._update_buttons)
        self.custom_toggle.clicked.connect(self._toggle_custom)
        self.mcp_approve.clicked.connect(self._review_mcp)
        self.mcp_toggle.clicked.connect(self._toggle_mcp)
        self.mcp_add.clicked.connect(self.add_mcp)
        self.mcp_test.clicked.connect(self._test_mcp)
        self.mcp_remove.clicked.connect(self._remove_mcp)
        self._update_buttons()

    async def reload(self) -> None:
        self._tools = await self._service.custom_tools()
        self._servers = await self._service.mcp_servers()
        _fill(self.custom_list, [(r.name, custom_tool_label(r)) for r in self._tools])
        _fill(self.mcp_list, [(s.name, mcp_label(s)) for s in self._servers])
        self._update_buttons()

    def _current_tool(self) -> CustomToolRecord | None:
        row = self.custom_list.currentRow()
        return self._tools[row] if 0 <= row < len(self._tools) else None

    def _current_server(self) -> McpServerConfig | None:
        row = self.mcp_list.currentRow()
        return self._servers[row] if 0 <= row < len(self._servers) else None

    def _update_buttons(self, *_args: object) -> None:
        tool = self._current_tool()
        self.custom_toggle.setEnabled(tool is not None)
        self.custom_toggle.setText("Disable" if tool and tool.runnable else "Enable")
        server = self._current_server()
        self.mcp_approve.setEnabled(server is not None and not server.approved)
        self.mcp_toggle.setEnabled(server is not None and server.approved)
        self.mcp_toggle.setText("Disable" if server and server.enabled else "Enable")
        self.mcp_remove.setEnabled(server is not None)
        runnable = server is not None and server.approved and server.enabled
        self.mcp_test.setEnabled(runnable and self._testing is None)
        self.mcp_test.setToolTip("Start the server, list its tools, stop it" if runnable
                                 else "Approve and enable the server to test it")

    def select_server(self, name: str) -> None:
        for row, server in enumerate(self._servers):
            if server.name.casefold() == name.casefold():
                self.mcp_list.setCurrentRow(row)
                return

    def _toggle_custom(self) -> None:
        tool = self._current_tool()
        if tool is None:
            return
        if tool.runnable:
            self._spawn(self._set_custom(tool.name, False), "custom-tool")
            return
        reviewed = tool.sha256          # enabled only while the file still has it
        self._confirm("Enable custom tool",
                      f"Let agents run the Python file of “{tool.name}”?",
                      lambda: self._spawn(self._set_custom(tool.name, True, reviewed),
                                          "custom-tool"),
                      yes_text="Enable",
                      informative=f"{tool.path}\nsha256 {tool.sha256}\n\nIt runs with your "
                                  "permissions. Enable only code you trust.")

    async def _set_custom(self, name: str, enabled: bool,
                          reviewed_sha256: str | None = None) -> None:
        try:
            await self._service.set_custom_tool_enabled(name, enabled,
                                                        expected_sha256=reviewed_sha256)
        except (ToolRefused, NotFoundError) as exc:
            log.info("custom tool %r not changed: %s", name, exc)
            what = "enabled" if enabled else "disabled"
            self._show_custom_status(f"“{name}” was not {what}: {_bounded(str(exc))}")
        else:
            self._show_custom_status("")
        await self.reload()

    def _show_custom_status(self, text: str) -> None:
        self.custom_status.setText(text)
        self.custom_status.setVisible(bool(text))

    def _review_mcp(self) -> None:
        server = self._current_server()
        if server is None:
            return
        fingerprint = server.fingerprint
        env = ", ".join(sorted(server.env)) or "none"
        self._confirm("Approve MCP server",
                      f"Start “{server.name}” with exactly this command line?",
                      lambda: self._spawn(self._approve(server.name, fingerprint), "mcp"),
                      yes_text="Approve and enable",
                      informative=f"{server.command_line}\n\nEnvironment variables: {env}\n"
                                  f"Fingerprint: {fingerprint}\n\nThe server runs with your "
                                  "permissions. If the command line changes, it must be "
                                  "approved again.")

    async def _approve(self, name: str, fingerprint: str) -> None:
        await self._service.approve_mcp_server(name, fingerprint)
        await self.reload()

    def _toggle_mcp(self) -> None:
        server = self._current_server()
        if server is not None:
            self._spawn(self._set_mcp(server.name, not server.enabled), "mcp")

    async def _set_mcp(self, name: str, enabled: bool) -> None:
        await self._service.set_mcp_server_enabled(name, enabled)
        await self.reload()

    # -- add, test, remove ------------------------------------------------------------
    def add_mcp(self) -> McpServerEditor:
        if self.editor is not None:
            self.editor.raise_()
            return self.editor
        editor = McpServerEditor([s.name for s in self._servers], parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.sig_config.connect(lambda config: self._spawn(self._add(config), "mcp-add"))
        editor.finished.connect(self._editor_closed)
        self.editor = editor
        editor.open()
        return editor

    def _editor_closed(self, _result: int) -> None:
        self.editor = None

    async def _add(self, config: McpServerConfig) -> None:
        try:
            added = await self._service.add_mcp_server(config)
        except DuplicateNameError:
            self.mcp_status.setText(f"An MCP server named “{config.name}” already exists.")
            return
        await self.reload()
        self.select_server(added.name)
        self.mcp_status.setText(f"Added “{added.name}”. Review and approve its command "
                                "line before it can run.")

    def _test_mcp(self) -> None:
        server = self._current_server()
        if server is None or self._testing is not None:
            return
        self._testing = server.name
        self.mcp_status.setText(f"Testing “{server.name}”… (starting it)")
        self._update_buttons()
        self._spawn(self._test(server.name), "mcp-test")

    async def _test(self, name: str) -> None:
        try:
            tools = await self._service.test_mcp_server(name)
        except (ToolError, TimeoutError, OSError) as exc:
            log.info("testing MCP server %r failed: %s", name, exc)
            self.mcp_status.setText(f"“{name}” failed: {_bounded(str(exc) or type(exc).__name__)}")
        else:
            self.mcp_status.setText(tools_text(name, tools))
        finally:
            self._testing = None
            self._update_buttons()

    def _remove_mcp(self) -> None:
        server = self._current_server()
        if server is None:
            return
        name = server.name
        self._confirm("Remove MCP server", f"Remove the MCP server “{name}”?",
                      lambda: self._spawn(self._remove(name), "mcp-remove"),
                      yes_text="Remove",
                      informative="Agents that use its tools no longer get them. Add it "
                                  "again to use it; it must be approved again.")

    async def _remove(self, name: str) -> None:
        try:
            await self._service.remove_mcp_server(name)
        except NotFoundError:
            log.info("MCP server %r was already removed", name)
        await self.reload()
        self.mcp_status.setText(f"Removed “{name}”.")


def _fill(widget: QListWidget, rows: list[tuple[str, str]]) -> None:
    current = widget.currentRow()
    widget.clear()
    for name, label in rows:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, name)
        widget.addItem(item)
    if 0 <= current < widget.count():
        widget.setCurrentRow(current)
