"""Geometry helpers for layout tests and screenshots (imported as a plain module).

A text change posts a LayoutRequest that climbs the widget tree one posted
event per level; ``QWidget.grab()`` paints at once, with whatever geometry the
widgets have then. A picture taken right after a label's text changed showed
a two-line message squeezed into its old one-line height, drawn over the
field above it. ``settled`` runs the pending layout requests first."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel, QWidget


def settled(widget: QWidget, rounds: int = 20) -> QWidget:
    """Run the layout requests still pending (each may post the next level's)."""
    for _ in range(rounds):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    return widget


def picture(widget: QWidget) -> QImage:
    """The widget as it is shown once its pending layouts have run."""
    return settled(widget).grab().toImage()


def rect_in(widget: QWidget, top: QWidget) -> QRect:
    """``widget``'s rectangle in ``top``'s coordinates."""
    return QRect(widget.mapTo(top, widget.rect().topLeft()), widget.size())


def clipping(label: QLabel, *others: QWidget) -> list[str]:
    """What is wrong with a shown, word-wrapped label: shorter than its text
    needs at its width, or overlapping ``others``. Empty when it is fine."""
    top = label.window()
    found = []
    need = label.heightForWidth(label.width())
    if label.height() < need:
        found.append(f"{label.objectName() or label.text()[:30]!r} is {label.height()} px "
                     f"high, its text needs {need}")
    mine = rect_in(label, top)
    for other in others:
        if other.isVisible() and mine.intersects(rect_in(other, top)):
            found.append(f"{label.objectName()!r} overlaps {other.objectName()!r}")
    return found
