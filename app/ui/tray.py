"""The system tray: the icon, its menu, closing to the tray, reply notifications.

- Menu: Quick chat, Show/Hide window, the recently used agents (each opens the
  quick chat with that agent), Quit. Clicking the icon toggles the quick chat.
- Closing the main window keeps the app running in the tray when the person
  chose so (``settings.ui.close_to_tray``). Not asked yet (None): the first
  close asks once, in a non-blocking box, and remembers the answer in the
  settings file; choosing the tray is then confirmed once by a tray balloon.
- A reply that finishes while the main window is hidden (and the quick chat
  does not show it) is announced with a tray message; clicking the message
  opens that conversation in the main window.
- While the local HTTP API is on (or failed to start), the menu shows a line
  saying so with its request count, and the icon's tooltip names the address
  (``show_api``); nothing when it is off.
- No tray on this desktop (``isSystemTrayAvailable()`` false, e.g. offscreen
  or a bare window manager): said once (log and status bar), and the window
  behaves as a normal window: closing it quits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QMessageBox, QSystemTrayIcon, QWidget

from app.domain import AgentSpec
from app.ops import agents as agent_ops
from app.ops import chats
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings, load_settings
from app.store import EXTERNAL, ChangeNotice
from app.ui.api_server import ApiServerController
from app.ui.open_dialogs import DialogSlot

log = logging.getLogger(__name__)

RECENT_AGENTS = 5
MESSAGE_MS = 6000
PREVIEW_CHARS = 160
NO_TRAY_NOTE = ("No system tray on this desktop: closing the window quits AgentDesk.")
IN_TRAY_NOTE = ("AgentDesk keeps running here. Click the icon for a quick chat; "
                "use Quit in this menu to exit.")


@dataclass(frozen=True)
class TrayWindow:
    """What the tray needs of the main window (kept narrow on purpose)."""

    widget: QWidget
    open_conversation: Callable[[int, int], None]       # agent id, conversation id (0: new)
    show_status: Callable[[str], None]


class TrayController(QObject):
    """Owns the QSystemTrayIcon and the close-to-tray behaviour."""

    #: Quit was chosen in the tray menu.
    sig_quit = Signal()

    def __init__(self, window: TrayWindow, quick_chat: QWidget, bridge: StoreBridge,
                 settings: AppSettings, icon: QIcon, *, available: bool | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._quick = quick_chat
        self._bridge = bridge
        self.settings = settings
        self.available = (QSystemTrayIcon.isSystemTrayAvailable()
                          if available is None else available)
        self.quitting = False
        self.told_in_tray = False
        self._asking: DialogSlot[QMessageBox] = DialogSlot()   # deletes itself on close
        self.last_notified: tuple[int, int] | None = None   # agent id, conversation id
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("AgentDesk")
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        # The fixed actions belong to this object: QMenu.clear() deletes the
        # actions it owns (the recent agents, rebuilt on each refresh).
        self.quick_action = QAction("Quick chat", self)
        self.quick_action.setObjectName("trayQuickChat")
        self.window_action = QAction("Hide window", self)
        self.window_action.setObjectName("trayShowHide")
        self.quit_action = QAction("Quit AgentDesk", self)
        self.quit_action.setObjectName("trayQuit")
        self.recent_actions: list[QAction] = []
        self._recent_heading = QAction("Recent agents", self)
        self._recent_heading.setEnabled(False)
        self.api_action = QAction("", self)
        self.api_action.setObjectName("trayApiStatus")
        self.api_action.setEnabled(False)
        self.api_action.setVisible(False)
        self._api: ApiServerController | None = None
        self._build_menu([])
        self.icon.setContextMenu(self.menu)

        self.quick_action.triggered.connect(self.show_quick_chat)
        self.window_action.triggered.connect(self.toggle_window)
        self.quit_action.triggered.connect(self.quit)
        self.menu.aboutToShow.connect(self._menu_about_to_show)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self._message_clicked)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(400)
        self._refresh_timer.timeout.connect(self.refresh_recent)
        bridge.sig_changed.connect(self._on_notice)

    # -- start ---------------------------------------------------------------------------
    def start(self) -> bool:
        """Show the icon; without a tray, say so once. Returns whether it shows."""
        if not self.available:
            log.info("no system tray available: the window works as a normal window "
                     "(closing it quits)")
            self._window.show_status(NO_TRAY_NOTE)
            return False
        self.icon.show()
        self.refresh_recent()
        log.info("tray icon shown")
        return True

    def hide(self) -> None:
        self.icon.hide()

    # -- menu ------------------------------------------------------------------------------
    def _build_menu(self, agents: list[AgentSpec]) -> None:
        self.menu.clear()
        self.menu.addAction(self.quick_action)
        self.menu.addAction(self.window_action)
        self.recent_actions = []
        if agents:
            self.menu.addSeparator()
            self.menu.addAction(self._recent_heading)
            for agent in agents:
                action = QAction(agent.name, self.menu)
                action.setObjectName("trayAgent")
                action.setData(agent.id)
                agent_id = agent.id
                action.triggered.connect(lambda _c=False, a=agent_id: self.show_quick_chat(a))
                self.menu.addAction(action)
                self.recent_actions.append(action)
        self.menu.addSeparator()
        self.menu.addAction(self.api_action)
        self.menu.addAction(self.quit_action)
        self._update_window_action()

    def refresh_recent(self) -> None:
        async def load() -> None:
            agents = await self._bridge.run(partial(agent_ops.recent, limit=RECENT_AGENTS))
            self._build_menu(agents)
        self._bridge.spawn(load(), name="tray-recent-agents")

    def show_api(self, api: ApiServerController) -> None:
        """Follow the local API server: a menu line and the tooltip."""
        self._api = api
        api.sig_changed.connect(self._api_changed)
        self._api_changed()

    def _api_changed(self) -> None:
        api = self._api
        if api is None:
            return
        shown = api.state != "off"
        self.api_action.setVisible(shown)
        self.api_action.setText(f"Local API: {api.status_text()}" if shown else "")
        self.icon.setToolTip(f"AgentDesk · local API on at {api.address}"
                             if api.state == "on" else "AgentDesk")

    def _on_notice(self, notice: ChangeNotice) -> None:
        if notice.entity in ("agent", "conversation", EXTERNAL) and self.available:
            self._refresh_timer.start()

    def _menu_about_to_show(self) -> None:
        self._update_window_action()

    def _update_window_action(self) -> None:
        shown = self._window.widget.isVisible() and not self._window.widget.isMinimized()
        self.window_action.setText("Hide window" if shown else "Show window")

    # -- actions ---------------------------------------------------------------------------
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.MiddleClick):
            self.toggle_quick_chat()
        elif reason == QSystemTrayIcon.ActivationReason.DoubleClick:
            self.show_window()

    def toggle_quick_chat(self) -> None:
        if self._quick.isVisible():
            self._quick.hide()
        else:
            self.show_quick_chat()

    def show_quick_chat(self, agent_id: int | None = None) -> None:
        present = getattr(self._quick, "present", None)
        if callable(present):
            # Next to the icon, on its screen (an empty rect when not docked).
            anchor = self.icon.geometry() if self.icon.isVisible() else None
            present(agent_id if isinstance(agent_id, int) else None, anchor)
        else:
            self._quick.show()

    def toggle_window(self) -> None:
        widget = self._window.widget
        if widget.isVisible() and not widget.isMinimized():
            widget.hide()
        else:
            self.show_window()
        self._update_window_action()

    def show_window(self) -> None:
        """Show, raise and activate the main window (also for a second launch)."""
        widget = self._window.widget
        if widget.isMinimized():
            widget.showNormal()
        else:
            widget.show()
        widget.raise_()
        widget.activateWindow()
        self._update_window_action()

    def quit(self) -> None:
        """Quit for real: the window closes without going to the tray."""
        self.quitting = True
        log.info("quit chosen in the tray menu")
        self.sig_quit.emit()

    # -- closing the main window -------------------------------------------------------------
    def intercept_close(self) -> bool:
        """Called when the main window is about to close. True: it must not close
        (it went to the tray, or the person is being asked)."""
        if self.quitting or not self.available or not self.icon.isVisible():
            return False
        choice = self.settings.ui.close_to_tray
        if choice is False:
            return False
        if choice is True:
            self._window.widget.hide()
            self._update_window_action()
            return True
        self._ask_close_to_tray()
        return True

    def _ask_close_to_tray(self) -> None:
        if self.asking is not None:
            self.asking.raise_()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Keep AgentDesk running?",
                          "Keep AgentDesk running in the system tray when its window "
                          "is closed?", QMessageBox.StandardButton.NoButton,
                          self._window.widget)
        box.setObjectName("closeToTrayQuestion")
        box.setInformativeText("From the tray you can open a quick chat or the window "
                               "again. This is asked only once.")
        keep = box.addButton("Keep in tray", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def finished(_result: int) -> None:
            self._asking.clear()
            self.answer_close_to_tray(box.clickedButton() is keep)

        box.finished.connect(finished)
        self._asking.set(box)
        box.open()

    @property
    def asking(self) -> QMessageBox | None:
        """The open close-to-tray question, if any (never a deleted one)."""
        return self._asking.get_open()

    def answer_close_to_tray(self, keep: bool) -> None:
        """Remember the answer; then go to the tray (told once) or quit."""
        self._remember(keep)
        if keep:
            self._window.widget.hide()
            self._update_window_action()
            self.icon.showMessage("AgentDesk", IN_TRAY_NOTE,
                                  QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS)
            self.told_in_tray = True
            log.info("the window went to the tray (the person chose to keep it running)")
        else:
            self.quit()

    def _remember(self, keep: bool) -> None:
        self.settings.ui.close_to_tray = keep
        try:
            # Re-read first: the settings dialog may have saved other values since.
            current = load_settings(self.settings.home)
            current.ui.close_to_tray = keep
            current.save()
        except (OSError, ValueError) as exc:
            log.warning("could not save the close-to-tray choice: %s", exc)

    # -- notifications ------------------------------------------------------------------------
    def reply_finished(self, conversation_id: int, quick_conversation: int | None) -> None:
        """A reply ended; announce it when nobody can see it."""
        if not self.available or not self.icon.isVisible():
            return
        widget = self._window.widget
        if widget.isVisible() and not widget.isMinimized():
            return
        if self._quick.isVisible() and quick_conversation == conversation_id:
            return

        async def notify() -> None:
            conversation, reply = await self._bridge.run(
                partial(chats.reply_preview, conversation_id=conversation_id))
            text = (reply.content if reply is not None else "").strip() or "(no text)"
            if len(text) > PREVIEW_CHARS:
                text = text[:PREVIEW_CHARS - 1].rstrip() + "…"
            if reply is not None and reply.status == "error":
                text = f"The reply failed: {reply.error or text}"
            self.last_notified = (conversation.agent_id, conversation_id)
            self.icon.showMessage(f"Reply finished — {conversation.title}", text,
                                  QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS)
            log.info("notified a finished reply in conversation %s", conversation_id)

        self._bridge.spawn(notify(), name="tray-notify")

    def _message_clicked(self) -> None:
        if self.last_notified is not None:
            agent_id, conversation_id = self.last_notified
            self.show_window()
            self._window.open_conversation(agent_id, conversation_id)
