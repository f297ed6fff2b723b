"""Search over all history (``searchBox``, Ctrl+K) with highlighted snippets.

Typing waits ``DEBOUNCE_MS`` after the last key, then asks the store's
search reader (its own thread and read-only connection, never the store's
worker). Each key cancels the search in progress; a cancelled or late answer
to an older query is dropped. A word in too many messages to rank comes back
newest first, and the status line says so. Each result shows the conversation title and the snippet, whose
match markers become bold and whose text is HTML-escaped (a message is
untrusted and must never become markup). Choosing a result (click, Enter)
emits ``sig_open(SearchHit)``; Esc in the box clears it.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAbstractTextDocumentLayout, QKeyEvent, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import SearchHit
from app.domain.search import SearchPage
from app.services.store_bridge import StoreBridge
from app.store.search_reader import SearchCancelled

DEBOUNCE_MS = 200
LIMIT = 50
ROLE_WORDS = {"user": "You", "assistant": "Assistant", "tool": "Tool", "system": "System"}
_ModelIndex = QModelIndex | QPersistentModelIndex


def snippet_html(hit: SearchHit) -> str:
    """The snippet as safe HTML: escaped text, matches in bold."""
    escaped = html.escape(" ".join(hit.snippet.split()))
    return escaped.replace("\x02", "<b>").replace("\x03", "</b>")


def result_html(hit: SearchHit) -> str:
    who = ROLE_WORDS.get(hit.role, hit.role)
    return (f"<div style='font-weight:600'>{html.escape(hit.conversation_title)}</div>"
            f"<div>{html.escape(who)}: {snippet_html(hit)}</div>")


def status_text(page: SearchPage) -> str:
    """How many matched, and the order when it is not best-first."""
    if not page.hits:
        return "No matches"
    if page.capped:
        return f"Over {page.matches:,} matches · newest first (too many to rank)"
    return f"{page.matches:,} match{'es' if page.matches != 1 else ''}"


class SearchResultsModel(QAbstractListModel):
    HitRole = Qt.ItemDataRole.UserRole + 1
    HtmlRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{hit.conversation_title}: {hit.plain_snippet}"
        if role == self.HtmlRole:
            return result_html(hit)
        if role == self.HitRole:
            return hit
        return None

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def hits(self) -> list[SearchHit]:
        return list(self._hits)


class HtmlDelegate(QStyledItemDelegate):
    """Draws each result's small, escaped HTML (bold matches)."""

    def _document(self, option: QStyleOptionViewItem, index: QModelIndex) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(4)
        doc.setHtml(index.data(SearchResultsModel.HtmlRole) or "")
        doc.setTextWidth(max(60, option.rect.width()))
        return doc

    def paint(self, painter, option, index) -> None:  # noqa: ANN001 (Qt override)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        doc = self._document(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        painter.save()
        painter.translate(opt.rect.topLeft())
        painter.setClipRect(QRectF(0, 0, opt.rect.width(), opt.rect.height()))
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802, ANN001 (Qt override)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = opt.widget.viewport().width() if opt.widget else 240
        opt.rect.setWidth(width)
        doc = self._document(opt, index)
        return QSize(width, int(doc.size().height()) + 2)


class SearchPanel(QWidget):
    """The search box and its results (hidden while the box is empty)."""

    sig_open = Signal(object)        # the chosen SearchHit
    sig_searched = Signal(str, int)  # query, number of results (after each answer)

    def __init__(self, bridge: StoreBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._generation = 0
        self.box = QLineEdit()
        self.box.setObjectName("searchBox")
        self.box.setPlaceholderText("Search all chats (Ctrl+K)")
        self.box.setClearButtonEnabled(True)
        self.box.setAccessibleName("Search")
        self.results_model = SearchResultsModel(self)
        self.results = QListView()
        self.results.setObjectName("searchResults")
        self.results.setModel(self.results_model)
        self.results.setItemDelegate(HtmlDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.results.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.results.hide()
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        # Wrapped: "… · newest first (too many to rank)" is wider than the pane.
        # At the top: with no results it would sit in the middle of the pane.
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.box)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._search_now)
        self.box.textChanged.connect(self._typed)
        self.box.returnPressed.connect(self._open_first)
        self.box.installEventFilter(self)
        self.results.installEventFilter(self)
        self.results.clicked.connect(self._open_index)

    @property
    def active(self) -> bool:
        """True while there is a query (the results take the agent pane's place)."""
        return bool(self.box.text().strip())

    def focus(self) -> None:
        self.box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.box.selectAll()

    def clear(self) -> None:
        self.box.clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.box and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Escape and self.box.text():
                self.box.clear()
                return True
            if event.key() == Qt.Key.Key_Down and self.results_model.rowCount():
                self.results.setFocus()
                self.results.setCurrentIndex(self.results_model.index(0))
                return True
        if watched is self.results and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._open_index(self.results.currentIndex())
                return True
        return super().eventFilter(watched, event)

    def _typed(self, text: str) -> None:
        self._generation += 1
        self._bridge.cancel_search()  # superseded: free the reader for the next query
        if not text.strip():
            self._timer.stop()
            self.results_model.set_hits([])
            self.results.hide()
            self.status.hide()
            return
        self._timer.start()

    def _search_now(self) -> None:
        query = self.box.text().strip()
        if query:
            self._bridge.spawn(self._search(query, self._generation), name="search")

    async def _search(self, query: str, generation: int) -> None:
        try:
            page = await self._bridge.search(query, limit=LIMIT)
        except SearchCancelled:
            return  # superseded by more typing; its results are stale
        if generation != self._generation:
            return  # the user typed on; a newer search is coming
        hits = page.hits
        self.results_model.set_hits(hits)
        self.results.setVisible(bool(hits))
        self.status.setText(status_text(page))
        self.status.show()
        self.sig_searched.emit(query, len(hits))

    def _open_first(self) -> None:
        if self.results_model.rowCount():
            self._open_index(self.results_model.index(0))

    def _open_index(self, index: QModelIndex) -> None:
        hit = index.data(SearchResultsModel.HitRole)
        if hit is not None:
            self.sig_open.emit(hit)
