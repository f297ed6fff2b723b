"""The composer: where the user writes (``composer``), Send (``sendButton``) and
Stop (``stopButton``).

A QPlainTextEdit, not a QTextEdit: it lays out lazily by block, so pasting a
megabyte of text does not freeze the window, and ``toPlainText`` returns the
text exactly as pasted (no rich-text round trip). Enter sends, Shift+Enter
(or Ctrl+Enter inside an input method) inserts a new line.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.attachment_chips import AttachmentBar, attach_button
from app.ui.file_drop import local_files

PLACEHOLDER = "Message the agent — Enter to send, Shift+Enter for a new line"
MIN_LINES, MAX_LINES = 2, 10


class ComposerEdit(QPlainTextEdit):
    """Multi-line input that sends on Enter."""

    sig_submit = Signal()
    #: A picture was pasted (QImage): it becomes an attachment.
    sig_image_pasted = Signal(object)
    #: Local files were pasted (list of Path): they become attachments.
    sig_files_pasted = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setAccessibleName("Message")
        self.setPlaceholderText(PLACEHOLDER)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.document().setDocumentMargin(6)
        self.document().blockCountChanged.connect(self._fit_height)
        self._fit_height()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            modifiers = event.modifiers()
            if modifiers & Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")
                event.accept()
                return
            if not modifiers & ~Qt.KeyboardModifier.KeypadModifier:
                event.accept()
                self.sig_submit.emit()
                return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 (Qt override)
        # A copied picture or copied files become attachments; otherwise plain
        # text only: pasted rich text must not bring formatting (or remote
        # images) along.
        if source.hasImage():
            self.sig_image_pasted.emit(source.imageData())
            return
        files = local_files(source)
        if files:
            self.sig_files_pasted.emit(files)
            return
        if source.hasText():
            self.textCursor().insertText(source.text())
        else:
            super().insertFromMimeData(source)

    def _fit_height(self, *_args: object) -> None:
        """Grow with the text from MIN_LINES to MAX_LINES lines, then scroll."""
        lines = max(MIN_LINES, min(MAX_LINES, self.document().blockCount()))
        line = self.fontMetrics().lineSpacing()
        margins = self.contentsMargins()
        height = lines * line + 2 * int(self.document().documentMargin()) \
            + margins.top() + margins.bottom()
        self.setFixedHeight(height)


class Composer(QWidget):
    """The input plus Send / Stop; ``sig_send(text)`` when the user sends."""

    sig_send = Signal(str)
    sig_stop = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerPane")
        self.edit = ComposerEdit()
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip("Send (Enter)")
        self.send_button.setDefault(False)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop the reply (Esc)")
        self.stop_button.setEnabled(False)
        for button in (self.send_button, self.stop_button):
            button.setMinimumWidth(76)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.attachments = AttachmentBar()
        self.attach_button = attach_button(self.attachments, self)
        self.edit.sig_image_pasted.connect(self.attachments.add_image)
        self.edit.sig_files_pasted.connect(self.attachments.add_paths)

        buttons = QVBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.edit, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.attachments)
        layout.addLayout(row)

        self.edit.sig_submit.connect(self.submit)
        self.send_button.clicked.connect(self.submit)
        self.stop_button.clicked.connect(self.sig_stop)
        self.edit.textChanged.connect(self._update_buttons)
        self._running = False
        self._can_send = True
        self._update_buttons()

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.moveCursor(QTextCursor.MoveOperation.End)

    def submit(self) -> None:
        """Send the text as typed (kept exactly, surrounding blank lines aside)."""
        text = self.text()
        if not text.strip() or self._running or not self._can_send:
            return
        self.edit.clear()
        self.sig_send.emit(text)

    def set_running(self, running: bool) -> None:
        """A reply streams in this conversation: Stop on, Send off."""
        self._running = running
        self._update_buttons()

    def set_can_send(self, allowed: bool, reason: str = "") -> None:
        """Whether there is something to send to (an agent is selected)."""
        self._can_send = allowed
        self.edit.setPlaceholderText(PLACEHOLDER if allowed else reason)
        self._update_buttons()

    def _update_buttons(self) -> None:
        # isEmpty, not toPlainText(): no copy of a megabyte paste per keystroke.
        has_text = not self.edit.document().isEmpty()
        self.send_button.setEnabled(self._can_send and not self._running and has_text)
        self.stop_button.setEnabled(self._running)
