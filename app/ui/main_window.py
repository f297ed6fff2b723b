"""The main window: the agent list on the left, the selected agent in the centre.

Only the shell for now: the chat view, conversation list and the full agent
dialog come with later issues. "New Agent" asks for a name and creates a real
agent through the bridge.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QTextDocument
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from pydantic import ValidationError

from app.domain import AgentSpec
from app.services.store_bridge import StoreBridge
from app.store import StoreError
from app.ui.agent_list_model import AgentListModel, describe_model

log = logging.getLogger(__name__)

WINDOW_TITLE = "AgentDesk"
EMPTY_TEXT = "Create an agent to start"
NO_SELECTION_TEXT = "Select an agent on the left"
STATUS_TIMEOUT_MS = 8000


class MainWindow(QMainWindow):
    #: The window was closed (by the user, the Quit action or the window manager).
    sig_closed = Signal()

    def __init__(self, bridge: StoreBridge, model: AgentListModel, *,
                 default_provider: str = "", default_model: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._model = model
        self._defaults = {"provider": default_provider, "model": default_model}
        self._select_when_listed: int | None = None

        self.setObjectName("mainWindow")
        self.setWindowTitle(WINDOW_TITLE)
        self.setMinimumSize(720, 480)
        self.resize(1000, 660)

        self._build_menu()
        self._build_panes()
        self._wire()
        self._update_placeholder()

    # -- construction --------------------------------------------------------------
    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setObjectName("quitAction")
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

    def _build_panes(self) -> None:
        self.agent_list = QListView()
        self.agent_list.setObjectName("agentList")
        self.agent_list.setModel(self._model)
        self.agent_list.setUniformItemSizes(True)
        # Room to breathe (and to hit with a mouse) around each name.
        self.agent_list.setStyleSheet("QListView::item { padding: 6px 8px; }")
        self.agent_list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.agent_list.setAccessibleName("Agents")

        self.new_agent_button = QPushButton("New Agent")
        self.new_agent_button.setObjectName("newAgentButton")
        self.new_agent_button.setToolTip("Create a new agent")
        self.new_agent_button.setMinimumHeight(32)

        heading = QLabel("Agents")
        heading.setObjectName("agentListHeading")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)

        left = QWidget()
        left.setObjectName("agentPane")
        left.setMinimumWidth(200)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(10, 10, 6, 10)
        left_layout.setSpacing(8)
        left_layout.addWidget(heading)
        left_layout.addWidget(self.agent_list, 1)
        left_layout.addWidget(self.new_agent_button)

        self.placeholder = QLabel()
        self.placeholder.setObjectName("agentPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setTextFormat(Qt.TextFormat.RichText)
        self.placeholder.setMinimumWidth(320)
        self.placeholder.setMargin(24)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(self.placeholder)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 740])
        self.setCentralWidget(splitter)

    def _wire(self) -> None:
        self.new_agent_button.clicked.connect(self._on_new_agent)
        selection = self.agent_list.selectionModel()
        selection.currentChanged.connect(self._update_placeholder)
        self._model.dataChanged.connect(self._update_placeholder)
        self._model.rowsInserted.connect(self._on_rows_changed)
        self._model.rowsRemoved.connect(self._on_rows_changed)
        self._model.modelReset.connect(self._on_rows_changed)
        self._bridge.sig_error.connect(self._show_status)

    # -- selection and placeholder ------------------------------------------------------
    def current_agent(self) -> AgentSpec | None:
        index = self.agent_list.currentIndex()
        if not index.isValid():
            return None
        return index.data(AgentListModel.AgentRole)

    def select_agent(self, agent_id: int) -> bool:
        """Make the agent current in the list; False if it is not listed (yet)."""
        row = self._model.row_of(agent_id)
        if row is None:
            return False
        self.agent_list.selectionModel().setCurrentIndex(
            self._model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.agent_list.scrollTo(self._model.index(row))
        return True

    def _on_rows_changed(self, *_args: object) -> None:
        if self._select_when_listed is not None and self.select_agent(self._select_when_listed):
            self._select_when_listed = None
        self._update_placeholder()

    def _update_placeholder(self, *_args: object) -> None:
        spec = self.current_agent()
        if spec is not None:
            self.placeholder.setText(
                f"<p style='font-size:15pt; font-weight:600'>{html.escape(spec.name)}</p>"
                f"<p style='color:#7a7f8a'>{html.escape(describe_model(spec))}</p>")
        elif self._model.rowCount() == 0:
            self.placeholder.setText(
                f"<p style='font-size:13pt'>{EMPTY_TEXT}</p>"
                "<p>Use <b>New Agent</b> on the left.</p>")
        else:
            self.placeholder.setText(f"<p style='font-size:13pt'>{NO_SELECTION_TEXT}</p>")

    def placeholder_text(self) -> str:
        """The placeholder's text without markup (what a screen reader would say)."""
        doc = QTextDocument()
        doc.setHtml(self.placeholder.text())
        return doc.toPlainText()

    # -- new agent --------------------------------------------------------------------------
    def _on_new_agent(self) -> None:
        name, ok = QInputDialog.getText(self, "New Agent", "Agent name:")
        if not ok or not name.strip():
            return
        self._bridge.spawn(self._create_agent(name.strip()), name="create-agent")

    async def _create_agent(self, name: str) -> None:
        try:
            spec = AgentSpec(name=name, **self._defaults)
        except ValidationError as exc:
            self._warn("New Agent", f"“{name[:60]}” is not a valid agent name: "
                       f"{exc.errors()[0]['msg']}")
            return
        try:
            created = await self._bridge.create_agent(spec)
        except StoreError as exc:
            message = str(exc)
            self._warn("New Agent", message[:1].upper() + message[1:])
            return
        log.info("agent %s created from the window", created.id)
        if created.id is not None and not self.select_agent(created.id):
            # The list learns of the agent through the store's change notice.
            self._select_when_listed = created.id

    # -- messages ---------------------------------------------------------------------------
    def _warn(self, title: str, text: str) -> None:
        # Non-blocking on purpose: a nested event loop inside an asyncio task
        # would let another task step run inside this one.
        box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("warningMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

    # -- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        event.accept()
        self.sig_closed.emit()
