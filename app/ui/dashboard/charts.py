"""Charts drawn with QPainter: bars (vertical or horizontal, stacked series)
and a share bar.

No charting library: QtCharts comes only with PySide6-Addons (hundreds of MB
in every installer), and pyqtgraph brings numpy into installers that have no
other use for it (docs/ARCHITECTURE.md, "Dashboard"). Colours come from the
widget's palette at paint time, so a theme switch repaints them right; text is
drawn as plain text (agent and model names are the person's and the
providers' words).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.ui.theme import is_dark

#: Series colours (light, dark): blue, orange, grey — told apart by lightness too.
_SERIES = (("#2f6fce", "#6ea8ff"), ("#e08a1e", "#f2b35c"), ("#8a8f98", "#a7acb5"))
_MARGIN = 8
_LABEL_LINES = 3


def series_color(palette: QPalette, index: int) -> QColor:
    light, dark = _SERIES[index % len(_SERIES)]
    return QColor(dark if is_dark(palette) else light)


def compact(value: float) -> str:
    """1234 -> '1.2k', 3_400_000 -> '3.4M' (axis and bar labels)."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


@dataclass(frozen=True)
class ChartData:
    """Categories (labels) and one list of values per series (same length)."""

    labels: tuple[str, ...] = ()
    series: tuple[tuple[float, ...], ...] = ()
    names: tuple[str, ...] = ()

    def total(self, index: int) -> float:
        return sum(values[index] for values in self.series)


class _Chart(QWidget):
    #: Whether the series' names are shown top right (not for the share bar,
    #: which names its parts under the bar).
    legend = True

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.data = ChartData()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, data: ChartData) -> None:
        self.data = data
        self.setAccessibleDescription(self.describe())
        self.updateGeometry()
        self.update()

    def describe(self) -> str:
        """The figures as text (accessibility, tests)."""
        parts = []
        for i, label in enumerate(self.data.labels):
            values = " / ".join(compact(s[i]) for s in self.data.series)
            parts.append(f"{label}: {values}")
        return f"{self.title}: " + ("; ".join(parts) if parts else "no data")

    def _frame(self, painter: QPainter) -> QRectF:
        """Draws the title and legend; returns the plot area."""
        palette = self.palette()
        metrics = QFontMetrics(self.font())
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(_MARGIN, _MARGIN, self.width() - 2 * _MARGIN,
                                metrics.height()), Qt.AlignmentFlag.AlignLeft, self.title)
        painter.setFont(self.font())
        x = self.width() - _MARGIN
        shown = len(self.data.names) if self.legend and len(self.data.series) > 1 else 0
        for index in reversed(range(shown)):
            name = self.data.names[index]
            width = metrics.horizontalAdvance(name)
            x -= width
            painter.drawText(QRectF(x, _MARGIN, width, metrics.height()),
                             Qt.AlignmentFlag.AlignLeft, name)
            x -= 14
            painter.fillRect(QRectF(x, _MARGIN + metrics.height() / 2 - 5, 10, 10),
                             series_color(palette, index))
            x -= 12
        top = _MARGIN * 2 + metrics.height()
        return QRectF(_MARGIN, top, self.width() - 2 * _MARGIN, self.height() - top - _MARGIN)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = self._frame(painter)
        if not self._empty(painter, area):
            self._paint(painter, area)

    def _paint(self, painter: QPainter, area: QRectF) -> None:
        raise NotImplementedError

    def _empty(self, painter: QPainter, area: QRectF) -> bool:
        if any(any(v for v in s) for s in self.data.series):
            return False
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No usage in this range")
        return True


