"""A tool call shown as a collapsible block: name, arguments, result, duration.

States: ``running`` (busy indicator), ``approval`` (Approve / Deny buttons),
``done`` or ``error`` (result text, duration). Texts are plain (never HTML) and
long results are cut for display.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyleOptionToolButton,
    QStylePainter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.chat.frames import FRAME_BORDER, set_text_colour

if TYPE_CHECKING:
    from app.ui.chat.frames import FramePainter
    from app.ui.chat.theme import ChatTheme

MAX_SHOWN_CHARS = 8_000


def pretty_arguments(arguments: dict[str, Any] | str) -> str:
    """JSON arguments indented; a string that is not valid JSON is shown as is."""
    value: Any = arguments
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except ValueError:
            return arguments
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _cut(text: str) -> str:
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    return f"{text[:MAX_SHOWN_CHARS]}\n… ({len(text) - MAX_SHOWN_CHARS:,} more characters)"


class DisclosureButton(QToolButton):
    """A checkable tool button (so its open/closed state is the button's, for
    keyboard and accessibility) drawn flat whether checked or not: the arrow
    shows the state, and a checked button drawn sunken looked pressed for good."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        option.state &= ~QStyle.StateFlag.State_On
        if not self.isDown():
            option.state &= ~QStyle.StateFlag.State_Sunken
        painter = QStylePainter(self)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ToolButton, option)


def _plain_label(text: str, mono: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if mono:
        label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return label


class ToolCallBlock(QFrame):
    #: (call_id, allowed) after the user pressed Approve or Deny.
    sig_approval = Signal(str, bool)

    def __init__(self, call_id: str, name: str, arguments: dict[str, Any] | str, *,
                 frames: FramePainter, theme: ChatTheme,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolCall")
        self.call_id = call_id
        self.name = name
        self.state = "running"
        self._frames = frames
        self._theme = theme

        self.toggle = DisclosureButton()
        self.toggle.setObjectName("toolToggle")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setText(f"Tool: {name}")
        self.toggle.toggled.connect(self.set_expanded)
        self.status = QLabel("running…")
        self.status.setObjectName("toolStatus")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: Qt animates it
        self.busy.setFixedSize(56, 8)
        self.busy.setTextVisible(False)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.toggle)
        header.addWidget(self.busy)
        header.addWidget(self.status)
        header.addStretch(1)

        self.arguments = _plain_label(pretty_arguments(arguments), mono=True)
        self.arguments.setObjectName("toolArguments")
        self.result = _plain_label("", mono=True)
        self.result.setObjectName("toolResult")
        self.result.hide()
        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(22, 0, 4, 4)
        self.arguments_caption = QLabel("Arguments")
        self.result_caption = QLabel("Result")
        for caption in (self.arguments_caption, self.result_caption):
            caption.setObjectName("toolCaption")
        self.result_caption.hide()
        body_layout.addWidget(self.arguments_caption)
        body_layout.addWidget(self.arguments)
        body_layout.addWidget(self.result_caption)
        body_layout.addWidget(self.result)
        self.body.hide()

        self.approval = QWidget()
        self.approval.setObjectName("toolApproval")
        self.approval_text = _plain_label("")
        self.approve_button = QPushButton("Approve")
        self.approve_button.setObjectName("approveButton")
        self.deny_button = QPushButton("Deny")
        self.deny_button.setObjectName("denyButton")
        self.approve_button.clicked.connect(lambda: self._decide(True))
        self.deny_button.clicked.connect(lambda: self._decide(False))
        row = QHBoxLayout(self.approval)
        row.setContentsMargins(22, 0, 4, 4)
        row.addWidget(self.approval_text, 1)
        row.addWidget(self.approve_button)
        row.addWidget(self.deny_button)
        self.approval.hide()

        layout = QVBoxLayout(self)
        b = FRAME_BORDER  # inside the painted border, as the style sheet's box had it
        layout.setContentsMargins(6 + b, 4 + b, 6 + b, 4 + b)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.approval)
        layout.addWidget(self.body)
        self.restyle(theme)

    def restyle(self, theme: ChatTheme) -> None:
        """Colours of the block and its texts (also after a theme switch)."""
        self._theme = theme
        for caption in (self.arguments_caption, self.result_caption):
            set_text_colour(caption, theme.muted)
        set_text_colour(self.arguments, theme.text)
        failed = self.state == "error"
        set_text_colour(self.status, theme.error_text if failed else theme.muted)
        set_text_colour(self.result, theme.error_text if failed else theme.text)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        self._frames.paint(self, "toolCall")

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)  # comes back here through toggled
            return
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)

    def ask_approval(self, summary: str) -> None:
        self.state = "approval"
        self.approval_text.setText(summary or f"Allow the tool “{self.name}” to run?")
        self.approval.show()
        self.busy.hide()
        self.status.setText("waiting for your approval")
        self.set_expanded(True)

    def _decide(self, allowed: bool) -> None:
        if self.state != "approval":
            return
        self.approval.hide()
        self.state = "running"
        self.busy.show()
        self.status.setText("approved, running…" if allowed else "denied")
        if not allowed:
            self.busy.hide()
        self.sig_approval.emit(self.call_id, allowed)

    def set_result(self, content: str, is_error: bool, duration_ms: float | None) -> None:
        self.state = "error" if is_error else "done"
        self.busy.hide()
        self.approval.hide()
        took = f" · {duration_ms:,.0f} ms" if duration_ms is not None else ""
        self.status.setText(("failed" if is_error else "done") + took)
        self.status.setProperty("error", is_error)
        self.result_caption.setText("Error" if is_error else "Result")
        self.result_caption.show()
        self.result.setText(_cut(content))
        self.result.setProperty("error", is_error)
        self.result.show()
        self.restyle(self._theme)
