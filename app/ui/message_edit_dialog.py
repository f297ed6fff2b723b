"""Edit a message you sent and send it again (``editMessageDialog``).

The edited text is sent as a new version of the message; the original and
the messages after it are kept as the earlier version (◀ ▶ under the message
switches between them). The note says so, and how many messages that branch holds.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class MessageEditDialog(QDialog):
    #: The edited text, after the person pressed the resend button.
    sig_resend = Signal(str)

    def __init__(self, text: str, later_messages: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editMessageDialog")
        self.setWindowTitle("Edit and Resend")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(560, 320)
        self.edit = QPlainTextEdit()
        self.edit.setObjectName("editMessageText")
        self.edit.setPlainText(text)
        if later_messages:
            note = (f"The edited text is sent as a new version of this message. The "
                    f"original and the {later_messages} message"
                    f"{'s' if later_messages != 1 else ''} after it are kept as the "
                    "earlier version (◀ ▶ under the message switches).")
        else:
            note = ("The edited text is sent as a new version of this message; the "
                    "original is kept (◀ ▶ under the message switches).")
        self.note = QLabel(note)
        self.note.setObjectName("editMessageNote")
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.resend_button = self.buttons.addButton(
            "Resend",
            QDialogButtonBox.ButtonRole.AcceptRole)
        self.resend_button.setObjectName("resendButton")
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.edit.textChanged.connect(
            lambda: self.resend_button.setEnabled(bool(self.edit.toPlainText().strip())))

    def accept(self) -> None:
        text = self.edit.toPlainText()
        if not text.strip():
            return
        super().accept()
        self.sig_resend.emit(text)
