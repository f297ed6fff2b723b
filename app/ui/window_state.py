"""What the window remembers between runs: geometry, splitter sizes, the last
agent and each agent's last conversation.

Kept in ``ui.ini`` in the data folder (QSettings, INI format), so two data
folders (``AGENTDESK_HOME``) never share it and deleting the folder forgets it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

FILENAME = "ui.ini"


class WindowState:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / FILENAME
        self._settings = QSettings(str(self.path), QSettings.Format.IniFormat)

    # -- geometry ---------------------------------------------------------------------------
    def save_window(self, window: QMainWindow, splitters: dict[str, QSplitter]) -> None:
        self._settings.setValue("window/geometry", window.saveGeometry())
        self._settings.setValue("window/state", window.saveState())
        for name, splitter in splitters.items():
            self._settings.setValue(f"splitters/{name}", splitter.saveState())
        self._settings.sync()

    def restore_window(self, window: QMainWindow, splitters: dict[str, QSplitter]) -> bool:
        """Put back what was saved; False on a first start (nothing saved)."""
        geometry = self._settings.value("window/geometry")
        restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
        state = self._settings.value("window/state")
        if isinstance(state, QByteArray):
            window.restoreState(state)
        for name, splitter in splitters.items():
            saved = self._settings.value(f"splitters/{name}")
            if isinstance(saved, QByteArray):
                splitter.restoreState(saved)
        return bool(restored)

    # -- selection ----------------------------------------------------------------------------
    @property
    def last_agent(self) -> int | None:
        return _int(self._settings.value("last/agent"))

    def last_conversation(self, agent_id: int) -> int | None:
        return _int(self._settings.value(f"last/conversation_{agent_id}"))

    def remember(self, agent_id: int | None, conversation_id: int | None) -> None:
        if agent_id is None:
            return
        self._settings.setValue("last/agent", agent_id)
        key = f"last/conversation_{agent_id}"
        if conversation_id is None:
            self._settings.remove(key)
        else:
            self._settings.setValue(key, conversation_id)

    def sync(self) -> None:
        self._settings.sync()


def _int(value: object) -> int | None:
    try:
        return int(value) if value is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
