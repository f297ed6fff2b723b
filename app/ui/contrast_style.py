"""Fusion with check boxes and radio buttons that stay visible in the dark
theme, and padded list rows without style sheets.

Fusion outlines an indicator in the window colour made 40 % darker and fills
it with the Base colour. In the dark palette both are near-black: the box of
an unticked "Show archived" or "Local only", and the tool table's check
boxes (Base on Base), all but vanished. This proxy draws the indicator's
outline again in a mid grey when the palette is dark; light is untouched.

Row padding (:func:`pad_items`) is drawn by the style, not a
``QListView::item { padding }`` sheet: a widget with a style sheet keeps the
palette it was polished with, so every theme switch had to polish all such
widgets again, and polishing across ``QApplication.allWidgets()`` crashed
inside Qt when a widget was being torn down. Without sheets the new palette
reaches the lists as it reaches every other widget.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionViewItem,
    QWidget,
)

#: The outline of an indicator on a dark palette: 3:1 or more against the dark
#: theme's Window (#2b2d31) and Base (#1e1f22), as WCAG asks of controls.
DARK_OUTLINE = "#8b8f96"
DARK_OUTLINE_DISABLED = "#5a5d63"

_Pe = QStyle.PrimitiveElement
_Se = QStyle.SubElement

#: The dynamic property that holds a view's row padding (a QSize: horizontal,
#: vertical, each side).
ITEM_PADDING = "agentdeskItemPadding"

#: The parts of a row laid out inside its padding.
_ROW_PARTS = (_Se.SE_ItemViewItemText, _Se.SE_ItemViewItemDecoration,
              _Se.SE_ItemViewItemCheckIndicator, _Se.SE_ItemViewItemFocusRect)


def pad_items(view: QAbstractItemView, horizontal: int, vertical: int) -> None:
    """Give each row of ``view`` this much room around its content, inside the
    row (the selection fills the padding, as a style sheet's padding did)."""
    view.setProperty(ITEM_PADDING, QSize(horizontal, vertical))


def item_padding(widget: QWidget | None) -> QSize | None:
    """The padding :func:`pad_items` gave ``widget``, or None."""
    if widget is None:
        return None
    padding = widget.property(ITEM_PADDING)
    return padding if isinstance(padding, QSize) and not padding.isEmpty() else None


class ContrastStyle(QProxyStyle):
    def __init__(self) -> None:
        super().__init__("Fusion")

    def name(self) -> str:  # the drawing is Fusion's (tests and the theme ask for it)
        return self.baseStyle().name()

    def sizeFromContents(self, kind: QStyle.ContentsType, option: QStyleOption,  # noqa: N802
                         size: QSize, widget: QWidget | None = None) -> QSize:
        result = super().sizeFromContents(kind, option, size, widget)
        padding = item_padding(widget) if kind == QStyle.ContentsType.CT_ItemViewItem else None
        if padding is None:
            return result
        return result + QSize(2 * padding.width(), 2 * padding.height())

    def subElementRect(self, element: QStyle.SubElement, option: QStyleOption,  # noqa: N802
                       widget: QWidget | None = None) -> QRect:
        padding = item_padding(widget) if element in _ROW_PARTS else None
        if padding is None or not isinstance(option, QStyleOptionViewItem):
            return super().subElementRect(element, option, widget)
        inner = QStyleOptionViewItem(option)
        inner.rect = option.rect.adjusted(padding.width(), padding.height(),
                                          -padding.width(), -padding.height())
        return super().subElementRect(element, inner, widget)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,  # noqa: N802
                      painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in (_Pe.PE_IndicatorCheckBox, _Pe.PE_IndicatorRadioButton):
            return
        if option.palette.color(QPalette.ColorRole.Window).lightness() >= 128:
            return
        enabled = bool(option.state & QStyle.StateFlag.State_Enabled)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(QColor(0, 0, 0, 0))
        painter.setPen(QPen(QColor(DARK_OUTLINE if enabled else DARK_OUTLINE_DISABLED), 1))
        rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        if element == _Pe.PE_IndicatorRadioButton:
            painter.drawEllipse(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        else:
            painter.drawRect(rect)
        painter.restore()
