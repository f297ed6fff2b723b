"""A QTextBrowser that loads nothing, opens nothing itself, and sizes to its text.

- ``loadResource`` is overridden to return nothing for every request (images,
  style sheets, files, remote URLs), and records what was asked so tests can
  check that nothing was.
- Link clicks are never followed by Qt (``openLinks`` off): internal action
  links (``agentdesk-action:``) go to ``sig_action``; every other link goes to
  ``sig_link`` and the view's link policy decides.
- The height follows the document (no inner scroll bar) so many of them can
  sit in one scroll area; wheel events pass to that scroll area.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSizeF, Qt, QUrl, Signal
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from app.ui.chat.markdown_render import ACTION_SCHEME


class SafeTextBrowser(QTextBrowser):
    #: A link to something outside (its full address); not yet checked or opened.
    sig_link = Signal(str)
    #: One of our own action links, e.g. "copy-code/3".
    sig_action = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resource_requests: list[str] = []
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        # Transparent over the message bubble (a palette, not a per-widget style
        # sheet, which would be parsed and polished for every new segment).
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Base, Qt.GlobalColor.transparent)
        self.setPalette(palette)
        self.viewport().setAutoFillBackground(False)
        document = self.document()
        document.setUndoRedoEnabled(False)  # an undo stack would keep every redraw
        document.setDocumentMargin(2)
        document.documentLayout().documentSizeChanged.connect(self._fit_height)
        self.anchorClicked.connect(self._on_anchor)
        self.setFixedHeight(self._height_for(document.size()))

    # -- nothing is ever loaded -------------------------------------------------------
    def loadResource(self, kind: int, name: QUrl) -> object:  # noqa: N802 (Qt name)
        self.resource_requests.append(name.toString())
        return None

    # -- links ------------------------------------------------------------------------
    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == ACTION_SCHEME:
            self.sig_action.emit(url.path())
        else:
            self.sig_link.emit(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))

    # -- sizing -----------------------------------------------------------------------
    def _height_for(self, size: QSizeF) -> int:
        margins = self.contentsMargins()
        return max(8, math.ceil(size.height()) + margins.top() + margins.bottom())

    def _fit_height(self, size: QSizeF) -> None:
        height = self._height_for(size)
        if height != self.height():
            self.setFixedHeight(height)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt name)
        event.ignore()  # let the chat's scroll area scroll

