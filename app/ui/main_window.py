"""The main window: agents and their chats on the left, the chat in the centre.

Layout and wiring only; the parts live in their own modules:
- left: the search box (app/ui/search_panel.py), the agents (AgentListModel),
  the selected agent's chats (app/ui/conversation_panel.py);
- centre: the model bar (app/ui/model_bar.py), the chat view (app/ui/chat),
  the composer (app/ui/composer.py), bound to the shown conversation by the
  ChatController (app/ui/chat_controller.py), which owns one ChatSession per
  conversation so replies keep streaming when another chat is shown;
- menus and shortcuts: app/ui/shortcuts.py; remembered state: window_state.py;
  the New Agent / Edit Agent / Settings dialogs: window_dialogs.py; which
  chat is shown: chat_navigation.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox, QSplitter, QWidget

from app.core.fallback import ProviderSource
from app.domain import AgentSpec, SearchHit
from app.services.chat_session import RunnerFactory
from app.services.data_service import DataService
from app.services.provider_service import ProviderService
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings, load_settings
from app.ops import agents
from app.store import EXTERNAL, ChangeNotice, NotFoundError
from app.ui.agent_actions import AgentActions, forget_agent_chats
from app.ui.agent_list_model import AgentListModel
from app.ui.attachment_chips import add_vision_switch
from app.ui.chat_controller import ChatController
from app.ui.chat_navigation import ChatNavigation
from app.ui.compare_mode import CompareMode
from app.ui.export_all import export_from_window
from app.ui.prompts import warn
from app.ui.shortcuts import build_actions, shortcuts_text
from app.ui.window_panes import EMPTY_TEXT, CentrePane, LeftPane
from app.ui.window_dialogs import WindowDialogs
from app.ui.window_state import WindowState
from app.ui.workflow_runs import WorkflowRuns

log = logging.getLogger(__name__)

WINDOW_TITLE = "AgentDesk"
__all__ = ["EMPTY_TEXT", "MainWindow"]
STATUS_TIMEOUT_MS = 8000


class MainWindow(QMainWindow):
    #: The window was closed (by the user, the Quit action or the window manager).
    sig_closed = Signal()

    def __init__(self, bridge: StoreBridge, model: AgentListModel, *,
                 settings: AppSettings | None = None, default_provider: str = "",
                 default_model: str = "", providers: ProviderSource | None = None,
                 runner_factory: RunnerFactory | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._model = model
        self.settings = settings or load_settings(Path(bridge.store.path).parent)
        self.provider_service = ProviderService(bridge)
        self.state = WindowState(self.settings.home)
        self._select_when_listed: int | None = None
        self._restored = False
        #: Which chat is shown (app/ui/chat_navigation.py).
        self.navigation = ChatNavigation(self)
        self._window_dialogs = WindowDialogs(self, bridge, self.provider_service,
                                             default_provider=default_provider,
                                             default_model=default_model)
        #: The open New Agent / Edit Agent / Settings dialogs, one per kind.
        self.dialogs = self._window_dialogs.registry
        self.api_server = self._window_dialogs.api_server
        #: Asked on every close except Quit; True keeps the window open (the
        #: desktop shell sends it to the tray). Set by app/ui/desktop_shell.py.
        self.close_guard: Callable[[], bool] | None = None
        self.quitting = False

        self.setObjectName("mainWindow")
        self.setWindowTitle(WINDOW_TITLE)
        self.setMinimumSize(760, 480)
        self.resize(1180, 760)
        self.actions = build_actions(self)
        self.quit_action = self.actions.quit
        self._build_panes(bridge)
        self._build_splitter()
        self.controller = ChatController(bridge, self.settings, self.chat_view, self.composer,
                                         providers=providers, runner_factory=runner_factory,
                                         before_send=self.model_bar.flush_pending, parent=self)
        self.compare = CompareMode(self, bridge, self.settings, providers=providers)
        #: Workflow runs into the chat view (Agent › Workflows…).
        self.workflow_runs = WorkflowRuns(self, bridge, providers=providers)
        self._wire()
        add_vision_switch(self.composer, self.settings, self.current_agent)
        self.restored_geometry = self.state.restore_window(self, self.splitters())
        self._agent_changed()

    # -- construction --------------------------------------------------------------------------
    def _build_panes(self, bridge: StoreBridge) -> None:
        self.left = LeftPane(bridge, self._model,
                             before_delete=lambda cid: self.controller.forget(cid))
        self.search = self.left.search
        self.agent_list = self.left.agent_list
        self.new_agent_button = self.left.new_agent_button
        self.new_chat_button = self.left.new_chat_button
        self.conversation_model = self.left.conversation_model
        self.conversation_list = self.left.conversation_list
        self.left_splitter = self.left.splitter
        self.centre = CentrePane(self.provider_service, self._spawn)
        self.model_bar = self.centre.model_bar
        self.chat_view = self.centre.chat_view
        self.composer = self.centre.composer
        self.placeholder = self.centre.placeholder
        self.centre_stack = self.centre.stack

    def _build_splitter(self) -> None:
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.addWidget(self.left)
        self.main_splitter.addWidget(self.centre)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([280, 900])
        self.setCentralWidget(self.main_splitter)

    def splitters(self) -> dict[str, QSplitter]:
        return {"main": self.main_splitter, "left": self.left_splitter}

    def _wire(self) -> None:
        a = self.actions
        a.quit.triggered.connect(self.quit_app)
        a.new_chat.triggered.connect(self.new_chat)
        a.new_agent.triggered.connect(self.open_new_agent)
        a.edit_agent.triggered.connect(self.open_edit_agent)
        a.settings.triggered.connect(self.open_settings)
        a.model_library.triggered.connect(self._window_dialogs.open_model_library)
        a.dashboard.triggered.connect(self._window_dialogs.open_dashboard)
        a.export_all.triggered.connect(self.export_all_conversations)
        a.search.triggered.connect(self.search.focus)
        a.focus_composer.triggered.connect(self.focus_composer)
        a.check_connection.triggered.connect(lambda: self.model_bar.check_status(force=True))
        a.refresh_models.triggered.connect(lambda: self.model_bar.load_models(refresh=True))
        a.send.triggered.connect(self.composer.submit)
        a.stop.triggered.connect(self.controller.stop)
        a.stop.triggered.connect(self.workflow_runs.stop_shown)
        self.composer.sig_stop.connect(self.workflow_runs.stop_shown)
        a.workflows.triggered.connect(self.open_workflows)
        self.workflow_runs.sig_started.connect(lambda _id: self._update_chat_actions())
        self.workflow_runs.sig_finished.connect(lambda _id, _end: self._update_chat_actions())
        a.regenerate.triggered.connect(self.controller.message_actions.regenerate_last)
        a.rename_chat.triggered.connect(lambda: self._on_chat(self.conversation_list.rename))
        a.pin_chat.triggered.connect(lambda: self._on_chat(
            lambda c: self.conversation_list.set_pinned(c, not c.pinned)))
        self.conversation_list.attach_archive_action(a.archive_chat)
        a.delete_chat.triggered.connect(lambda: self._on_chat(self.conversation_list.delete))
        a.shortcuts_help.triggered.connect(lambda: self._inform("Keyboard Shortcuts",
                                                                shortcuts_text()))
        a.about.triggered.connect(self._window_dialogs.open_about)
        a.compare_mode.toggled.connect(self.compare.set_active)
        self.centre.compare_button.toggled.connect(self.compare.set_active)
        self.compare.sig_active.connect(self._compare_shown)
        self.new_agent_button.clicked.connect(self.open_new_agent)
        self.new_chat_button.clicked.connect(self.new_chat)
        self.agent_list.selectionModel().currentChanged.connect(self._agent_changed)
        self._model.dataChanged.connect(self._agent_data_changed)
        self._model.rowsInserted.connect(self._agents_changed)
        self._model.rowsRemoved.connect(self._agents_changed)
        self._model.modelReset.connect(self._agents_changed)
        self._model.sig_loaded.connect(self._restore_selection)
        self.conversation_list.sig_chosen.connect(self._conversation_chosen)
        self.conversation_model.sig_loaded.connect(self.navigation.conversations_loaded)
        self.controller.sig_conversation_created.connect(self.navigation.created)
        self.controller.sig_running.connect(self._running_changed)
        self.controller.sig_shown.connect(lambda _id: self._update_chat_actions())
        self.controller.sig_switch_provider.connect(self._switch_provider)
        self.controller.sig_attempt.connect(self.model_bar.note_attempt)
        self.controller.sig_conversation_gone.connect(self._conversation_gone)
        self.conversation_model.sig_removed_elsewhere.connect(self.navigation.removed_elsewhere)
        self.model_bar.sig_agent_changed.connect(self._save_agent)
        self.search.sig_open.connect(self.open_search_hit)
        self._bridge.sig_error.connect(self._show_status)
        self._bridge.sig_changed.connect(self._on_notice)
        self.agent_actions = AgentActions(
            self._bridge, self.agent_list, duplicate=a.duplicate_agent, delete=a.delete_agent,
            menu_actions=[a.edit_agent, a.duplicate_agent, None, a.export_agent, None,
                          a.delete_agent],
            reveal=self.reveal_agent,
            before_delete=lambda agent_id: forget_agent_chats(self.controller, agent_id),
            parent=self)
        self._spawn(self._load_providers(), "providers")

    def _spawn(self, coro, name: str):  # noqa: ANN001, ANN202 (a coroutine, its task)
        return self._bridge.spawn(coro, name=name)

    # -- agents ----------------------------------------------------------------------------------
    def current_agent(self) -> AgentSpec | None:
        index = self.agent_list.currentIndex()
        return index.data(AgentListModel.AgentRole) if index.isValid() else None

    def select_agent(self, agent_id: int) -> bool:
        """Make the agent current in the list; False if it is not listed (yet)."""
        row = self._model.row_of(agent_id)
        if row is None:
            return False
        self.agent_list.selectionModel().setCurrentIndex(
            self._model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.agent_list.scrollTo(self._model.index(row))
        return True

    def _restore_selection(self) -> None:
        """After the first load: the last agent, else the first one."""
        if self._restored or self.current_agent() is not None:
            return
        self._restored = True
        last = self.state.last_agent
        if (last is None or not self.select_agent(last)) and self._model.rowCount():
            self.agent_list.setCurrentIndex(self._model.index(0))

    def _agents_changed(self, *_args: object) -> None:
        if self._select_when_listed is not None and self.select_agent(self._select_when_listed):
            self._select_when_listed = None
        self.centre.show_chat(bool(self._model.rowCount()))

    def _agent_data_changed(self, *_args: object) -> None:
        spec = self.current_agent()
        if spec is not None and spec != self.model_bar.spec:
            self.model_bar.set_agent(spec)

    def _agent_changed(self, *_args: object) -> None:
        spec = self.current_agent()
        agent_id = spec.id if spec is not None else None
        self.centre.show_chat(bool(self._model.rowCount()))
        self.model_bar.set_agent(spec)
        self.navigation.agent_shown(agent_id)

    def _save_agent(self, agent_id: int, fields: dict) -> None:
        async def save() -> None:
            try:
                saved = await self._bridge.change_agent_settings(agent_id, fields)
            finally:
                self.model_bar.saved(agent_id, fields)
            log.info("agent %s saved from the model bar (revision %s)", saved.id,
                     saved.revision)
        self._spawn(save(), "save-agent")

    # -- conversations -------------------------------------------------------------------------------
    def _conversation_chosen(self, conversation_id: int) -> None:
        self.navigation.chosen(conversation_id)
        if conversation_id:
            self._update_chat_actions()

    def _conversation_gone(self, conversation_id: int, text: str) -> None:
        """Deleted elsewhere (or its message not sent): a new chat shows, the
        composer keeps the text; say what happened."""
        self.navigation.gone(conversation_id)
        self._show_status(text)

    def new_chat(self) -> None:
        agent = self.current_agent()
        self.left.show_archived.setChecked(False)    # the new chat will be listed
        self.navigation.show(agent.id if agent else None, None)
        self.focus_composer()

    def _on_chat(self, action) -> None:  # noqa: ANN001 (a callable taking a Conversation)
        conversation = self.conversation_list.current_conversation()
        if conversation is not None:
            action(conversation)

    def _running_changed(self, conversation_id: int, running: bool) -> None:
        self.conversation_model.set_running(conversation_id, running)
        self._update_chat_actions()

    def _update_chat_actions(self) -> None:
        session = self.controller.current_session()
        self.actions.stop.setEnabled(
            (session is not None and session.running)
            or self.workflow_runs.running(self.controller.conversation_id))

    # -- search --------------------------------------------------------------------------------------
    def open_search_hit(self, hit: SearchHit) -> None:
        """Show the hit's agent and conversation, scrolled to the message."""
        self.search.clear()
        if not self.navigation.open_hit(hit):
            self._show_status("That chat's agent no longer exists")
            return
        self.focus_composer()

    # -- dialogs ---------------------------------------------------------------------------------------
    def open_new_agent(self) -> None:
        self._window_dialogs.open_new_agent()

    def open_workflows(self) -> None:
        self._window_dialogs.open_workflows()

    def open_edit_agent(self) -> None:
        """Edit Agent opens on the agent as stored now, not the list's copy: the
        list learns of a change (just saved, or made from the CLI) a moment
        later, and a dialog opened on the old copy would save the old text
        back over the new."""
        spec = self.current_agent()
        if spec is not None and spec.id is not None:
            self._spawn(self._edit_stored_agent(spec.id), "edit-agent")

    async def _edit_stored_agent(self, agent_id: int) -> None:
        try:
            stored = await self._bridge.run(partial(agents.get, agent_id=agent_id))
        except NotFoundError:
            self._show_status("That agent no longer exists")
            return
        self._window_dialogs.open_edit_agent(stored)

    def open_settings(self) -> None:
        self._window_dialogs.open_settings()

    def export_all_conversations(self) -> None:
        export_from_window(self, self.actions.export_all,
                           DataService(self._bridge, self.settings.home), self._spawn)

    def reveal_agent(self, spec: AgentSpec) -> None:
        """Select a just-created agent, now or as soon as the list shows it."""
        if spec.id is not None and not self.select_agent(spec.id):
            self._select_when_listed = spec.id  # listed once the change notice arrives

    # -- providers ---------------------------------------------------------------------------------------
    async def _load_providers(self) -> None:
        self.model_bar.set_providers(await self.provider_service.list())

    def _on_notice(self, notice: ChangeNotice) -> None:
        if notice.entity in ("provider", EXTERNAL):
            self._spawn(self._load_providers(), "providers")

    def _switch_provider(self) -> None:
        self.model_bar.provider_combo.setFocus()
        self.model_bar.provider_combo.showPopup()

    # -- focus, messages -----------------------------------------------------------------------------------
    def focus_composer(self) -> None:
        self.composer.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        QTimer.singleShot(0, self.focus_composer)

    def _inform(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("infoMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def warn(self, title: str, text: str) -> None:
        warn(self, title, text)

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

    def _compare_shown(self, on: bool) -> None:
        """Compare mode entered or left (the menu, the button, Back, a pick)."""
        self.centre.show_compare(self.compare.panel, on)
        for toggle in (self.actions.compare_mode, self.centre.compare_button):
            toggle.setChecked(on)
        if on:
            self.compare.panel.edit.setFocus()

    # -- opening a conversation from outside (tray, quick chat) ----------------------------------------
    def open_conversation(self, agent_id: int, conversation_id: int) -> None:
        """Show ``agent_id`` with that conversation (0: a new chat of the agent)."""
        if self.conversation_model.agent_id != agent_id and not self.select_agent(agent_id):
            self._show_status("That chat's agent no longer exists")
            return
        self.navigation.show(agent_id, conversation_id or None)
        self.focus_composer()

    # -- closing -------------------------------------------------------------------------------------------
    def quit_app(self) -> None:
        """Close for good (File > Quit, the tray's Quit): never kept in the tray."""
        self.quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if not self.quitting and self.close_guard is not None and self.close_guard():
            event.ignore()
            return
        self.state.save_window(self, self.splitters())
        event.accept()
        self.sig_closed.emit()
