"""What surrounds the main window on the desktop: tray, quick chat, single-instance
requests, drag and drop, and export / import of chats and agents by menu. One object, built by run_app after the window, so the
window itself only offers small hooks (``close_guard``, ``quit_app``,
``open_conversation``) and knows nothing of the tray.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QAbstractItemView

from app.services.data_service import DataService
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings
from app.ui.agent_list_model import AgentListModel
from app.ops.exchange import ImportSummary
from app.ui.drag_drop import ConversationDrag, WindowDropImporter
from app.ui.file_actions import FileActions
from app.ui.file_drop import ComposerFileDrop
from app.ui.open_files import FileOpener
from app.ui.prompts import warn
from app.ui.quick_chat import QuickChatWindow
from app.ui.resources import app_icon
from app.ui.single_instance import SingleInstance
from app.ui.tray import TrayController, TrayWindow

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

STATUS_MS = 10_000


class DesktopShell(QObject):
    def __init__(self, window: MainWindow, bridge: StoreBridge, agents: AgentListModel,
                 settings: AppSettings, *, instance: SingleInstance | None = None,
                 tray_available: bool | None = None) -> None:
        super().__init__(window)
        self.setObjectName("desktopShell")
        self.window = window
        self.quick_chat = QuickChatWindow(bridge, settings, agents,
                                          session_source=window.controller.session)
        self.tray = TrayController(
            TrayWindow(window, window.open_conversation,
                       lambda text: window.statusBar().showMessage(text, STATUS_MS)),
            self.quick_chat, bridge, settings, app_icon(), available=tray_available,
            parent=self)
        self.drag = ConversationDrag(bridge, lambda: window.settings.export_format,
                                     parent=self)
        window.conversation_model.drag_source = self.drag
        window.conversation_list.setDragEnabled(True)
        window.conversation_list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        window.conversation_list.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.drop = WindowDropImporter(window, bridge, parent=self)
        self.composer_drop = ComposerFileDrop(window.composer.edit, parent=self,
                                              attach=window.composer.attachments.add_paths)
        window.composer.attachments.set_settings(settings)
        window.composer.attachments.sig_refused.connect(
            lambda text: warn(window, "File not attached", text))
        self.composer_drop.sig_refused.connect(
            lambda text: warn(window, "File not added", text))
        self.files = FileActions(window, bridge, DataService(bridge, settings.home), self.drop,
                                 lambda: window.settings.export_format, parent=self)
        #: Files given from outside: command line, a second launch, Finder.
        self.opener = FileOpener(window, bridge, agents, self.drop, self.bring_forward,
                                 parent=self)
        self._wire_files()

        window.close_guard = self.tray.intercept_close
        self.tray.sig_quit.connect(window.quit_app)
        window.controller.sig_running.connect(self._running_changed)
        self.quick_chat.sig_open_in_main.connect(self._open_in_main)
        if instance is not None:
            instance.sig_show_requested.connect(self.bring_forward)
            instance.sig_open_requested.connect(self.opener.open_paths)

    def start(self) -> None:
        self.tray.start()
        self.tray.show_api(self.window.api_server)
        if self.window.settings.api.enabled:
            self.window.api_server.apply(self.window.settings)

    def close(self) -> None:
        """At shutdown: the icon goes away, the quick chat is closed and freed."""
        self.tray.hide()
        self.window.api_server.close()
        self.quick_chat.close()
        self.quick_chat.deleteLater()
        self.drag.cleanup()

    # -- wiring --------------------------------------------------------------------------
    def _wire_files(self) -> None:
        window, files, actions = self.window, self.files, self.window.actions
        window.conversation_list.sig_export_requested.connect(files.export_chats)
        actions.export_chats.triggered.connect(
            lambda: files.export_chats(window.conversation_list.selected_conversations()))
        actions.import_chats.triggered.connect(files.import_chats)
        actions.export_agent.triggered.connect(
            lambda: files.export_agent(window.current_agent()))
        actions.import_agent.triggered.connect(files.import_agent_dialog)
        files.sig_agent_imported.connect(window.reveal_agent)
        self.drop.sig_imported.connect(self._dropped)
        # The agent list's context menu (Edit, Duplicate, Export, Delete) is the
        # window's (app/ui/agent_actions.py); Export is wired above.

    def _dropped(self, summary: ImportSummary) -> None:
        if summary.agents:
            self.window.reveal_agent(summary.agents[-1])

    def bring_forward(self) -> None:
        log.info("bringing the main window forward")
        self.tray.show_window()

    def _running_changed(self, conversation_id: int, running: bool) -> None:
        if not running:
            self.tray.reply_finished(conversation_id, self.quick_chat.conversation_id)

    def _open_in_main(self, agent_id: int, conversation_id: int) -> None:
        self.tray.show_window()
        self.window.open_conversation(agent_id, conversation_id)
