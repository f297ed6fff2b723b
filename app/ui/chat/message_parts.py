"""Parts of a message widget: its bubble and model badge (both drawn by the
view's ``FramePainter``, no style sheet), the row of action buttons that
shortens its labels when they do not fit, and the Copy button's menu."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QAction, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from app.ui.chat.frames import BADGE_MARGINS, FramePainter

#: Short labels of the action buttons where the full ones do not fit (a narrow
#: window such as the quick chat); the full word stays in the tooltip.
COMPACT_LABELS = {"Regenerate": "↻", "Edit": "✎", "Delete": "✕"}


class ActionRow(QWidget):
    """The message's action buttons, right-aligned. It never asks for more width
    than the bubble has (its horizontal policy ignores its size hint), and when
    the full labels do not fit it switches to short ones, so a narrow chat view
    shows every button instead of pushing the bubble past the window's edge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageActions")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(2)
        self._row.addStretch(1)
        self.buttons: list[QToolButton] = []
        self.compact = False
        self._full_width = 0

    def add(self, button: QToolButton) -> None:
        button.setToolTip(button.text())
        self.buttons.append(button)
        self._row.addWidget(button)
        self._full_width = 0

    def remove(self, button: QToolButton) -> None:
        """Take a button out of the row (hidden; the row's width follows)."""
        if button in self.buttons:
            self.buttons.remove(button)
            self._row.removeWidget(button)
            button.hide()
            self._full_width = 0

    def full_width(self) -> int:
        if not self._full_width:
            compact, self.compact = self.compact, False
            self._apply_labels()
            self._full_width = (sum(b.sizeHint().width() for b in self.buttons)
                                + self._row.spacing() * max(len(self.buttons) - 1, 0))
            self.compact = compact
            self._apply_labels()
        return self._full_width

    def set_compact(self, compact: bool) -> None:
        if compact != self.compact:
            self.compact = compact
            self._apply_labels()

    def _apply_labels(self) -> None:
        for button in self.buttons:
            full = button.toolTip()
            button.setText(COMPACT_LABELS.get(full, full) if self.compact else full)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.set_compact(event.size().width() < self.full_width())


def make_copy_menu(parent: QWidget) -> QMenu:
    """The Copy button's menu. One serves every message of a view: a QToolButton
    reports the item chosen from its menu through its own ``triggered`` signal,
    so each message still knows it was its menu (see ``MessageWidget``)."""
    menu = QMenu(parent)
    for text, action in (("Copy as Markdown", "copy-markdown"),
                         ("Copy as plain text", "copy-plain")):
        item = QAction(text, menu)
        item.setData(action)
        menu.addAction(item)
    return menu


class MessageBubble(QFrame):
    """The message's rounded frame, drawn by the view's ``FramePainter``."""

    def __init__(self, frames: FramePainter, role: str) -> None:
        super().__init__()
        self.setObjectName("message")
        self.setProperty("role", role)
        self._frames = frames
        self._role = role

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        self._frames.paint(self, "message", self._role)


class ModelBadge(QLabel):
    """The model's name in a rounded outline (drawn by the ``FramePainter``).

    Sized and indented as the style-sheet label was: its border and padding made
    it a QLabel with a frame, and QLabel indents a framed label's text by half an
    "x" and adds a whole "x" to its size hint. This one has no QFrame frame, so it
    sets that indent and size itself.
    """

    def __init__(self, frames: FramePainter, parent: QWidget) -> None:
        super().__init__(parent)
        self._frames = frames
        self._fit_frame()

    def _fit_frame(self) -> None:
        self.setContentsMargins(*BADGE_MARGINS)
        self.setIndent(self.fontMetrics().horizontalAdvance("x") // 2)

    def _hint_extra(self) -> int:
        return self.fontMetrics().horizontalAdvance("x") - self.indent()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return super().sizeHint() + QSize(self._hint_extra(), 0)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return super().minimumSizeHint() + QSize(self._hint_extra(), 0)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        # QFrame resets the margins to its own frame's on a style change.
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._fit_frame()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        self._frames.paint(self, "modelBadge")
        super().paintEvent(event)
