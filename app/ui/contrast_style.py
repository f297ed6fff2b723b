"""Fusion with check boxes and radio buttons that stay visible in the dark theme.

Fusion outlines an indicator in the window colour made 40 % darker and fills
it with the Base colour. In the dark palette both are near-black: the box of
an unticked "Show archived" or "Local only", and the tool table's check
boxes (Base on Base), all but vanished. This proxy draws the indicator's
outline again in a mid grey when the palette is dark; light is untouched.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption, QWidget

#: The outline of an indicator on a dark palette: 3:1 or more against the dark
#: theme's Window (#2b2d31) and Base (#1e1f22), as WCAG asks of controls.
DARK_OUTLINE = "#8b8f96"
DARK_OUTLINE_DISABLED = "#5a5d63"

_Pe = QStyle.PrimitiveElement


class ContrastStyle(QProxyStyle):
    def __init__(self) -> None:
        super().__init__("Fusion")

    def name(self) -> str:  # the drawing is Fusion's (tests and the theme ask for it)
        return self.baseStyle().name()

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
