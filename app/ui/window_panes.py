"""The two halves of the main window, built once: widgets and layout, no wiring.

- LeftPane: the search box (and its results), the agents with New Agent, the
  selected agent's chats with New Chat and a "Show archived" toggle, split
  vertically.
- CentrePane: the model bar with the Compare toggle, the chat view (or, with
  no agent at all, a placeholder saying how to start), the composer; in
  compare mode the compare panel (app/ui/compare_mode.py) instead of all three.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.contrast_style import pad_items
from app.services.provider_service import ProviderService
from app.services.store_bridge import StoreBridge
from app.ui.agent_list_model import AgentListModel
from app.ui.chat import ChatView
from app.ui.composer import Composer
from app.ui.conversation_list_model import ConversationListModel
from app.ui.conversation_panel import ConversationPanel
from app.ui.elided_rows import elide_rows
from app.ui.model_bar import ModelBar, Spawn
from app.ui.search_panel import SearchPanel

EMPTY_TEXT = "Create an agent to start"


def heading(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class LeftPane(QWidget):
    def __init__(self, bridge: StoreBridge, agents: AgentListModel, *,
                 before_delete: Callable[[int], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentPane")
        self.setMinimumWidth(220)
        self.search = SearchPanel(bridge)
        self.agent_list = QListView()
        self.agent_list.setObjectName("agentList")
        self.agent_list.setModel(agents)
        self.agent_list.setUniformItemSizes(True)
        pad_items(self.agent_list, 6, 4)
        self.agent_list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.agent_list.setAccessibleName("Agents")
        self.agent_list.setIconSize(QSize(22, 22))
        elide_rows(self.agent_list)
        self.new_agent_button = QPushButton("New Agent")
        self.new_agent_button.setObjectName("newAgentButton")
        self.new_agent_button.setToolTip("Create a new agent (Ctrl+Shift+N)")
        self.new_chat_button = QPushButton("New Chat")
        self.new_chat_button.setObjectName("newChatButton")
        self.new_chat_button.setToolTip("Start a new chat with this agent (Ctrl+N)")
        self.conversation_model = ConversationListModel(bridge, self)
        self.conversation_list = ConversationPanel(bridge, self.conversation_model,
                                                   before_delete=before_delete)
        self.conversation_list.setIconSize(QSize(14, 14))
        self.show_archived = QCheckBox("Show archived")
        self.show_archived.setObjectName("showArchivedToggle")
        self.show_archived.setToolTip("List this agent's archived chats instead")
        self.show_archived.toggled.connect(self._show_archived)
        chats = QWidget()
        chats_layout = QVBoxLayout(chats)
        chats_layout.setContentsMargins(0, 0, 0, 0)
        chats_layout.setSpacing(4)
        chats_layout.addWidget(self.conversation_list, 1)
        chats_layout.addWidget(self.show_archived)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("leftSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._section("Agents", "agentListHeading",
                                              self.new_agent_button, self.agent_list))
        self.splitter.addWidget(self._section("Chats", "conversationListHeading",
                                              self.new_chat_button, chats))
        self.splitter.setSizes([240, 440])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 4, 10)
        layout.setSpacing(8)
        layout.addWidget(self.search)
        layout.addWidget(self.splitter, 1)
        # While a search is typed its results take the lists' place.
        self.search.box.textChanged.connect(
            lambda text: self.splitter.setVisible(not text.strip()))

    def _show_archived(self, archived: bool) -> None:
        self.conversation_model.set_show_archived(archived)
        heading_label = self.findChild(QLabel, "conversationListHeading")
        if heading_label is not None:
            # "Archived chats" was cut under New Chat at the pane's narrowest width.
            heading_label.setText("Archived" if archived else "Chats")

    @staticmethod
    def _section(title: str, name: str, button: QPushButton, body: QWidget) -> QWidget:
        section = QWidget()
        layout = QVBoxLayout(section)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(heading(title, name), 1)
        head.addWidget(button)
        layout.addLayout(head)
        layout.addWidget(body, 1)
        return section


class CentrePane(QWidget):
    def __init__(self, providers: ProviderService, spawn: Spawn,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPane")
        self.model_bar = ModelBar(providers, spawn)
        self.chat_view = ChatView()
        self.composer = Composer()
        self.placeholder = QLabel(f"<p style='font-size:13pt'>{EMPTY_TEXT}</p>"
                                  "<p>Use <b>New Agent</b> on the left.</p>")
        self.placeholder.setObjectName("agentPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.compare_button = QToolButton()
        self.compare_button.setObjectName("compareModeButton")
        self.compare_button.setText("Compare")
        self.compare_button.setToolTip("Send one message to several agents or models and "
                                       "see the answers side by side")
        self.compare_button.setCheckable(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.chat_view)
        self.stack.addWidget(self.placeholder)
        self.compare_panel: QWidget | None = None
        self._has_agents = True
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.model_bar, 1)
        top.addWidget(self.compare_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 10, 10, 10)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.composer)

    def show_chat(self, has_agents: bool) -> None:
        self._has_agents = has_agents
        comparing = self.compare_panel is not None and \
            self.stack.currentWidget() is self.compare_panel
        if not comparing:
            self.stack.setCurrentIndex(0 if has_agents else 1)

    def show_compare(self, panel: QWidget, on: bool) -> None:
        """Compare mode: ``panel`` instead of the model bar, chat and composer."""
        if self.compare_panel is None:
            self.compare_panel = panel
            self.stack.addWidget(panel)
        for widget in (self.model_bar, self.compare_button, self.composer):
            widget.setVisible(not on)   # the panel has its own (Back to chat)
        if on:
            self.stack.setCurrentWidget(panel)
        else:
            self.stack.setCurrentIndex(0 if self._has_agents else 1)
