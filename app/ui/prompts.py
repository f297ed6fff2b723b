"""Non-blocking message boxes for the main window.

Opened with ``open()``, never ``exec()``: a nested event loop inside a
running qasync task would let another task step run inside this one.

Their texts are plain text, never HTML, and open no links: titles, names,
file names and errors put into them come from models, files and servers
(app/ui/plain_text.py).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.plain_text import plain_box


def confirm(parent: QWidget, title: str, text: str, on_yes: Callable[[], None], *,
            yes_text: str = "OK", informative: str = "") -> QMessageBox:
    """Ask; ``on_yes`` runs only if the person confirms. Cancel is the default."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("confirmMessage")
    if informative:
        box.setInformativeText(informative)
    plain_box(box)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(_result: int) -> None:
        if box.clickedButton() is yes:
            on_yes()

    box.finished.connect(finished)
    box.open()
    return box


def inform(parent: QWidget, title: str, text: str, *, warning: bool = False) -> QMessageBox:
    """Tell the person something; returns at once (the box closes itself)."""
    icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("warningMessage" if warning else "infoMessage")
    plain_box(box)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def warn(parent: QWidget, title: str, text: str) -> QMessageBox:
    return inform(parent, title, text, warning=True)
