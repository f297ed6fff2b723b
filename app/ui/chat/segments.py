"""Parts of a message: rendered Markdown text, the thinking section, the error bar."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QGuiApplication,
    QPaintEvent,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.chat.markdown_render import MarkdownRenderer
from app.ui.chat.safe_browser import SafeTextBrowser
from app.ui.chat.stream_renderer import Pump, StreamRenderer
from app.ui.chat.frames import FramePainter, set_text_colour
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


class TextSegment(SafeTextBrowser):
    """A run of Markdown text inside a message, rendered incrementally."""

    def __init__(self, renderer: MarkdownRenderer, theme: ChatTheme,
                 parent: QWidget | None = None, *, pump: Pump | None = None) -> None:
        """``pump``: the view's (drawing spread over event-loop turns)."""
        super().__init__(parent)
        self.setObjectName("messageText")
        self._renderer = renderer
        self._pump = pump
        self.document().setDefaultStyleSheet(document_css(theme))
        self.stream = StreamRenderer(self.document(), renderer, pump)
        self.sig_action.connect(self._on_action)

    def restyle(self, theme: ChatTheme) -> None:
        """Draw the text again in new colours (only on a theme switch)."""
        old = self.stream
        self.stop_drawing()
        self.document().clear()
        self.document().setDefaultStyleSheet(document_css(theme))
        self.stream = StreamRenderer(self.document(), self._renderer, self._pump)
        self.stream.append(old.text)
        if old.finished:
            self.stream.finish()
        else:
            self.stream.flush()

    def stop_drawing(self) -> None:
        """Drop drawing still queued for later turns (the segment is going away)."""
        if self._pump is not None:
            self._pump.discard(self.stream)

    def _on_action(self, action: str) -> None:
        kind, _, arg = action.partition("/")
        if kind == "copy-code" and arg.isdigit():
            code = self.stream.code_text(int(arg))
            if code is not None:
                QGuiApplication.clipboard().setText(code)

    def plain_text(self) -> str:
        """The text without Markdown syntax (code blocks kept verbatim; blocks too
        complex for Markdown, or past the message's budget, as they came)."""
        return "\n\n".join(part for part in self.stream.plain_text() if part)


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
