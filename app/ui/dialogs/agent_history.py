"""An agent's earlier revisions: when, what changed, and a Restore button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.contrast_style import pad_items
from app.ops.agents import RevisionEntry
from app.ui.plain_text import tooltip


def revision_label(entry: RevisionEntry) -> str:
    when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    current = "  (current)" if entry.current else ""
    return f"Revision {entry.revision} · {when}{current}\n{entry.summary}"


class AgentHistory(QWidget):
    #: The user asked to restore this revision number.
    sig_restore_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("agentHistoryList")
        self.list.setAccessibleName("Earlier revisions")
        self.list.setAlternatingRowColors(True)
        pad_items(self.list, 6, 4)
        self.restore_button = QPushButton("Restore this revision…")
        self.restore_button.setObjectName("restoreRevisionButton")
        self.note = QLabel("Saving keeps the previous settings as a revision. "
                           "Restoring one saves it again as the newest revision.")
        self.note.setWordWrap(True)
        self.note.setObjectName("historyNote")

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

        self.list.currentRowChanged.connect(self._update_button)
        self.restore_button.clicked.connect(self._request)
        self._update_button()

    def set_entries(self, entries: list[RevisionEntry]) -> None:
        self.list.clear()
        for entry in entries:
            item = QListWidgetItem(revision_label(entry))
            item.setData(Qt.ItemDataRole.UserRole, entry.revision)
            item.setData(Qt.ItemDataRole.UserRole + 1, entry.current)
            item.setToolTip(tooltip(entry.summary))
            self.list.addItem(item)
        self._update_button()

    def revisions(self) -> list[int]:
        return [self.list.item(r).data(Qt.ItemDataRole.UserRole)
                for r in range(self.list.count())]

    def select_revision(self, revision: int) -> None:
        for row, number in enumerate(self.revisions()):
            if number == revision:
                self.list.setCurrentRow(row)
                return
        raise KeyError(revision)

    def _update_button(self, *_args: object) -> None:
        item = self.list.currentItem()
        self.restore_button.setEnabled(
            item is not None and not item.data(Qt.ItemDataRole.UserRole + 1))

    def _request(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.sig_restore_requested.emit(item.data(Qt.ItemDataRole.UserRole))
