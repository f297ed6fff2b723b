"""The in-app source viewer a citation of a non-PDF file opens.

Read-only plain text (``QPlainTextEdit``: no HTML is rendered, nothing in the
file is a link), bounded (app/core/knowledge/source_text.py), read on a worker
thread so a large or slow file never blocks the window. It opens scrolled to
the cited chunk, which is selected and marked with a background. "Open file"
hands the file to the desktop's app — only after the same checks as a
citation's link (``citation_url``: an existing regular local file that is not
the open database). One viewer per window, reused for the next citation.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QDesktopServices, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.knowledge.source_text import SourceText, load_source
from app.ui.chat.citation_links import OpenFn, citation_url, reference_label
from app.ui.plain_text import plain_label

log = logging.getLogger(__name__)


def utf16_index(text: str, index: int) -> int:
    """A Python string index as a Qt document position (UTF-16 code units)."""
    return len(text[:index].encode("utf-16-le")) // 2


class _Loader(QObject):
    """Runs ``load_source`` on a thread; the result arrives on the GUI thread."""

    sig_loaded = Signal(int, object)

    def start(self, generation: int, reference: dict[str, Any]) -> None:
        def work() -> None:
            result = load_source(reference["path"], reference.get("text") or "",
                                 reference.get("location") or "")
            try:
                self.sig_loaded.emit(generation, result)
            except RuntimeError:             # the window closed while the file was read
                log.info("source viewer closed before %s was read", reference["path"])

        threading.Thread(target=work, name="source-viewer-read", daemon=True).start()


class SourceViewer(QDialog):
    """A cited file as plain text, at the cited chunk."""

    #: The text is shown (after a load) — tests wait on it.
    sig_shown = Signal()
    #: Tests replace it to see what would be opened.
    opener: OpenFn = staticmethod(QDesktopServices.openUrl)  # type: ignore[assignment]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceViewer")
        self.setWindowTitle("Source")
        self.setModal(False)
        self.resize(720, 560)
        self.reference: dict[str, Any] = {}
        self.source: SourceText | None = None
        self._generation = 0
        self.title = plain_label(QLabel())
        self.title.setObjectName("sourceTitle")
        self.title.setWordWrap(True)
        self.note = plain_label(QLabel())
        self.note.setObjectName("sourceNote")
        self.note.setWordWrap(True)
        self.note.hide()
        self.text = QPlainTextEdit()
        self.text.setObjectName("sourceText")
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.open_button = QPushButton("Open file")
        self.open_button.setObjectName("openSourceFile")
        self.open_button.setToolTip("Open the file in the app your system uses for it")
        self.open_button.clicked.connect(self.open_file)
        close = QPushButton("Close")
        close.setObjectName("closeSourceViewer")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self._loader = _Loader(self)
        self._loader.sig_loaded.connect(self._loaded)

    # -- showing a reference -------------------------------------------------------------
    def show_reference(self, reference: dict[str, Any]) -> None:
        """Show the cited file, reading it on a thread (a later call wins)."""
        self._generation += 1
        self.reference = dict(reference)
        self.source = None
        label = reference_label(reference)
        self.title.setText(f"{label}\n{reference['path']}")
        self.setWindowTitle(f"Source — {Path(reference['path']).name}")
        self.note.setText("Reading the file…")
        self.note.show()
        self.text.setPlainText("")
        self.open_button.setEnabled(citation_url(reference) is not None)
        self.show()
        self.raise_()
        self.activateWindow()
        if citation_url(reference) is None:
            self._loaded(self._generation, SourceText(
                error="This file cannot be shown: it is gone, not a regular local file, "
                      "or one of AgentDesk's own files."))
            return
        self._loader.start(self._generation, self.reference)

    def _loaded(self, generation: int, source: SourceText) -> None:
        if generation != self._generation:
            return                               # another citation was opened meanwhile
        self.source = source
        message = source.error or source.note
        self.note.setText(message)
        self.note.setVisible(bool(message))
        self.text.setPlainText(source.text)
        self._mark()
        QTimer.singleShot(0, self, self._scroll)
        self.sig_shown.emit()

    def cited_range(self) -> tuple[int, int] | None:
        """The chunk's (start, end) as Qt document positions, or None."""
        source = self.source
        if source is None or source.span is None:
            return None
        start, end = source.span
        return utf16_index(source.text, start), utf16_index(source.text, end)

    def _mark(self) -> None:
        cited = self.cited_range()
        if cited is None:
            self.text.setExtraSelections([])
            return
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(cited[1])         # selected backwards: the cursor at the
        cursor.setPosition(cited[0], QTextCursor.MoveMode.KeepAnchor)   # chunk's start
        self.text.setTextCursor(cursor)
        mark = QTextEdit.ExtraSelection()
        mark.cursor = cursor
        fmt = QTextCharFormat()
        fmt.setBackground(self._mark_colour())
        mark.format = fmt
        self.text.setExtraSelections([mark])

    def _mark_colour(self) -> QColor:
        dark = self.palette().base().color().lightness() < 128
        return QColor("#6b5400") if dark else QColor("#fff0a0")

    def _scroll(self) -> None:
        cited = self.cited_range()
        if cited is None:
            self.text.moveCursor(QTextCursor.MoveOperation.Start)
            return
        selected = self.text.textCursor()
        start, end = QTextCursor(self.text.document()), QTextCursor(self.text.document())
        start.setPosition(cited[0])
        end.setPosition(cited[1])
        self.text.setTextCursor(start)       # the chunk's first line in the middle
        self.text.centerCursor()
        if self.text.cursorRect(end).bottom() > self.text.viewport().height():
            # Then as much of the chunk as fits: its end shown, unless that
            # pushes its start off the top (the start wins).
            self.text.setTextCursor(end)
            self.text.ensureCursorVisible()
            self.text.setTextCursor(start)
            self.text.ensureCursorVisible()
        self.text.setTextCursor(selected)    # the chunk selected again (cursor at its start)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._mark()                     # the mark's colour follows the theme

    # -- the file itself -----------------------------------------------------------------
    def open_file(self) -> bool:
        """Hand the file to the desktop's app, if it passes the checks."""
        url = citation_url({"path": self.reference.get("path")})
        if url is None:
            return False
        type(self).opener(url)
        return True


def show_source(reference: dict[str, Any], parent: QWidget | None) -> SourceViewer:
    """The window's source viewer (made on first use), showing ``reference``."""
    global _unowned
    owner = parent.window() if parent is not None else None
    viewer = owner.findChild(SourceViewer, "sourceViewer") if owner is not None else _unowned
    if viewer is None:
        viewer = SourceViewer(owner)
        if owner is None:
            _unowned = viewer                # kept, or Python would collect it
    viewer.show_reference(reference)
    return viewer


_unowned: SourceViewer | None = None
