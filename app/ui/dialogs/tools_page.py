"""Settings > Tools: custom tool files (path, hash, enable) and MCP servers
(full command line and fingerprint, approve, enable/disable)."""

from __future__ import annotations

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

from app.domain.tools import CustomToolRecord, McpServerConfig
from app.services.tool_service import ToolService


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
    return (f"{config.name}  ({config.transport}, {state})\n{config.command_line}\n"
            f"fingerprint {config.fingerprint[:16]}…")


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
        self.mcp_list = QListWidget()
        self.mcp_list.setObjectName("mcpServerList")
        self.mcp_approve = QPushButton("Review and approve…")
        self.mcp_approve.setObjectName("mcpApproveButton")
        self.mcp_toggle = QPushButton("Disable")
        self.mcp_toggle.setObjectName("mcpToggleButton")
        for widget in (self.custom_list, self.mcp_list):
            widget.setStyleSheet("QListWidget::item { padding: 4px 6px; }")
            widget.setWordWrap(True)

        custom = QGroupBox("Custom tools (Python files in the data folder's tools/ folder)")
        custom_layout = QVBoxLayout(custom)
        custom_layout.addWidget(QLabel("A tool runs only once you enable it; a file that "
                                       "changed must be enabled again."))
        custom_layout.addWidget(self.custom_list, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.custom_toggle)
        custom_layout.addLayout(row)
        mcp = QGroupBox("MCP servers")
        mcp_layout = QVBoxLayout(mcp)
        mcp_layout.addWidget(QLabel("Nothing starts before you approve its exact command "
                                    "line."))
        mcp_layout.addWidget(self.mcp_list, 1)
        row = QHBoxLayout()
        row.addStretch(1)
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

    def _toggle_custom(self) -> None:
        tool = self._current_tool()
        if tool is None:
            return
        if tool.runnable:
            self._spawn(self._set_custom(tool.name, False), "custom-tool")
            return
        self._confirm("Enable custom tool",
                      f"Let agents run the Python file of “{tool.name}”?",
                      lambda: self._spawn(self._set_custom(tool.name, True), "custom-tool"),
                      yes_text="Enable",
                      informative=f"{tool.path}\nsha256 {tool.sha256}\n\nIt runs with your "
                                  "permissions. Enable only code you trust.")

    async def _set_custom(self, name: str, enabled: bool) -> None:
        await self._service.set_custom_tool_enabled(name, enabled)
        await self.reload()

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


def _fill(widget: QListWidget, rows: list[tuple[str, str]]) -> None:
    current = widget.currentRow()
    widget.clear()
    for name, label in rows:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, name)
        widget.addItem(item)
    if 0 <= current < widget.count():
        widget.setCurrentRow(current)
