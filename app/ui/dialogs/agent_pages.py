"""Two tabs of the agent editor (AgentDialog): Tools (the tools editor and the
workspace folder) and Routing (local only and the fallbacks). Widgets only;
the dialog loads, validates and saves them."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.dialogs.fallback_editor import FallbackEditor
from app.ui.dialogs.tools_editor import ToolsEditor
from app.ui.dialogs.widgets import FieldMessage

API_TOOLS_NOTE = ("Programs that use this agent through the local API cannot answer an "
                  "approval question, so there a tool that asks you first is refused — "
                  "unless you tick “Allow” in its Local API column: then it runs "
                  "without asking. Off by default; a group (files) covers all its tools.")
LOCAL_ONLY_NOTE = ("Local-only: replies never leave this computer. Cloud providers are "
                   "disabled in the provider and fallback pickers.")


class AgentToolsPage(QWidget):
    """The tools the agent may use (and whether each asks first), and its workspace."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tools = ToolsEditor()
        self.workspace = QLineEdit()
        self.workspace.setObjectName("workspaceEdit")
        self.workspace.setPlaceholderText("Default: a folder of its own in the data folder")
        self.workspace_button = QPushButton("Choose…")
        self.workspace_button.setObjectName("workspaceButton")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tools the agent may use, and whether each one "
                                "asks you before it runs:"))
        layout.addWidget(self.tools, 1)
        self.api_note = QLabel(API_TOOLS_NOTE)
        self.api_note.setObjectName("apiToolsNote")
        self.api_note.setWordWrap(True)
        layout.addWidget(self.api_note)
        folder = QHBoxLayout()
        folder.addWidget(QLabel("Workspace folder (files, python):"))
        folder.addWidget(self.workspace, 1)
        folder.addWidget(self.workspace_button)
        layout.addLayout(folder)
        # Off by default; turning it on asks first (AgentDialog._unisolated_clicked).
        self.python_unisolated = QCheckBox(
            "Run Python without isolation where real isolation is unavailable")
        self.python_unisolated.setToolTip(
            "Real isolation is unavailable on macOS and Windows, without user "
            "namespaces, and when running as root.")
        self.python_unisolated.setObjectName("pythonUnisolatedCheck")
        layout.addWidget(self.python_unisolated)


class AgentRoutingPage(QWidget):
    """Local only (with its note) and the fallbacks, tried in order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.local_only = QCheckBox("Local only — never send this agent's messages "
                                    "to a cloud provider")
        self.local_only.setObjectName("localOnlyCheck")
        self.local_only_note = QLabel(LOCAL_ONLY_NOTE)
        self.local_only_note.setObjectName("localOnlyNote")
        self.local_only_note.setWordWrap(True)
        self.fallbacks = FallbackEditor()
        self.fallback_message = FieldMessage("fallbackMessage")
        layout = QVBoxLayout(self)
        layout.addWidget(self.local_only)
        layout.addWidget(self.local_only_note)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Fallbacks, tried in this order when the provider fails:"))
        layout.addWidget(self.fallbacks, 1)
        layout.addWidget(self.fallback_message)
