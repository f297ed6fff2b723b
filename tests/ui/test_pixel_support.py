"""The pixel helpers refuse to read a point the picture does not show.

A point scrolled out of a scroll area's viewport used to read whatever was drawn
there (or black outside the picture) and fail far from the cause.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from tests.ui.pixel_support import inside_picture, on_screen, pixel


def filled(colour: str, height: int) -> QWidget:
    widget = QWidget()
    widget.setAutoFillBackground(True)
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(colour))
    widget.setPalette(palette)
    widget.setFixedHeight(height)
    return widget


@pytest.fixture
def scrolled(qtbot) -> tuple[QScrollArea, QWidget, QWidget]:
    """A 200x150 scroll area over a red block and a blue block, scrolled to the end."""
    area = QScrollArea()
    qtbot.addWidget(area)
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    top, bottom = filled("#ff0000", 300), filled("#0000ff", 300)
    layout.addWidget(top)
    layout.addWidget(bottom)
    area.setWidget(column)
    area.setWidgetResizable(True)
    area.resize(200, 150)
    area.show()
    qtbot.waitExposed(area)
    area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
    return area, top, bottom


def test_a_shown_point_is_read(scrolled) -> None:
    area, _top, bottom = scrolled
    assert pixel(area.grab().toImage(), area, bottom, QPoint(10, 290)) == "#0000ff"
    assert on_screen(bottom, QPoint(10, 290)) == "#0000ff"


def test_a_point_scrolled_out_of_the_viewport_is_refused(scrolled) -> None:
    area, top, bottom = scrolled
    image = area.grab().toImage()
    with pytest.raises(AssertionError, match="scrolled out of its viewport"):
        pixel(image, area, top, QPoint(10, 10))
    with pytest.raises(AssertionError, match="scrolled out of its viewport"):
        on_screen(bottom, QPoint(10, 5))  # the blue block's top is above the viewport
    with pytest.raises(AssertionError, match="not shown"):
        pixel(image, area, bottom, QPoint(10, 400))  # outside the widget itself


def test_a_hidden_widget_is_refused(scrolled) -> None:
    area, _top, bottom = scrolled
    bottom.hide()
    with pytest.raises(AssertionError, match="hidden"):
        pixel(area.grab().toImage(), area, bottom, QPoint(1, 1))


def test_an_area_outside_the_picture_is_refused(scrolled) -> None:
    area, *_ = scrolled
    image = area.grab().toImage()
    assert inside_picture(image, QRect(0, 0, 10, 10)) == QRect(0, 0, 10, 10)
    with pytest.raises(AssertionError, match="not inside"):
        inside_picture(image, QRect(195, 0, 10, 10))
