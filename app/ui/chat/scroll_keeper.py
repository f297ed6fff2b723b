"""Where the chat view's scroll position goes (``ChatView``'s scrolling job).

- Follow the bottom: only while the user is at the bottom; scrolled up, the
  view stays put.
- Prepending older messages keeps what the user looks at in place (an anchor:
  the first message shown before, and its offset from the top).
- Paging: scrolling to the top asks once for the page above
  (``sig_need_older(oldest_id)``), and so does a view that its messages do not
  fill (no scroll bar to scroll up with), checked once the layout has settled.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QScrollArea, QWidget

BOTTOM_SLACK_PX = 24  # "at the bottom" within this distance
TOP_SLACK_PX = 8      # "at the top": ask for older messages
FILL_CHECK_MS = 60    # after the last layout change: does the chat fill the view?


class ScrollKeeper(QObject):
    sig_need_older = Signal(int)           # id of the oldest message shown

    def __init__(self, scroll: QScrollArea, container: QWidget,
                 oldest_id: Callable[[], int | None], parent: QObject | None = None) -> None:
        """``oldest_id()``: the id of the oldest message shown, None when none is."""
        super().__init__(parent)
        self._scroll = scroll
        self._oldest_id = oldest_id
        self.has_older = False
        self.older_requested = False
        self.follow = True
        self._anchor: tuple[QWidget, int] | None = None
        self._setting_scroll = False
        # Message heights follow their documents' layout a moment after the
        # widgets are added: check the fill once that has settled.
        self._fill_check = QTimer(self)
        self._fill_check.setSingleShot(True)
        self._fill_check.setInterval(FILL_CHECK_MS)
        self._fill_check.timeout.connect(self._load_older_if_view_unfilled)
        container.installEventFilter(self)
        scroll.viewport().installEventFilter(self)
        bar = scroll.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_scrolled)

    def reset(self) -> None:
        """Nothing shown any more: no anchor, no request pending."""
        self._anchor = None
        self.older_requested = False

    def page_shown(self, has_older: bool) -> None:
        """A conversation's newest page is shown: follow its bottom."""
        self.has_older = has_older
        self.follow = True

    def before_prepend(self, first: QWidget | None, has_older: bool) -> None:
        """An older page goes above ``first`` (the top message until now): keep it in place."""
        self.has_older = has_older
        self.older_requested = False
        if first is not None:
            self._anchor = (first, first.y() - self._scroll.verticalScrollBar().value())

    def scroll_to_bottom(self) -> None:
        self.follow = True
        self._anchor = None
        self._set_scroll(self._scroll.verticalScrollBar().maximum())

    def _set_scroll(self, value: int) -> None:
        self._setting_scroll = True
        try:
            self._scroll.verticalScrollBar().setValue(value)
        finally:
            self._setting_scroll = False

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._anchor is not None:
            widget, offset = self._anchor
            self._set_scroll(widget.y() - offset)
        elif self.follow:
            self._set_scroll(maximum)

    def _on_scrolled(self, value: int) -> None:
        if self._setting_scroll:
            return
        bar = self._scroll.verticalScrollBar()
        self._anchor = None
        self.follow = value >= bar.maximum() - BOTTOM_SLACK_PX
        if value <= TOP_SLACK_PX and bar.maximum() > 0:
            self._ask_for_older()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if (event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize)
                and self.has_older and not self.older_requested):
            self._fill_check.start()
        return False

    def _load_older_if_view_unfilled(self) -> None:
        if self._scroll.verticalScrollBar().maximum() == 0:
            self._ask_for_older()

    def _ask_for_older(self) -> None:
        """Ask once for the page above the oldest message shown (answered by
        ``ChatView.prepend_messages``), if there is one."""
        if not self.has_older or self.older_requested:
            return
        oldest = self._oldest_id()
        if oldest is not None:
            self.older_requested = True
            self.sig_need_older.emit(oldest)
