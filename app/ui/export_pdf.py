"""PDF export through Qt's own writer: the HTML export laid out by QTextDocument
and printed with QPdfWriter.

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
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QApplication

from app.core.export import ConversationBundle, Theme
from app.core.export.html_format import export_html

_RESOLUTION = 96  # dpi of the layout: text sizes match the screen's


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


def html_to_pdf(html: str, path: Path | str, *, title: str = "AgentDesk export") -> None:
    """Lay out ``html`` on A4 pages and write the PDF to ``path``."""
    writer = pdf_writer(path, title)
    document = paged_document(writer)
    document.setHtml(html)
    print_document(document, writer, path)


def export_pdf(bundles: Sequence[ConversationBundle], path: Path | str, *,
               theme: Theme = "light") -> None:
    """Write ``bundles`` as a PDF (the HTML export with inline code colours)."""
    html = export_html(bundles, theme, inline_styles=True)
    title = bundles[0].conversation.title if len(bundles) == 1 else "Conversations"
    html_to_pdf(html, path, title=title)
