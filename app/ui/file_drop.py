"""Dropping a text file on the composer adds its content to the message.

An event filter on the composer's viewport (where a QPlainTextEdit receives
its drag events), so the composer itself stays unchanged. Local files only;
each is read whole if it is at most ``MAX_BYTES`` and is text (UTF-8, no NUL
bytes); anything else is refused with a message naming the file and why.
Drops that carry no local file (dragged text) are left to the text edit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QPlainTextEdit

from app.core.bounded_read import BoundedReadError, read_bounded

log = logging.getLogger(__name__)

MAX_BYTES = 1_000_000


class FileRefused(ValueError):
    """The file cannot be added to a message; the text says why."""


@dataclass(frozen=True)
class DroppedText:
    path: Path
    text: str


def local_files(mime: QMimeData) -> list[Path]:
    """The local files a drag carries (none if any URL is not a local file)."""
    if not mime.hasUrls():
        return []
    urls = mime.urls()
    if not urls or not all(url.isLocalFile() for url in urls):
        return []
    return [Path(url.toLocalFile()) for url in urls]


_ATTACHED_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".pdf", ".docx", ".pptx",
                      ".xlsx", ".xlsm"}


def is_attachment(path: Path) -> bool:
    """Dropped files that become attachments: images and PDF/office documents."""
    return path.suffix.lower() in _ATTACHED_SUFFIXES


def read_text_file(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The file's text; FileRefused if it is missing, too big, or binary."""
    try:
        text = read_bounded(path, max_bytes)
    except BoundedReadError as exc:
        raise FileRefused(str(exc)) from None
    return text.replace("\r\n", "\n")


class ComposerFileDrop(QObject):
    """Reads files dropped on a QPlainTextEdit into it at the drop point."""

    #: Text of files added (one DroppedText per file).
    sig_added = Signal(object)
    #: Why files were refused (one line per file).
    sig_refused = Signal(str)

    def __init__(self, edit: QPlainTextEdit, *, max_bytes: int = MAX_BYTES,
                 parent: QObject | None = None,
                 attach: Callable[[list[Path]], object] | None = None) -> None:
        super().__init__(parent or edit)
        self._edit = edit
        #: Where images and office/PDF documents go (the composer's
        #: attachments); text files are still added to the message as text.
        self.attach = attach
        self.max_bytes = max_bytes
        edit.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, (QDragEnterEvent, QDragMoveEvent))
            if local_files(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            files = local_files(event.mimeData())
            if files:
                event.acceptProposedAction()
                self.drop(files, event.position().toPoint())
                return True
        return False

    def drop(self, files: list[Path], point: object = None) -> list[DroppedText]:
        """Add the files' text at ``point`` (viewport coordinates) or the cursor."""
        added: list[DroppedText] = []
        refused: list[str] = []
        if self.attach is not None:
            attached = [path for path in files if is_attachment(path)]
            if attached:
                self.attach(attached)
            files = [path for path in files if path not in attached]
        for path in files:
            try:
                added.append(DroppedText(path, read_text_file(path, self.max_bytes)))
            except FileRefused as exc:
                refused.append(str(exc))
        if added:
            cursor = (self._edit.cursorForPosition(point)  # type: ignore[arg-type]
                      if point is not None else self._edit.textCursor())
            text = "\n\n".join(item.text for item in added)
            cursor.insertText(text)
            self._edit.setTextCursor(cursor)
            self._edit.setFocus()
            log.info("added %d dropped file(s) to the message", len(added))
            self.sig_added.emit(added)
        if refused:
            log.info("refused dropped file(s): %s", "; ".join(refused))
            self.sig_refused.emit("\n".join(refused))
        return added
