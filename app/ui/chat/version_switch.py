"""``◀ 2/3 ▶`` under a message that has other versions (regenerated replies,
edited user messages; app/store/message_tree.py). The arrows ask to show the
previous or next version; the view and the store do the switching."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget


class VersionSwitch(QWidget):
    #: -1: show the previous version, +1: the next.
    sig_step = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("versionSwitch")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        self.previous = self._arrow("◀", "versionPrevious", "Previous version", -1)
        self.label = QLabel()
        self.label.setObjectName("versionLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.next = self._arrow("▶", "versionNext", "Next version", 1)
        row.addWidget(self.previous)
        row.addWidget(self.label)
        row.addWidget(self.next)
        row.addStretch(1)
        self.index = self.count = 0

    def _arrow(self, text: str, name: str, tip: str, step: int) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.clicked.connect(lambda: self.sig_step.emit(step))
        return button

    def set_versions(self, index: int, count: int) -> None:
        """Version ``index`` (1-based) of ``count`` is shown."""
        self.index, self.count = index, count
        self.label.setText(f"{index}/{count}")
        self.label.setAccessibleName(f"version {index} of {count}")
        self.previous.setEnabled(index > 1)
        self.next.setEnabled(index < count)

    def text(self) -> str:
        return f"◀ {self.label.text()} ▶"
