"""One-line rows as wide as their list: a long title ends in "…" instead of
widening the list and growing a horizontal scroll bar. The full text is the
row's tooltip (the model's ToolTipRole)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import QListView, QStyledItemDelegate, QStyleOptionViewItem


class ElidedRowDelegate(QStyledItemDelegate):
    """Asks for no width of its own: QListView then lays each row out at the
    viewport's width, and the style elides what does not fit."""

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802 (Qt override)
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(0, super().sizeHint(option, index).height())


def elide_rows(view: QListView) -> None:
    """Make ``view``'s rows elide on the right, never scroll sideways."""
    view.setItemDelegate(ElidedRowDelegate(view))
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
