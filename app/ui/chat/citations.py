"""The sources under a reply that used the agent's knowledge: ``[1] guide.md — Install``.

Each reference (``meta["knowledge"]`` of the reply, app/core/knowledge/turn.py)
is a button; its tooltip shows the excerpt the model was given (plain text,
bounded), so the chunks used stay visible after the reply. Clicking opens the
file with the desktop's viewer, at the page for a PDF (``#page=N``). The link
is checked first: only a ``file:`` URL of an existing regular file that is not
one of the open database's own files is opened, whatever the stored meta says.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.domain.live_files import is_live
from app.ui.plain_text import tooltip

MAX_SHOWN = 40
MAX_TOOLTIP_CHARS = 800
OpenFn = Callable[[QUrl], object]


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
                        "text": str(item.get("text") or "")[:MAX_TOOLTIP_CHARS]})
    return out


def citation_url(reference: dict[str, Any]) -> QUrl | None:
    """The file URL a reference opens (at its page), or None when it must not open."""
    path = reference.get("path")
    if not isinstance(path, str) or not os.path.isabs(path):
        return None
    if not Path(path).is_file() or is_live(path):
        return None
    url = QUrl.fromLocalFile(path)
    if url.scheme() != "file" or not url.isLocalFile():
        return None
    if reference.get("page"):
        url.setFragment(f"page={int(reference['page'])}")
    return url


def open_citation(reference: dict[str, Any], opener: OpenFn = QDesktopServices.openUrl) -> bool:
    """Open the reference's file (True) when its link passes the checks."""
    url = citation_url(reference)
    if url is None:
        return False
    opener(url)
    return True


def reference_label(reference: dict[str, Any]) -> str:
    where = f" — {reference['location']}" if reference["location"] else ""
    return f"[{reference['n']}] {Path(reference['path']).name}{where}"


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
            shown = " ".join(reference["text"].split())
            button.setToolTip(tooltip(f"{reference['path']}\n\n{shown}"))
            button.clicked.connect(lambda _=False, r=reference: self.open(r))
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)

    def open(self, reference: dict[str, Any]) -> bool:
        opened = open_citation(reference, type(self).opener)
        self.sig_opened.emit(reference, opened)
        return opened
