"""Small widgets the dialogs share: the message under a field, a spinner."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

ERROR_COLOR_LIGHT = "#b3261e"
ERROR_COLOR_DARK = "#ff8a80"


def error_color(widget: QWidget) -> str:
    dark = widget.palette().color(QPalette.ColorRole.Window).lightness() < 128
    return ERROR_COLOR_DARK if dark else ERROR_COLOR_LIGHT


class FieldMessage(QLabel):
    """The message shown right under a field; hidden while there is none.

    ``text()`` is the message itself (tests and screen readers read it)."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()

    def show_problem(self, problem: str | None) -> None:
        if problem:
            self._colour()
            self.setText(problem)
            self.setAccessibleDescription(problem)
            self.show()
        else:
            self.clear()
            self.hide()

    @property
    def problem(self) -> str | None:
        return self.text() or None

    def _colour(self) -> None:
        """The error colour of the palette it is shown on. Set as the palette's
        text role, not a style sheet: a sheet fixes the whole palette the label
        was polished with, and a theme switch would no longer reach it."""
        colour = QColor(error_color(self))
        if self.palette().color(QPalette.ColorRole.WindowText) != colour:
            only_text = QPalette()          # sets this one role: the rest follows the app
            only_text.setColor(QPalette.ColorRole.WindowText, colour)
            self.setPalette(only_text)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        """A theme switch: the error colour of the new theme (as if shown in it)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._colour()


class Spinner(QWidget):
    """A small rotating arc shown while something runs (its timer only ticks
    while it is spinning)."""

    def __init__(self, parent: QWidget | None = None, size: int = 16) -> None:
        super().__init__(parent)
        self.setObjectName("spinner")
        self.setFixedSize(size, size)
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._tick)
        self.setAccessibleName("Working")
        self.hide()

    @property
    def spinning(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self._timer.start()
        self.show()

    def stop(self) -> None:
        self._timer.stop()
        self.hide()

    def _tick(self) -> None:
        self._angle = (self._angle + 30) % 360
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        pen = QPen(color, 2.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        rect = QRectF(2, 2, self.width() - 4, self.height() - 4)
        painter.drawArc(rect, -self._angle * 16, 270 * 16)
        painter.end()
