"""Parts of a message: rendered Markdown text, the thinking section, the error bar;
and how the chat's frames and text colours are drawn without a style sheet on
every widget (``FramePainter``, ``set_text_colour``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QPainter,
    QPaintEvent,
    QPalette,
    QTextCursor,
    QTextDocumentFragment,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QStyleOptionFrame,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.chat.markdown_render import MarkdownRenderer
from app.ui.chat.safe_browser import SafeTextBrowser
from app.ui.chat.stream_renderer import StreamRenderer
from app.ui.chat.theme import ChatTheme


def document_css(theme: ChatTheme) -> str:
    """Default style sheet of every rendered document (QTextDocument's CSS subset)."""
    style = theme.render
    return (
        f"body {{ color:{style.text}; }}"
        f"a {{ color:{style.link}; }}"
        f"code {{ background-color:{style.code_bg}; }}"
        "p { margin-top:3px; margin-bottom:5px; }"
        "pre { margin-top:0px; margin-bottom:0px; }"
        "ul, ol { margin-top:2px; margin-bottom:4px; }"
        "h1, h2, h3, h4 { margin-top:8px; margin-bottom:4px; }"
    )


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


class TextSegment(SafeTextBrowser):
    """A run of Markdown text inside a message, rendered incrementally."""

    def __init__(self, renderer: MarkdownRenderer, theme: ChatTheme,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageText")
        self._renderer = renderer
        self.document().setDefaultStyleSheet(document_css(theme))
        self.stream = StreamRenderer(self.document(), renderer)
        self.sig_action.connect(self._on_action)

    def restyle(self, theme: ChatTheme) -> None:
        """Draw the text again in new colours (only on a theme switch)."""
        old = self.stream
        self.document().clear()
        self.document().setDefaultStyleSheet(document_css(theme))
        self.stream = StreamRenderer(self.document(), self._renderer)
        self.stream.append(old.text)
        if old.finished:
            self.stream.finish()
        else:
            self.stream.flush()

    def _on_action(self, action: str) -> None:
        kind, _, arg = action.partition("/")
        if kind == "copy-code" and arg.isdigit():
            code = self.stream.code_text(int(arg))
            if code is not None:
                QGuiApplication.clipboard().setText(code)

    def plain_text(self, renderer: MarkdownRenderer) -> str:
        """The text without Markdown syntax (code blocks kept verbatim)."""
        parts: list[str] = []
        for block in self.stream.all_blocks():
            if block.kind == "markdown":
                html = renderer.render(block).html
                parts.append(QTextDocumentFragment.fromHtml(html).toPlainText().strip())
            else:
                parts.append(renderer.render(block).code[0] if block.kind == "fence"
                             else block.text.strip())
        return "\n\n".join(part for part in parts if part)


class ThinkingSection(QWidget):
    """The model's reasoning, collapsed by default, appended as plain text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thinking")
        self._pending: list[str] = []
        self.toggle = QToolButton()
        self.toggle.setObjectName("thinkingToggle")
        self.toggle.setText("Thinking")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.text = SafeTextBrowser()
        self.text.setObjectName("thinkingText")
        self.text.hide()
        self.toggle.toggled.connect(self._set_open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.text)

    def _set_open(self, opened: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        self.text.setVisible(opened)

    def append(self, text: str) -> None:
        self._pending.append(text)

    def flush(self) -> bool:
        if not self._pending:
            return False
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText("".join(self._pending))  # plain text: nothing is interpreted
        self._pending.clear()
        return True


class ErrorBar(QFrame):
    """An inline error with Retry and Switch provider."""

    sig_retry = Signal()
    sig_switch_provider = Signal()

    def __init__(self, frames: FramePainter, theme: ChatTheme,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBar")
        self._frames = frames
        self.label = QLabel()
        self.label.setObjectName("errorText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setObjectName("retryButton")
        self.switch_button = QPushButton("Switch provider")
        self.switch_button.setObjectName("switchProviderButton")
        self.retry_button.clicked.connect(self.sig_retry)
        self.switch_button.clicked.connect(self.sig_switch_provider)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.switch_button)
        self.restyle(theme)

    def restyle(self, theme: ChatTheme) -> None:
        set_text_colour(self.label, theme.error_text)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        self._frames.paint(self, "errorBar")

    def set_text(self, text: str) -> None:
        self.label.setText(text)
