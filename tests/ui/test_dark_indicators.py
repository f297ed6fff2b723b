"""Check boxes and radio buttons are visible in the dark theme: the box of an
unticked "Show archived", a radio button, the tool table's check boxes, each
have an outline with at least 3:1 contrast against what they sit on (Fusion's
own was near-black on near-black). The light theme draws exactly as Fusion."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QRadioButton,
    QStyle,
    QStyleFactory,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
)

from app.ui.theme import ThemeManager
from tests.ui.pixel_support import inside_picture


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF()))


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def best_contrast(image: QImage, rect: QRect, against: QColor) -> float:
    inside_picture(image, rect)
    return max(contrast(image.pixelColor(x, y), against)
               for x in range(rect.left(), rect.right() + 1)
               for y in range(rect.top(), rect.bottom() + 1))


def indicator_rect(button, element: QStyle.SubElement) -> QRect:
    option = QStyleOptionButton()
    button.initStyleOption(option)
    return button.style().subElementRect(element, option, button)


@pytest.fixture
def theme(qapp: QApplication):
    yield ThemeManager(qapp)   # the autouse fixture puts palette and style back


def test_unticked_boxes_and_radios_stand_out_in_dark(theme, qapp, qtbot) -> None:
    theme.apply("dark")
    window = qapp.palette().color(qapp.palette().ColorRole.Window)
    for _round in range(2):                  # switched to dark twice: still drawn so
        box = QCheckBox("Show archived")
        radio = QRadioButton("Light")
        for widget, element in ((box, QStyle.SubElement.SE_CheckBoxIndicator),
                                (radio, QStyle.SubElement.SE_RadioButtonIndicator)):
            qtbot.addWidget(widget)
            widget.show()
            qtbot.waitExposed(widget)
            image = widget.grab().toImage()
            assert best_contrast(image, indicator_rect(widget, element), window) >= 3.0
        theme.apply("light")
        theme.apply("dark")


def test_tool_table_check_boxes_stand_out_on_dark_base(theme, qapp, qtbot) -> None:
    theme.apply("dark")
    table = QTableWidget(1, 1)
    qtbot.addWidget(table)
    item = QTableWidgetItem("calculator")
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Unchecked)
    table.setItem(0, 0, item)
    table.resize(300, 120)
    table.show()
    qtbot.waitExposed(table)
    base = table.palette().color(table.palette().ColorRole.Base)
    option = QStyleOptionViewItem()
    table.itemDelegate().initStyleOption(option, table.indexFromItem(item))
    option.rect = table.visualItemRect(item)
    box = table.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator,
                                       option, table)
    image = table.viewport().grab().toImage()
    assert best_contrast(image, box, base) >= 3.0


def test_light_theme_draws_as_fusion(theme, qapp, qtbot) -> None:
    theme.apply("light")
    box = QCheckBox("Show archived")
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    ours = box.grab().toImage()
    fusion = QStyleFactory.create("Fusion")
    box.setStyle(fusion)
    assert box.grab().toImage() == ours
