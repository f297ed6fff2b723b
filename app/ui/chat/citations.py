"""The sources under a reply that used the agent's knowledge: ``[1] guide.md — Install``.

Each reference (``meta["knowledge"]`` of the reply, app/core/knowledge/turn.py)
is a button; its tooltip shows the excerpt the model was given (plain text,
bounded), so the chunks used stay visible after the reply. Clicking a PDF's
opens it with the desktop's viewer at its page (``#page=N``); any other file
opens in the app's source viewer (app/ui/chat/source_viewer.py) scrolled to
the cited chunk, with an "Open file" button. The link is checked first
(app/ui/chat/citation_links.py): only a ``file:`` URL of an existing regular
file that is not one of the open database's own files is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.ui.chat.citation_links import OpenFn, citation_url, is_pdf, reference_label
from app.ui.chat.source_viewer import show_source
from app.ui.plain_text import tooltip

MAX_SHOWN = 40
MAX_TOOLTIP_CHARS = 800
#: The excerpt kept for finding the chunk in the source viewer (the stored
#: excerpt's own bound, app/core/knowledge/turn.py MAX_EXCERPT_CHARS).
MAX_EXCERPT_CHARS = 1500
__all__ = ["CitationBar", "citation_url", "clean_references", "open_citation",
           "reference_label"]


def clean_references(raw: Any) -> list[dict[str, Any]]:
    """The well-formed references of a stored meta value (others dropped)."""
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw[:MAX_SHOWN]:
        if isinstance(item, dict) and isinstance(item.get("n"), int) and \
                isinstance(item.get("path"), str) and item["path"]:
            page = item.get("page")
            out.append({"n": item["n"], "path": item["path"],
                        "location": str(item.get("location") or "")[:200],
                        "page": page if isinstance(page, int) and page > 0 else None,
                        "text": str(item.get("text") or "")[:MAX_EXCERPT_CHARS]})
    return out


def open_citation(reference: dict[str, Any], opener: OpenFn = QDesktopServices.openUrl) -> bool:
    """Open the reference's file (True) when its link passes the checks."""
    url = citation_url(reference)
    if url is None:
        return False
    opener(url)
    return True


class CitationBar(QWidget):
    """"Sources:" and one button per reference."""

    #: A reference was clicked and its file opened (True) or refused (False).
    sig_opened = Signal(dict, bool)
    #: Tests replace it to see what would be opened.
    opener: OpenFn = staticmethod(QDesktopServices.openUrl)  # type: ignore[assignment]

    def __init__(self, references: Sequence[dict[str, Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("citationBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        label = QLabel("Sources:")
        label.setObjectName("citationLabel")
        layout.addWidget(label)
        self.buttons: list[QToolButton] = []
        for reference in references:
            button = QToolButton()
            button.setObjectName("citationButton")
            button.setAutoRaise(True)
            button.setText(reference_label(reference)[:80])
            shown = " ".join(reference["text"][:MAX_TOOLTIP_CHARS].split())
            button.setToolTip(tooltip(f"{reference['path']}\n\n{shown}"))
            button.clicked.connect(lambda _=False, r=reference: self.open(r))
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)

    def open(self, reference: dict[str, Any]) -> bool:
        """A PDF opens in the desktop's viewer at its page; any other file in
        the app's source viewer at the cited chunk. A link that fails the
        checks opens nothing."""
        if is_pdf(reference) or citation_url(reference) is None:
            opened = open_citation(reference, type(self).opener)
        else:
            show_source(reference, self)
            opened = True
        self.sig_opened.emit(reference, opened)
        return opened
