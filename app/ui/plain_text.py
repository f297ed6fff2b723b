"""Untrusted text shown as plain text outside the sanitised chat view.

Qt guesses: a QLabel, a QMessageBox and every tooltip (widget or item view)
use ``Qt::AutoText``, so a string that merely *looks* like HTML
(``<a href="https://evil.example/login">Session expired</a><img src="/path">``
as an agent name, chat title, remembered fact, file name or provider error)
becomes a live link and loads a local image. Model replies go through the chat
view's own sanitiser; everything else goes through here:

* ``plain_box`` — a message box whose labels show exactly their text, with no
  link opening (QMessageBox's own labels open external links by default);
* ``plain_label`` — the same for one QLabel;
* ``tooltip`` — a tooltip string Qt shows exactly as given: text Qt would take
  for rich text is escaped inside a pre-wrap paragraph (a tooltip has no
  "plain" switch); anything else is returned unchanged.

Where a widget needs our own formatting (a coloured status), the untrusted
parts are ``html.escape``d before they are put into it (see data_page.py,
providers_page.py).
"""

from __future__ import annotations

import html

from PySide6.QtGui import Qt
from PySide6.QtWidgets import QLabel, QMessageBox


def plain_label(label: QLabel) -> QLabel:
    """Show ``label``'s text as plain text; never open links from it."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setOpenExternalLinks(False)
    return label


def plain_box(box: QMessageBox) -> QMessageBox:
    """Text and informative text of ``box`` as plain text, no links opened
    (before or after the texts are set: Qt applies the format to both)."""
    box.setTextFormat(Qt.TextFormat.PlainText)
    for label in box.findChildren(QLabel):
        if label.objectName() != "qt_msgboxex_icon_label":
            label.setOpenExternalLinks(False)
    return box


def tooltip(text: str) -> str:
    """``text`` as a tooltip Qt shows literally (see the module docstring)."""
    if "<" not in text and not Qt.mightBeRichText(text):
        return text
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"
