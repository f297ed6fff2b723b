"""PDF export through Qt's own writer: the HTML export laid out by QTextDocument
and printed with QPdfWriter.

Two ways to fill the document, the same document either way (a test compares
them page by page, pixel for pixel):

- ``batched=True`` (the window's exports, written on a worker thread): the
  export's fragments a batch (~64 KB of HTML) at a time with
  ``QTextCursor.insertHtml``. Each Qt call holds Python's interpreter lock
  while it parses; one ``setHtml`` of a 5,000-message chat holds it ~0.9 s,
  a batch ~20 ms, so the app's event loop keeps running meanwhile.
  ``print_`` (layout and writing) releases the lock.
- ``batched=False`` (the CLI, and a drag, which must finish before the drop):
  the whole page in one ``setHtml``, about 10 % faster end to end (batches
  are parsed into a fragment, then copied in, and the copied document prints
  a little slower) — there is no window to keep alive.

Everything here may run on any QThread: the document and writer live and die
on the thread that calls.

The HTML is ours (escaped, no images, no scripts), and the document refuses to
load any resource anyway: ``loadResource`` returns nothing, so a stray image or
stylesheet reference can never read a file or reach the network.

Headless use (the CLI) needs a Qt application; ``ensure_gui_application``
creates one on demand, offscreen when there is no display. It is a full
QApplication (not a bare QGuiApplication) so that widgets can still be made in
the same process afterwards, as the GUI and the tests do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication

from app.core.export import ConversationBundle, Theme
from app.core.export.html_format import HtmlPieces, pdf_html_pieces

_RESOLUTION = 96  # dpi of the layout: text sizes match the screen's
#: HTML handed to Qt per call: ~16 ms of parsing with the interpreter lock held.
BATCH_CHARS = 64 * 1024


class _NoResourceDocument(QTextDocument):
    """A QTextDocument that never loads images, stylesheets or anything else."""

    def loadResource(self, kind: int, name) -> object:  # noqa: N802 (Qt override)
        return None


def ensure_gui_application() -> QGuiApplication:
    """The running Qt application, or a new offscreen-capable one."""
    app = QGuiApplication.instance()
    if app is not None:
        return app  # type: ignore[return-value]
    if not os.environ.get("QT_QPA_PLATFORM") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            or sys.platform in ("win32", "darwin")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return QApplication([sys.argv[0] if sys.argv else "agentdesk"])


def pdf_writer(path: Path | str, title: str) -> QPdfWriter:
    """A QPdfWriter for A4 portrait pages with 15 mm margins, laid out at 96 dpi."""
    ensure_gui_application()
    writer = QPdfWriter(str(path))
    writer.setResolution(_RESOLUTION)
    writer.setTitle(title)
    writer.setCreator("AgentDesk")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    return writer


def paged_document(writer: QPdfWriter) -> QTextDocument:
    """An empty document that loads no resources, paginated for ``writer``'s pages."""
    document = _NoResourceDocument()
    document.setDocumentMargin(0)
    rect = writer.pageLayout().paintRectPixels(_RESOLUTION)
    document.setPageSize(QSizeF(rect.width(), rect.height()))
    return document


def print_document(document: QTextDocument, writer: QPdfWriter, path: Path | str) -> None:
    document.print_(writer)
    if not Path(path).exists():
        raise OSError(f"the PDF writer could not create {path}")


def html_batches(fragments: Iterable[str], size: int = BATCH_CHARS) -> Iterator[str]:
    """``fragments`` joined into pieces of about ``size`` characters (a larger
    fragment is a batch of its own; fragments are never split)."""
    batch: list[str] = []
    length = 0
    for fragment in fragments:
        if batch and length + len(fragment) > size:
            yield "\n".join(batch)
            batch, length = [], 0
        batch.append(fragment)
        length += len(fragment)
    if batch:
        yield "\n".join(batch)


def fill_document(document: QTextDocument, pieces: HtmlPieces) -> None:
    """Lay ``pieces`` into ``document`` a batch at a time (what ``setHtml`` of
    ``pieces.page()`` gives, in short calls): the stylesheet as the default one,
    the page background on the root frame (what ``<body>`` gives a whole page),
    and each batch inside a ``<body>`` so the body's text colour applies to it."""
    document.setDefaultStyleSheet(pieces.stylesheet)
    root = document.rootFrame()
    frame_format = root.frameFormat()
    frame_format.setBackground(QColor(pieces.background))
    root.setFrameFormat(frame_format)
    cursor = QTextCursor(document)
    for index, batch in enumerate(html_batches(pieces.body_fragments())):
        if index:
            cursor.insertBlock()  # else the batch's first paragraph joins the last one
        cursor.insertHtml(f"<body>{batch}</body>")


def pieces_to_pdf(pieces: HtmlPieces, path: Path | str, *, batched: bool = True) -> None:
    """Lay out an HTML export on A4 pages and write the PDF to ``path``;
    ``batched``: in short calls, for a worker thread beside a running window."""
    writer = pdf_writer(path, pieces.title)
    document = paged_document(writer)
    if batched:
        fill_document(document, pieces)
    else:
        document.setHtml(pieces.page())
    print_document(document, writer, path)


def export_pdf(bundles: Sequence[ConversationBundle], path: Path | str, *,
               theme: Theme = "light") -> None:
    """Write ``bundles`` as a PDF (the HTML export with inline code colours),
    in one go: for the CLI and drags, where nothing runs beside it."""
    pieces_to_pdf(pdf_html_pieces(bundles, theme), path, batched=False)
