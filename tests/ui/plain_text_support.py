"""A guard for "untrusted text is shown as text": scan widgets for a hostile
string rendered as rich text (a live link, a loaded image).

What a person sees is worked out the way Qt decides it: a QLabel in PlainText
(or AutoText on text Qt does not take for HTML) shows its text as is; otherwise
the text is laid out as HTML, and the hostile string survives only if it was
escaped. A tooltip has no format switch: Qt uses the same guess.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QWidget

HOSTILE = ('<a href="https://evil.example/login">Session expired</a>'
           '<img src="/etc/agentdesk-probe.png">')
MARKER = "evil.example"


def _as_html(text: str) -> QTextDocument:
    document = QTextDocument()
    document.setHtml(text)
    return document


def label_is_rich(label: QLabel) -> bool:
    fmt = label.textFormat()
    return fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and Qt.mightBeRichText(label.text()))


def shown_label_text(label: QLabel) -> str:
    return _as_html(label.text()).toPlainText() if label_is_rich(label) else label.text()


def shown_tooltip(tip: str) -> str:
    return _as_html(tip).toPlainText() if Qt.mightBeRichText(tip) else tip


def has_link_or_image(html_text: str) -> bool:
    """True when ``html_text``, laid out as HTML, holds an anchor or an image."""
    document = _as_html(html_text)       # kept alive while its blocks are read
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isAnchor() or fmt.isImageFormat():
                return True
            it += 1
        block = block.next()
    return False


def hostile_problems(widgets: Iterable[QWidget]) -> list[str]:
    """Every label or tooltip in ``widgets`` (and their children) that shows the
    hostile string other than as text; empty when all is well."""
    problems: list[str] = []
    seen: set[int] = set()
    for root in widgets:
        for widget in [root, *root.findChildren(QWidget)]:
            if id(widget) in seen:
                continue
            seen.add(id(widget))
            name = f"{type(widget).__name__}#{widget.objectName()}"
            if isinstance(widget, QLabel) and MARKER in widget.text():
                if label_is_rich(widget) and has_link_or_image(widget.text()):
                    problems.append(f"{name}: rich text with a link/image")
                if widget.openExternalLinks() and label_is_rich(widget):
                    problems.append(f"{name}: opens external links")
                if label_is_rich(widget) and HOSTILE not in shown_label_text(widget):
                    problems.append(f"{name}: shows {shown_label_text(widget)!r}")
            tip = widget.toolTip()
            if MARKER in tip and HOSTILE not in shown_tooltip(tip):
                problems.append(f"{name} tooltip: shows {shown_tooltip(tip)!r}")
    return problems


def model_tooltip_problems(model, rows: int | None = None) -> list[str]:
    """The same for an item model's ToolTipRole."""
    problems: list[str] = []
    for row in range(model.rowCount(QModelIndex()) if rows is None else rows):
        tip = model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) or ""
        if MARKER in tip and (HOSTILE not in shown_tooltip(tip)
                              or has_link_or_image(tip) and Qt.mightBeRichText(tip)):
            problems.append(f"{type(model).__name__} row {row}: {shown_tooltip(tip)!r}")
    return problems


def all_windows() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]
