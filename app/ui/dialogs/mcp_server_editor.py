"""Add MCP Server (``mcpServerEditor``): a program started over stdio (its
command line, shell quoting, and environment entries) or a streamable HTTP URL.

What is typed is checked by the same rules as ``agentdesk mcp add``
(app/core/tools/mcp_admin.py) while it is typed: OK stays disabled and the
reason is shown until the entry is usable. The server is added unapproved and
disabled; nothing is started here.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.tools.mcp_admin import (
    McpConfigError,
    new_server_config,
    parse_env,
    split_command_line,
)
from app.domain.tools import McpServerConfig

STDIO, HTTP = "stdio", "http"
MAX_ENV_LINES = 50


class McpServerEditor(QDialog):
    #: The checked configuration to add (McpServerConfig), after OK.
    sig_config = Signal(object)

    def __init__(self, taken: Iterable[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mcpServerEditor")
        self.setWindowTitle("Add MCP Server")
        self.setMinimumWidth(520)
        self._taken = {name.casefold() for name in taken}
        self._config: McpServerConfig | None = None

        self.name = QLineEdit()
        self.name.setObjectName("mcpNameEdit")
        self.name.setPlaceholderText("files")
        self.transport = QComboBox()
        self.transport.setObjectName("mcpTransportCombo")
        self.transport.addItem("Program (stdio)", STDIO)
        self.transport.addItem("HTTP URL (streamable HTTP)", HTTP)
        self.command = QLineEdit()
        self.command.setObjectName("mcpCommandEdit")
        self.command.setPlaceholderText("npx -y @modelcontextprotocol/server-filesystem ~/notes")
        self.url = QLineEdit()
        self.url.setObjectName("mcpUrlEdit")
        self.url.setPlaceholderText("http://127.0.0.1:8000/mcp")
        self.env = QPlainTextEdit()
        self.env.setObjectName("mcpEnvEdit")
        self.env.setPlaceholderText("KEY=VALUE, one a line (values may be keyring:ENTRY "
                                    "or env:VARIABLE)")
        self.env.setFixedHeight(70)
        self.problem = QLabel()
        self.problem.setObjectName("mcpEditorProblem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)

        self.form = QFormLayout()
        self.form.addRow("Name:", self.name)
        self.form.addRow("Kind:", self.transport)
        self.form.addRow("Command line:", self.command)
        self.form.addRow("URL:", self.url)
        self.form.addRow("Environment:", self.env)
        note = QLabel("It is added unapproved: nothing starts until you review and approve "
                      "its exact command line.")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Add")
        self.ok_button.setObjectName("mcpEditorOkButton")
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(note)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        for edit in (self.name, self.command, self.url):
            edit.textChanged.connect(self._check)
        self.env.textChanged.connect(self._check)
        self.transport.currentIndexChanged.connect(self._transport_changed)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._transport_changed()

    def _transport_changed(self, *_args: object) -> None:
        stdio = self.transport.currentData() == STDIO
        self.form.setRowVisible(self.command, stdio)
        self.form.setRowVisible(self.env, stdio)
        self.form.setRowVisible(self.url, not stdio)
        self._check()

    def config(self) -> McpServerConfig:
        """What is entered, checked (McpConfigError says what is wrong)."""
        name = self.name.text().strip()
        if not name:
            raise McpConfigError("enter a name")
        if name.casefold() in self._taken:
            raise McpConfigError(f"an MCP server named {name!r} already exists")
        if self.transport.currentData() == HTTP:
            url = self.url.text().strip()
            if not url:
                raise McpConfigError("enter the server's URL")
            return new_server_config(name, url=url)
        command, args = split_command_line(self.command.text())
        lines = [line.strip() for line in self.env.toPlainText().splitlines() if line.strip()]
        if len(lines) > MAX_ENV_LINES:
            raise McpConfigError(f"at most {MAX_ENV_LINES} environment entries")
        return new_server_config(name, command=command, args=args, env=parse_env(lines))

    def _check(self, *_args: object) -> None:
        try:
            self._config = self.config()
        except McpConfigError as exc:
            self._config = None
            self.problem.setText(str(exc))
        else:
            self.problem.setText("")
        self.ok_button.setEnabled(self._config is not None)

    def accept(self) -> None:
        self._check()
        if self._config is None:
            return
        self.sig_config.emit(self._config)
        super().accept()
