"""Small round avatars with an agent's initial, coloured by its name."""

from __future__ import annotations

import zlib
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap

# Mid-tone colours that carry white text in light and dark themes alike.
COLOURS = ("#3b6fd8", "#2e8b57", "#b8651b", "#8e44ad", "#c0392b", "#16808a", "#6d6d2a",
           "#a13d74")
SIZE = 22


@lru_cache(maxsize=256)
def agent_icon(name: str) -> QIcon:
    initial = (name.strip()[:1] or "?").upper()
    colour = COLOURS[zlib.crc32(name.casefold().encode("utf-8")) % len(COLOURS)]
    scale = 2  # drawn at twice the size: sharp on high-DPI screens
    pixmap = QPixmap(SIZE * scale, SIZE * scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(0, 0, SIZE * scale, SIZE * scale)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(SIZE * scale * 0.5))
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(QRectF(0, 0, SIZE * scale, SIZE * scale),
                     Qt.AlignmentFlag.AlignCenter, initial)
    painter.end()
    pixmap.setDevicePixelRatio(scale)
    return QIcon(pixmap)


def _canvas(size: int) -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2)        # drawn at twice the size: sharp on high-DPI
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


@lru_cache(maxsize=4)
def pin_icon(colour: str = "#d4a017", size: int = 14) -> QIcon:
    """A push pin: round head, short needle (pinned chats)."""
    pixmap, painter = _canvas(size)
    pen = QPen(QColor("#8a8f98"), 1.4)
    painter.setPen(pen)
    painter.drawLine(QPointF(size * 0.5, size * 0.55), QPointF(size * 0.5, size * 0.95))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(QRectF(size * 0.2, size * 0.08, size * 0.6, size * 0.55))
    painter.end()
    return QIcon(pixmap)


@lru_cache(maxsize=4)
def running_icon(colour: str = "#2f81f7", size: int = 14) -> QIcon:
    """A filled dot (a reply is streaming in this chat)."""
    pixmap, painter = _canvas(size)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(QRectF(size * 0.22, size * 0.22, size * 0.56, size * 0.56))
    painter.end()
    return QIcon(pixmap)


@lru_cache(maxsize=1)
def blank_icon(size: int = 14) -> QIcon:
    """Keeps titles aligned when a row has no mark."""
    pixmap, painter = _canvas(size)
    painter.end()
    return QIcon(pixmap)
