"""The chat drawn without a style sheet on its widgets.

A style sheet on the chat's container sent every widget of every message
through QStyleSheetStyle (~9 KB each, about half of what a message cost). The
frames (bubbles, tool blocks, the error bar, the model badge) are painted by
one ``FramePainter`` per view from the same rules, text colours are plain
palettes (``set_text_colour``), and the column under the messages paints its
own background (``ChatColumn``).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QStyle, QStyleOptionFrame, QWidget

from app.ui.chat.theme import ChatTheme


def frame_stylesheet(theme: ChatTheme) -> str:
    """The chat's bordered and rounded frames, as a style sheet (drawn through
    ``FramePainter``, never set on the message widgets themselves)."""
    return (
        f"#message {{ border-radius: 10px; border: 1px solid {theme.border}; }}"
        f'#message[role="user"] {{ background: {theme.user_bubble}; border-color: {theme.user_bubble}; }}'
        f'#message[role="assistant"] {{ background: {theme.assistant_bubble}; }}'
        f"#modelBadge {{ border: 1px solid {theme.accent}; border-radius: 7px;"
        " padding: 0px 6px; }"
        f"#toolCall {{ border: 1px solid {theme.border}; border-radius: 6px;"
        f" background: {theme.render.code_bg}; }}"
        f"#errorBar {{ background: {theme.error_bg}; border-radius: 6px; }}"
    )


#: Space a frame's border takes inside it (the 1px borders above), kept clear by
#: the layouts inside bubbles and tool blocks as the style sheet's box model did.
FRAME_BORDER = 1
#: The model badge's border + horizontal padding, and its border (vertical).
BADGE_MARGINS = (7, 1, 7, 1)


class FramePainter:
    """Draws the chat's frames (message bubbles, tool-call blocks, the error bar,
    the model badge) exactly as ``frame_stylesheet`` describes them, for one view.

    A style sheet on the chat's container sent every widget of every message
    through QStyleSheetStyle: ~9 KB of rule caches and palette and font copies
    per widget, about half of what a message costs. Here the style sheet sits on
    one hidden host with one stand-in widget per kind of frame; a frame's
    ``paintEvent`` has the style-sheet style draw the stand-in's background and
    border into the frame's own rectangle, so the pixels are the ones the style
    sheet drew. Text colours are plain palettes (``set_text_colour``); no other
    palette is touched, so every widget draws with the application's palette, as
    it did under the style sheet (which kept parents' palettes from propagating).
    """

    def __init__(self, theme: ChatTheme) -> None:
        self._theme = theme
        self._host: QWidget | None = None  # made at the first paint
        self._stand_ins: dict[tuple[str, str], QWidget] = {}

    def set_theme(self, theme: ChatTheme) -> None:
        """New colours: the next paint makes a new host. (A style sheet changed
        on a widget that was never shown would keep its cached rules.)"""
        if theme == self._theme:
            return
        self._theme = theme
        if self._host is not None:
            self._host.deleteLater()
        self._host = None
        self._stand_ins = {}

    def _stand_in(self, name: str, role: str) -> QWidget:
        key = (name, role)
        stand_in = self._stand_ins.get(key)
        if stand_in is None:
            if self._host is None:
                self._host = QWidget()
                self._host.setObjectName("chatFrameStyles")
                self._host.setStyleSheet(frame_stylesheet(self._theme))
            stand_in = QLabel(self._host) if name == "modelBadge" else QFrame(self._host)
            stand_in.setObjectName(name)
            if role:
                stand_in.setProperty("role", role)
            # Polished now, before its first use: an unpolished stand-in made
            # inside a paint event draws nothing that first time, and on screen
            # nothing paints the frame again (after a theme switch every
            # stand-in is new, so every bubble lost its frame until it was
            # redrawn for another reason). grab() repaints, so hid this.
            stand_in.ensurePolished()
            self._stand_ins[key] = stand_in
        return stand_in

    def paint(self, widget: QWidget, name: str, role: str = "") -> None:
        """Draw the frame ``#name`` (``[role=...]``) over all of ``widget``
        (call from its ``paintEvent``, before anything else is drawn)."""
        stand_in = self._stand_in(name, role)
        option = QStyleOptionFrame()
        option.initFrom(widget)
        style = stand_in.style()
        painter = QPainter(widget)
        try:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, stand_in)
            style.drawControl(QStyle.ControlElement.CE_ShapedFrame, option, painter, stand_in)
        finally:
            painter.end()


def set_text_colour(widget: QWidget, colour: str) -> None:
    """Draw ``widget``'s text in ``colour`` (the roles a style sheet's ``color:``
    sets)."""
    palette = widget.palette()
    value = QColor(colour)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText, widget.foregroundRole()):
        palette.setColor(role, value)
    widget.setPalette(palette)


class ChatColumn(QWidget):
    """The scroll area's content: the messages, on the theme's base colour
    (painted, not a palette, so the messages keep the application's palette)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("chatContainer")
        self.background = QColor()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(event.rect(), self.background)
        painter.end()
