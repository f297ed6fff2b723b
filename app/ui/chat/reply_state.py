"""What a reply's bubble says before its first token, and the facts its
footer takes from the finished message (duration, why it stopped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QWidget

from app.ui.chat.frames import set_text_colour


class ReplyStateLabel(QLabel):
    """"thinking…", "loading model…", "waiting for the engine…": one muted,
    italic line in the bubble until the reply's first token."""

    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replyState")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleName("Reply status")
        font = QFont(self.font())
        font.setItalic(True)
        self.setFont(font)
        set_text_colour(self, colour)


def reply_seconds(meta: Mapping[str, Any]) -> float | None:
    """A reply's duration from its start, as recorded (``meta["duration_ms"]``)."""
    duration = meta.get("duration_ms")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
        return duration / 1000
    return None
