"""What happens when a link in a reply is clicked.

Only absolute http, https and mailto addresses are opened, and only after the
user confirmed a dialog that shows the full (encoded) address, so a link's text
cannot hide where it goes. The confirmation and the opener are injectable so
tests can answer the dialog and see what would have been opened.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.chat.markdown_render import is_allowed_url
from app.ui.plain_text import plain_box

ConfirmFn = Callable[[QWidget | None, str], bool]
OpenFn = Callable[[QUrl], object]


def confirm_with_dialog(parent: QWidget | None, url: str) -> bool:
    """Ask before opening; the full address is shown, selectable."""
    box = QMessageBox(parent)
    box.setObjectName("linkConfirmDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Open link?")
    box.setText("Open this address in your web browser or mail program?")
    box.setInformativeText(url)
    box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    plain_box(box)                      # the address is shown, never rendered
    return box.exec() == QMessageBox.StandardButton.Open


class LinkPolicy:
    def __init__(self, confirm: ConfirmFn = confirm_with_dialog,
                 opener: OpenFn = QDesktopServices.openUrl) -> None:
        self.confirm = confirm
        self.opener = opener

    def handle(self, url: str, parent: QWidget | None = None) -> bool:
        """Open ``url`` if it is allowed and the user agrees; True when opened."""
        if not is_allowed_url(url):
            return False
        qurl = QUrl(url, QUrl.ParsingMode.StrictMode)
        if not qurl.isValid():
            return False
        full = qurl.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        if not self.confirm(parent, full):
            return False
        self.opener(qurl)
        return True
