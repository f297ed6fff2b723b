"""The quick chat (``quickChatWindow``): a small always-on-top window for one question.

Opened from the tray. It has an agent picker (the same AgentListModel as the
main window), a chat view, and an input. It is a ChatController of its own
bound to its own view and input, but its ChatSessions are the main window's
(``session_source``): a reply started here streams on the very session the
main window would use, so "Open in main window" shows the same conversation,
live tail included, and a quick chat is stored like any other conversation.

Esc hides the window (a reply keeps streaming and is recorded).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.fallback import ProviderSource
from app.services.chat_session import ChatSession, RunnerFactory
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings
from app.ui.agent_list_model import AgentListModel
from app.ui.chat import ChatView
from app.ui.chat_controller import ChatController
from app.ui.composer import Composer
from app.ui.window_placement import Frame, Rect, Screen, fits, place_window, screen_for

log = logging.getLogger(__name__)

SessionSource = Callable[[int, int], ChatSession]
SIZE = (440, 540)


def _rect(rect: QRect) -> Rect:
    return Rect(rect.x(), rect.y(), rect.width(), rect.height())


def _screens() -> list[Screen]:
    """Every screen, the primary first (what placement falls back to)."""
    primary = QGuiApplication.primaryScreen()
    ordered = [primary] if primary is not None else []
    ordered += [s for s in QGuiApplication.screens() if s is not primary]
    return [Screen(_rect(s.geometry()), _rect(s.availableGeometry())) for s in ordered]


class QuickChatController(ChatController):
    """A ChatController whose sessions come from elsewhere (the main window's)."""

    def __init__(self, *args: object, session_source: SessionSource | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._source = session_source

    def session(self, conversation_id: int, agent_id: int) -> ChatSession:
        if self._source is None:
            return super().session(conversation_id, agent_id)
        found = self.sessions.get(conversation_id)
        shared = self._source(conversation_id, agent_id)
        if found is not shared:      # first use here, or the owner made a new one
            shared.sig_event.connect(lambda event, c=conversation_id: self._on_event(c, event))
            shared.sig_started.connect(lambda c=conversation_id: self._on_running(c, True))
            shared.sig_finished.connect(
                lambda _s, c=conversation_id: self._on_running(c, False))
            self.sessions[conversation_id] = shared
        return shared


class QuickChatWindow(QWidget):
    #: "Open in main window": agent id, conversation id (0: a new chat, nothing sent).
    sig_open_in_main = Signal(int, int)

    def __init__(self, bridge: StoreBridge, settings: AppSettings, agents: AgentListModel, *,
                 session_source: SessionSource | None = None,
                 providers: ProviderSource | None = None,
                 runner_factory: RunnerFactory | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("quickChatWindow")
        self.setWindowTitle("Quick chat — AgentDesk")
        self.setAccessibleName("Quick chat")
        self.resize(*SIZE)
        self._agents = agents
        self._placed = False
        self._anchor: QRect | None = None     # the tray icon it was last placed by

        self.agent_combo = QComboBox()
        self.agent_combo.setObjectName("quickChatAgent")
        self.agent_combo.setAccessibleName("Agent")
        self.agent_combo.setModel(agents)
        self.agent_combo.setMinimumContentsLength(14)
        self.new_button = QPushButton("New")
        self.new_button.setObjectName("quickChatNew")
        self.new_button.setToolTip("Start a new quick chat")
        self.open_button = QPushButton("Open in main window")
        self.open_button.setObjectName("quickChatOpenMain")
        self.open_button.setToolTip("Continue this chat in the main window")
        self.chat_view = ChatView()
        self.chat_view.setObjectName("quickChatView")
        self.composer = Composer()
        self.composer.setObjectName("quickChatComposer")
        self.composer.edit.setObjectName("quickChatInput")
        self.composer.edit.setPlaceholderText("Ask quickly — Enter to send, Esc to hide")
        self.composer.send_button.setObjectName("quickChatSend")
        self.composer.stop_button.setObjectName("quickChatStop")
        self.empty_label = QLabel("Create an agent in the main window first.")
        self.empty_label.setObjectName("quickChatEmpty")
        self.empty_label.setWordWrap(True)

        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.agent_combo, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.chat_view, 1)
        layout.addWidget(self.composer)

        self.controller = QuickChatController(
            bridge, settings, self.chat_view, self.composer, providers=providers,
            runner_factory=runner_factory, session_source=session_source, parent=self)
        self.agent_combo.currentIndexChanged.connect(self._agent_chosen)
        self.new_button.clicked.connect(self.new_chat)
        self.open_button.clicked.connect(self.open_in_main)
        agents.rowsInserted.connect(self._agents_changed)
        agents.rowsRemoved.connect(self._agents_changed)
        agents.modelReset.connect(self._agents_changed)
        self._agents_changed()

    # -- state -------------------------------------------------------------------------
    @property
    def agent_id(self) -> int | None:
        return self.controller.agent_id

    @property
    def conversation_id(self) -> int | None:
        return self.controller.conversation_id

    def _selected_agent_id(self) -> int | None:
        value = self.agent_combo.currentData(AgentListModel.AgentIdRole)
        return value if isinstance(value, int) else None

    # -- showing -----------------------------------------------------------------------
    def present(self, agent_id: int | None = None, anchor: QRect | None = None) -> None:
        """Show, raise and focus the window; ``agent_id`` picks that agent (a new
        chat unless it is the one already chosen). ``anchor`` is the tray icon's
        geometry: the window opens next to it, on its screen, unless it is
        already there (where the person may have moved it)."""
        if agent_id is not None and agent_id != self._selected_agent_id():
            row = self._agents.row_of(agent_id)
            if row is not None:
                self.agent_combo.setCurrentIndex(row)
        if not self.isVisible() and self._needs_placing(anchor):
            self._place(anchor)
        self.show()
        self.raise_()
        self.activateWindow()
        self.composer.edit.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.present()

    def frame_margins(self) -> Frame:
        """The window manager's frame around the window (zero until first shown)."""
        outer, inner = self.frameGeometry(), self.geometry()
        return Frame(inner.x() - outer.x(), inner.y() - outer.y(),
                     outer.right() - inner.right(), outer.bottom() - inner.bottom())

    def _needs_placing(self, anchor: QRect | None) -> bool:
        screens = _screens()
        if not screens:
            return False
        if not self._placed or not fits(_rect(self.geometry()), self.frame_margins(), screens):
            return True
        if anchor is None or not anchor.isValid():
            return False
        mine = screen_for(_rect(self.geometry()), screens)
        return mine != screen_for(_rect(anchor), screens)

    def _place(self, anchor: QRect | None = None) -> None:
        """Next to ``anchor`` (the tray icon) or bottom-right of the primary
        screen, wholly inside the screen's available area. The size is the one
        the layout really needs (it may be wider than SIZE) and the frame is
        counted, so no button ends up off-screen."""
        screens = _screens()
        if not screens:
            return
        wanted = QSize(*SIZE).expandedTo(self.size()).expandedTo(self.minimumSizeHint())
        hint = self.minimumSizeHint()
        placed = place_window((wanted.width(), wanted.height()), screens,
                              _rect(anchor) if anchor is not None and anchor.isValid()
                              else None,
                              frame=self.frame_margins(),
                              minimum=(hint.width(), hint.height()))
        self.setGeometry(QRect(placed.x, placed.y, placed.width, placed.height))
        self._placed = True
        self._anchor = QRect(anchor) if anchor is not None and anchor.isValid() else None

    def place_near(self, anchor: QRect) -> None:
        self._place(anchor)

    def keep_on_screen(self) -> None:
        """Move back inside a screen if the window (frame included) sticks out,
        e.g. once the window manager's frame is known after the first show."""
        screens = _screens()
        if self.isVisible() and screens and not fits(
                _rect(self.geometry()), self.frame_margins(), screens):
            self._place(self._anchor)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.composer.edit.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
        QTimer.singleShot(0, self, self.keep_on_screen)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            event.accept()
            self.hide()
            return
        super().keyPressEvent(event)

    # -- agents and chats ----------------------------------------------------------------
    def _agents_changed(self, *_args: object) -> None:
        has_agents = self._agents.rowCount() > 0
        self.empty_label.setVisible(not has_agents)
        self.open_button.setEnabled(has_agents)
        self.new_button.setEnabled(has_agents)
        if has_agents and self.agent_combo.currentIndex() < 0:
            self.agent_combo.setCurrentIndex(0)
        if self._selected_agent_id() != self.controller.agent_id:
            self._agent_chosen()

    def _agent_chosen(self, *_args: object) -> None:
        agent_id = self._selected_agent_id()
        if agent_id == self.controller.agent_id and self.controller.conversation_id:
            return
        self.controller.show_conversation(None, agent_id)

    def new_chat(self) -> None:
        self.controller.show_conversation(None, self._selected_agent_id())
        self.composer.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_conversation(self, conversation_id: int, agent_id: int) -> None:
        """Continue an existing conversation here."""
        row = self._agents.row_of(agent_id)
        if row is not None and row != self.agent_combo.currentIndex():
            self.agent_combo.blockSignals(True)
            self.agent_combo.setCurrentIndex(row)
            self.agent_combo.blockSignals(False)
        self.controller.show_conversation(conversation_id, agent_id)

    def send(self, text: str) -> None:
        """Send ``text`` as if typed (used by the tray driver and tests)."""
        self.composer.set_text(text)
        self.composer.submit()

    def open_in_main(self) -> None:
        agent_id = self.controller.agent_id
        if agent_id is None:
            return
        conversation_id = self.controller.conversation_id or 0
        log.info("quick chat: continuing conversation %s in the main window",
                 conversation_id or "(new)")
        self.hide()
        self.sig_open_in_main.emit(agent_id, conversation_id)
