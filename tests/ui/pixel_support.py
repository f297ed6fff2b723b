"""Reading what is on screen, pixel by pixel (imported as a plain module).

Used by the theme tests and the first-hour session test: the colour a person
sees is read from what a window last painted (its backing store), never from
a fresh ``grab()``, which paints everything again and so hides frames the
screen never got."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.main_window import MainWindow

Samples = dict[str, str]


def settle(turns: int = 20) -> None:
    """Let pending paints reach the windows' backing stores."""
    for _ in range(turns):
        QApplication.processEvents()


def on_screen(widget: QWidget, point: QPoint) -> str:
    """The colour a person sees at ``point`` of ``widget``: read from what its
    window last painted (its backing store), not from a fresh ``grab()`` — a
    grab paints everything again and hid frames the screen never got."""
    window = widget.window()
    image = window.screen().grabWindow(window.winId()).toImage()
    at = widget.mapTo(window, point)
    scale = image.width() / window.width()
    return image.pixelColor(round(at.x() * scale), round(at.y() * scale)).name()


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
