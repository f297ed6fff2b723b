"""Reading what is on screen, pixel by pixel (imported as a plain module).

Used by the theme tests and the first-hour session test: the colour a person
sees is read from what a window last painted (its backing store), never from
a fresh ``grab()``, which paints everything again and so hides frames the
screen never got.

Every read checks that its point is shown: inside the widget and inside each
parent up to the picture's widget (a scroll area's viewport clips what is
scrolled out). A point outside would read whatever is drawn there instead —
another widget, or black outside the picture — and fail far from the cause.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.main_window import MainWindow

Samples = dict[str, str]


def settle(turns: int = 20) -> None:
    """Let pending paints reach the windows' backing stores."""
    for _ in range(turns):
        QApplication.processEvents()


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__} {widget.objectName()!r}".removesuffix(" ''")


def shown_rect(widget: QWidget, top: QWidget) -> QRect:
    """The part of ``widget`` that ``top`` shows, in ``top``'s coordinates: its
    rectangle clipped by every parent up to ``top`` (a scroll area's viewport
    clips its content)."""
    rect = QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())
    parent = widget
    while parent is not top:
        parent = parent.parentWidget()
        assert parent is not None, f"{describe(widget)} is not inside {describe(top)}"
        rect &= QRect(parent.mapTo(top, QPoint(0, 0)), parent.size())
    return rect


def shown_point(widget: QWidget, point: QPoint, top: QWidget) -> QPoint:
    """``point`` of ``widget`` in ``top``'s coordinates, asserting ``top`` shows it."""
    assert widget is top or widget.isVisibleTo(top), (
        f"reading a pixel of {describe(widget)}, which is hidden")
    at = widget.mapTo(top, point)
    shown = shown_rect(widget, top)
    assert shown.contains(at), (
        f"pixel ({point.x()}, {point.y()}) of {describe(widget)} is not shown: at "
        f"({at.x()}, {at.y()}) in {describe(top)}, outside the widget's visible part "
        f"{shown.getRect()} (x, y, w, h) — scrolled out of its viewport or clipped")
    return at


def pixel(image: QImage, top: QWidget, widget: QWidget, point: QPoint) -> str:
    """The colour at ``point`` of ``widget`` in ``image``, a picture of ``top``
    (``top.grab()``, or its window's backing store), checked to be shown."""
    at = shown_point(widget, point, top)
    scale = image.width() / top.width()
    x, y = round(at.x() * scale), round(at.y() * scale)
    assert image.rect().contains(x, y), (
        f"pixel ({x}, {y}) is outside the {image.width()}x{image.height()} picture "
        f"of {describe(top)}")
    return image.pixelColor(x, y).name()


def inside_picture(image: QImage, rect: QRect) -> QRect:
    """``rect``, asserted to lie inside ``image`` (for reads over an area)."""
    assert image.rect().contains(rect), (
        f"area {rect.getRect()} (x, y, w, h) is not inside the "
        f"{image.width()}x{image.height()} picture")
    return rect


def on_screen(widget: QWidget, point: QPoint) -> str:
    """The colour a person sees at ``point`` of ``widget``: read from what its
    window last painted (its backing store), not from a fresh ``grab()`` — a
    grab paints everything again and hid frames the screen never got."""
    window = widget.window()
    image = window.screen().grabWindow(window.winId()).toImage()
    return pixel(image, window, widget, point)


def corner(widget: QWidget) -> str:
    """A pixel of the list's empty area (bottom right, inside the frame)."""
    return on_screen(widget, QPoint(widget.width() - 8, widget.height() - 8))


def bubble(window: MainWindow, index: int) -> Samples:
    """The border, inside and corner pixels of the index-th message's bubble."""
    view = window.chat_view
    message = view.message_widget(view.message_ids()[index])
    frame = message.bubble
    middle = frame.height() // 2
    return {f"{message.role} border": on_screen(frame, QPoint(0, middle)),
            f"{message.role} inside": on_screen(frame, QPoint(4, middle)),
            f"{message.role} corner": on_screen(frame, QPoint(1, 1))}
