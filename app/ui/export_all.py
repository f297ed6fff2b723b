"""Export all conversations: the file picker and the PDF writer hook, shared by
Settings › Data ("Export all…") and the File menu ("Export All Chats…").

The export itself is app/ops/exchange.py, scheduled by ``DataService.export_all``:
reading on the store's worker, rendering and the atomic write on an executor thread. The format comes
from the file name's suffix (.json, .md, .html, .pdf), else from the chosen
filter (its suffix is then added).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QWidget

from app.ops.exchange import ExportError, ExportResult, export_target
from app.services.data_service import DataService
from app.ui.file_dialogs import file_dialog
from app.ui.prompts import inform, warn

if TYPE_CHECKING:  # the exporter (Markdown, Pygments) loads on the first export only
    from app.core.export.html_format import HtmlPieces

#: (filter shown in the picker, format), the first is the default.
FILTERS = (("AgentDesk JSON — imports back (*.json)", "json"),
           ("Markdown (*.md)", "md"),
           ("HTML page (*.html)", "html"),
           ("PDF (*.pdf)", "pdf"))
PICKER_NAME = "exportAllPicker"
TITLE = "Export all chats"


def write_pdf(pieces: HtmlPieces, path: Path) -> None:
    """The PDF writer DataService.export_all calls for "pdf" (on a worker thread)."""
    from app.ui.export_pdf import pieces_to_pdf

    pieces_to_pdf(replace(pieces, title="AgentDesk conversations"), path)


async def export_all(service: DataService, destination: Path, fmt: str,
                     ids: list[int] | None = None) -> ExportResult:
    """Every conversation (or those ``ids``) to ``destination`` in ``fmt``."""
    return await service.export_all(destination, fmt, pdf_writer=write_pdf, ids=ids)


def choose_export_file(parent: QWidget, on_chosen: Callable[[Path, str], None],
                       folder: Path | None = None, *, title: str = TITLE,
                       name: str | None = None, default_format: str = "json") -> QFileDialog:
    """Open a (non-blocking) save picker; ``on_chosen(path, format)`` follows.
    ``name``: the suggested file name (default: dated, in ``default_format``)."""
    formats = dict(FILTERS)
    default_format = default_format if default_format in formats.values() else "json"
    if name is None:
        stem = f"agentdesk-conversations-{datetime.now():%Y-%m-%d}"
        name = export_target(stem, default_format)[0].name
    filters = sorted(FILTERS, key=lambda item: item[1] != default_format)
    picker = file_dialog(parent, title, str((folder or Path.home()) / name),
                         ";;".join(label for label, _fmt in filters))
    picker.setObjectName(PICKER_NAME)
    picker.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def chosen(path: str) -> None:
        target, fmt = export_target(path, formats.get(picker.selectedNameFilter(),
                                                      default_format))
        on_chosen(target, fmt)

    picker.fileSelected.connect(chosen)
    picker.open()
    return picker


def describe_export(result: ExportResult) -> str:
    count = result.conversations
    return (f"Exported {count:,} conversation{'s' if count != 1 else ''} "
            f"({result.format.upper()}) to {result.path}.")


def export_from_window(window: QMainWindow, action: QAction, service: DataService,
                       spawn: Callable[[Coroutine[Any, Any, None], str], object]) -> None:
    """File › Export All Chats…: pick a file, export, then a box says
    how many went where (or why nothing was written). ``action`` is disabled
    while the export runs."""

    def chosen(path: Path, fmt: str) -> None:
        action.setEnabled(False)
        window.statusBar().showMessage(f"Exporting all conversations to {path}…")
        spawn(run(path, fmt), "export-all")

    async def run(path: Path, fmt: str) -> None:
        try:
            result = await export_all(service, path, fmt)
        except ExportError as exc:
            window.statusBar().clearMessage()
            warn(window, TITLE, f"Nothing was exported: {exc}")
            return
        finally:
            action.setEnabled(True)
        window.statusBar().showMessage(describe_export(result), 8000)
        inform(window, TITLE, describe_export(result))

    choose_export_file(window, chosen)
