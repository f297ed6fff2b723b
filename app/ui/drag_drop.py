"""Conversations dragged out as files, and files dropped in as conversations.

Drag out (``ConversationDrag``): the conversation list model asks it for the
mime data of the dragged rows. Each conversation is exported in the default
format (``settings.export_format``, Markdown unless set otherwise) to a file in
a temporary folder of this run, named after its title: ``text/uri-list``
points at those files (a file manager or the desktop copies them), and
``text/plain`` / ``text/markdown`` carry the Markdown text (another app's
text field takes that). Qt asks for the mime data synchronously when the drag
starts, so this thread waits while the conversations are read on the store's
worker (``AsyncStore.run_blocking``) and written by app/ops/exchange.py's one
atomic writer on a thread of its own: the UI thread neither touches SQLite nor
renders or writes.

Drop in (``WindowDropImporter``): local files dropped on the main window (our
JSON export, a ChatGPT ``conversations.json``, an Open WebUI JSON export, a
Markdown file) are imported on the store's worker by app/core/export, and a
non-blocking box reports how many conversations were imported and which were
skipped and why (``exchange.import_files``). Drags that start in this app (a
conversation dragged from the list) are not imported again.

app/core/export is imported on first use (a drag or a drop), not at start.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain import AgentSpec, Conversation
from app.ops import exchange
from app.ops.exchange import ImportSummary
from app.services.store_bridge import StoreBridge
from app.ui.file_drop import local_files
from app.ui.grant_question import ask_to_grant

if TYPE_CHECKING:
    from app.core.export.agent_grants import AgentGrants
    from app.core.export.html_format import HtmlPieces

log = logging.getLogger(__name__)

MARKDOWN_MIME = "text/markdown"
URI_LIST_MIME = "text/uri-list"
PLAIN_MIME = "text/plain"
DRAG_TIMEOUT_S = 10.0
FILENAME_CHARS = 80


def safe_filename(title: str, extension: str, taken: set[str] | None = None) -> str:
    """A file name from a conversation title: no path separators or control
    characters, not hidden, not empty, unique within ``taken``."""
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", title)
    name = " ".join(name.split()).strip(". ")[:FILENAME_CHARS].rstrip(". ") or "chat"
    candidate, number = f"{name}{extension}", 2
    while taken is not None and candidate.casefold() in taken:
        candidate = f"{name} ({number}){extension}"
        number += 1
    if taken is not None:
        taken.add(candidate.casefold())
    return candidate


def write_pdf(pieces: HtmlPieces, path: Path) -> None:
    """A dragged chat as PDF (on the drag's writing thread; nothing runs beside
    it that a one-go layout would hold up)."""
    from app.ui.export_pdf import pieces_to_pdf

    pieces_to_pdf(pieces, path, batched=False)


# -- drag out -------------------------------------------------------------------------------
class ConversationDrag(QObject):
    """Builds the mime data of conversations dragged from the list."""

    def __init__(self, bridge: StoreBridge, export_format: Callable[[], str],
                 parent: QObject | None = None) -> None:
        """``export_format``: the default format now (the settings may change)."""
        super().__init__(parent)
        self._bridge = bridge
        self._format = export_format
        self._folder: Path | None = None
        self._writer: ThreadPoolExecutor | None = None
        self.last_files: list[Path] = []

    @staticmethod
    def mime_types() -> list[str]:
        return [URI_LIST_MIME, PLAIN_MIME, MARKDOWN_MIME]

    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="agentdesk-drag-"))
        return self._folder

    def mime_data(self, conversations: list[Conversation]) -> QMimeData | None:
        ids = [c.id for c in conversations if c.id is not None]
        if not ids:
            return None
        fmt = self._format()
        if fmt not in exchange.FORMAT_SUFFIXES:
            fmt = "md"
        # A fresh folder per drag: a file of an earlier drag may still be copied.
        target = Path(tempfile.mkdtemp(prefix="drag-", dir=self.folder()))
        names: set[str] = set()
        planned = [(c.id, target / safe_filename(c.title, exchange.FORMAT_SUFFIXES[fmt], names))
                   for c in conversations if c.id is not None]
        try:
            bundles = self._bridge.store.run_blocking(
                partial(exchange.load_conversations, ids=[cid for cid, _path in planned]),
                timeout=DRAG_TIMEOUT_S)
            texts = self.writer().submit(
                exchange.write_each, bundles, [path for _cid, path in planned], fmt,
                pdf_writer=write_pdf).result(timeout=DRAG_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 — a failed export must not break the drag
            log.exception("exporting the dragged conversation failed")
            self._bridge.sig_error.emit(f"Could not export the chat: {exc}")
            return None
        self.last_files = [path for _id, path in planned]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path)) for path in self.last_files])
        markdown = "\n\n---\n\n".join(texts)
        mime.setText(markdown)
        mime.setData(MARKDOWN_MIME, markdown.encode("utf-8"))
        log.info("dragging %d conversation(s) as %s", len(planned), fmt)
        return mime

    def writer(self) -> ThreadPoolExecutor:
        """The thread that renders and writes drag files (made on the first drag)."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="drag-export")
        return self._writer

    def cleanup(self) -> None:
        """Remove this run's drag files and stop the writing thread (at shutdown)."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


# -- drop in ----------------------------------------------------------------------------------
class WindowDropImporter(QObject):
    """Accepts file drops on a window and imports them as conversations."""

    #: After an import: the ImportSummary.
    sig_imported = Signal(object)

    def __init__(self, window: QWidget, bridge: StoreBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._bridge = bridge
        self.report_box: QMessageBox | None = None
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, (QDragEnterEvent, QDragMoveEvent))
            if event.source() is None and local_files(event.mimeData()):
                event.acceptProposedAction()
            else:
                event.ignore()
            return True
        if kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            files = local_files(event.mimeData()) if event.source() is None else []
            if not files:
                event.ignore()
                return True
            event.acceptProposedAction()
            self.import_paths(files)
            return True
        return False

    def import_paths(self, paths: list[Path],  # noqa: ANN201 (the task)
                     refused: Sequence[tuple[str, str]] = ()):
        """Import ``paths``; ``refused`` (name, reason) are files the caller
        could not even open (app/ui/open_files.py), listed as skipped in the
        same report."""
        async def run() -> ImportSummary:
            summary = await self._bridge.run(partial(exchange.import_files, paths=paths))
            summary.skipped += list(refused)
            log.info("import of %s: %d imported, %d skipped", summary.files,
                     len(summary.imported), len(summary.skipped))
            self._report(summary)
            self.sig_imported.emit(summary)
            return summary
        return self._bridge.spawn(run(), name="import-dropped-files")

    def _report(self, summary: ImportSummary) -> None:
        icon = (QMessageBox.Icon.Information if summary.imported
                else QMessageBox.Icon.Warning)
        box = QMessageBox(icon, "Import", summary.text(), QMessageBox.StandardButton.Ok,
                          self._window)
        box.setObjectName("importReport")
        box.setTextFormat(Qt.TextFormat.PlainText)       # names and reasons come from files
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(lambda *_: setattr(self, "report_box", None))
        box.finished.connect(lambda _result: self._ask_grants(list(summary.withheld)))
        self.report_box = box
        box.open()

    def _ask_grants(self, pending: list[tuple[AgentSpec, AgentGrants]]) -> None:
        """After the report: one question per imported agent whose file asked
        for tool permissions, one after the other."""
        while pending:
            agent, grants = pending.pop(0)
            if grants.policies:
                ask_to_grant(self._window, self._bridge, agent, grants,
                             on_answer=lambda _agent: self._ask_grants(pending))
                return