class BarChart(_Chart):
    """Vertical stacked bars, one per label (days, histogram buckets)."""

    def __init__(self, title: str, *, unit: str = "", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.unit = unit

    def sizeHint(self) -> QSize:
        return QSize(420, 220)

    def _paint(self, painter: QPainter, area: QRectF) -> None:
        palette, metrics = self.palette(), QFontMetrics(self.font())
        count = len(self.data.labels)
        peak = max(self.data.total(i) for i in range(count)) or 1
        axis_width = metrics.horizontalAdvance(compact(peak) + self.unit) + 6
        plot = QRectF(area.left() + axis_width, area.top() + 4, area.width() - axis_width,
                      area.height() - metrics.height() - 8)
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = palette.color(QPalette.ColorRole.Mid)
        painter.setPen(grid)
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.setPen(text)
        painter.drawText(QRectF(area.left(), plot.top() - metrics.height() / 2, axis_width - 6,
                                metrics.height()), Qt.AlignmentFlag.AlignRight,
                         compact(peak) + self.unit)
        painter.drawText(QRectF(area.left(), plot.bottom() - metrics.height() / 2,
                                axis_width - 6, metrics.height()),
                         Qt.AlignmentFlag.AlignRight, "0")
        slot = plot.width() / count
        gap = min(2.0, slot * 0.2) if slot > 4 else 0.0
        for i in range(count):
            y = plot.bottom()
            for s, values in enumerate(self.data.series):
                height = plot.height() * values[i] / peak
                painter.fillRect(QRectF(plot.left() + i * slot + gap / 2, y - height,
                                        max(slot - gap, 1.0), height),
                                 series_color(palette, s))
                y -= height
        self._x_labels(painter, plot, slot, metrics)

    def _x_labels(self, painter: QPainter, plot: QRectF, slot: float,
                  metrics: QFontMetrics) -> None:
        """Every label when they fit, else every n-th one, and the last."""
        labels = self.data.labels
        widest = max(metrics.horizontalAdvance(label) for label in labels) + 6
        step = max(1, math.ceil(widest / slot))
        shown = sorted(set(range(0, len(labels), step)) - {len(labels) - 1 - i for i in
                                                           range(1, step)}
                       | {len(labels) - 1})
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        y = plot.bottom() + 4
        for i in shown:
            centre = plot.left() + (i + 0.5) * slot
            width = max(widest, slot)
            left = min(max(centre - width / 2, 0), self.width() - width)
            painter.drawText(QRectF(left, y, width, metrics.height()),
                             Qt.AlignmentFlag.AlignHCenter, labels[i])


class HBarChart(_Chart):
    """Horizontal stacked bars with their label on the left and total on the right
    (agents, models, providers); the largest few, the rest summed as "other"."""

    def __init__(self, title: str, *, rows: int = 8, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.rows = rows

    def set_data(self, data: ChartData) -> None:
        if len(data.labels) > self.rows:
            keep = self.rows - 1
            rest = tuple(sum(values[keep:]) for values in data.series)
            data = ChartData(data.labels[:keep] + (f"{len(data.labels) - keep} others",),
                             tuple(v[:keep] + (r,) for v, r in zip(data.series, rest)),
                             data.names)
        super().set_data(data)

    def sizeHint(self) -> QSize:
        line = QFontMetrics(self.font()).height() + 8
        return QSize(360, 2 * _MARGIN + line * (max(len(self.data.labels), 1) + 1) + 8)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _paint(self, painter: QPainter, area: QRectF) -> None:
        palette, metrics = self.palette(), QFontMetrics(self.font())
        line = metrics.height() + 8
        label_width = min(max(metrics.horizontalAdvance(t) for t in self.data.labels) + 16,
                          area.width() * 0.4)
        totals = [self.data.total(i) for i in range(len(self.data.labels))]
        value_width = max(metrics.horizontalAdvance(compact(t)) for t in totals) + 8
        bar_room = max(area.width() - label_width - value_width, 10)
        peak = max(totals) or 1
        text = palette.color(QPalette.ColorRole.WindowText)
        for i, label in enumerate(self.data.labels):
            top = area.top() + i * line
            painter.setPen(text)
            painter.drawText(QRectF(area.left(), top, label_width - 8, line),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(label, Qt.TextElideMode.ElideRight,
                                                int(label_width - 8)))
            x = area.left() + label_width
            for s, values in enumerate(self.data.series):
                width = bar_room * values[i] / peak
                painter.fillRect(QRectF(x, top + 4, width, line - 8), series_color(palette, s))
                x += width
            painter.setPen(text)
            painter.drawText(QRectF(x + 4, top, value_width, line),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             compact(totals[i]))


class ShareBar(_Chart):
    """One 100% bar split into parts (local, cloud, unknown) with percentages."""

    legend = False

    def sizeHint(self) -> QSize:
        return QSize(360, 2 * _MARGIN + 3 * (QFontMetrics(self.font()).height() + 8))

    def _paint(self, painter: QPainter, area: QRectF) -> None:
        palette, metrics = self.palette(), QFontMetrics(self.font())
        values = [s[0] for s in self.data.series]
        whole = sum(values)
        bar = QRectF(area.left(), area.top() + 2, area.width(), metrics.height() + 6)
        x = bar.left()
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        legend_x = area.left()
        for index, (name, value) in enumerate(zip(self.data.names, values)):
            width = bar.width() * value / whole
            painter.fillRect(QRectF(x, bar.top(), width, bar.height()),
                             series_color(palette, index))
            x += width
            label = f"{name} {value / whole:.0%}"
            painter.fillRect(QRectF(legend_x, bar.bottom() + 8 + metrics.height() / 2 - 5,
                                    10, 10), series_color(palette, index))
            painter.drawText(QRectF(legend_x + 14, bar.bottom() + 8,
                                    metrics.horizontalAdvance(label) + 4, metrics.height()),
                             Qt.AlignmentFlag.AlignLeft, label)
            legend_x += metrics.horizontalAdvance(label) + 30


def chart_data(pairs: Sequence[tuple[str, tuple[float, ...]]], names: Sequence[str]
               ) -> ChartData:
    """``[(label, (value per series...)), ...]`` as ChartData."""
    labels = tuple(label for label, _ in pairs)
    series = tuple(tuple(values[s] for _, values in pairs) for s in range(len(names)))
    return ChartData(labels, series, tuple(names))
