"""One message in the chat: header (who, model, time, actions), content, footer.

The content is a sequence of text segments and tool-call blocks in arrival
order (text, a tool call, more text ...). Text is rendered incrementally by
each segment's StreamRenderer; the view calls ``flush`` on its timer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.wording import usage_words
from app.domain import UsageStats
from app.domain.events import TOKEN_LIMIT_NOTE
from app.ui.chat.citations import CitationBar, clean_references
from app.ui.chat.markdown_render import MarkdownRenderer
from app.ui.chat.message_parts import ActionRow, MessageBubble, ModelBadge
from app.ui.chat.reply_state import ReplyStateLabel
from app.ui.chat.frames import FRAME_BORDER, FramePainter, set_text_colour
from app.ui.chat.segments import ErrorBar, TextSegment, ThinkingSection
from app.ui.chat.stream_renderer import Pump
from app.ui.chat.theme import ChatTheme
from app.ui.chat.tool_block import ToolCallBlock
from app.ui.chat.version_switch import VersionSwitch
from app.ui.plain_text import tooltip

ROLE_TITLES = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}
USER_INDENT = 72


def usage_text(usage: UsageStats | None, status: str, elapsed_s: float | None = None,
               stop_reason: str | None = None) -> str:
    parts = usage_words(usage)
    if elapsed_s is not None:
        parts.append(f"{elapsed_s:.1f} s")
    if stop_reason == "length" and status == "complete":
        parts.append(TOKEN_LIMIT_NOTE)
    elif status in ("cancelled", "partial"):
        parts.append("stopped")
    return " · ".join(parts)


class MessageWidget(QWidget):
    #: "copy-markdown", "copy-plain", "regenerate", "edit", "delete", "retry",
    #: "switch-provider", "version-previous", "version-next".
    sig_action = Signal(str)
    #: A link in the text was clicked (full address, not yet checked).
    sig_link = Signal(str)
    sig_approval = Signal(str, bool)

    def __init__(self, message_id: int, role: str, *, renderer: MarkdownRenderer,
                 theme: ChatTheme, frames: FramePainter, copy_menu: QMenu,
                 created_at: datetime | None = None,
                 model: str | None = None, provider: str | None = None,
                 parent: QWidget | None = None, pump: Pump | None = None) -> None:
        """``frames``, ``copy_menu`` and ``pump`` (drawing spread over event-loop
        turns) are the view's, shared by its messages."""
        super().__init__(parent)
        self._pump = pump
        self.message_id = message_id
        self.role = role
        self.status = "complete"
        self._renderer = renderer
        self._theme = theme
        self._frames = frames
        self._segments: list[TextSegment] = []
        self._open_segment: TextSegment | None = None
        self.tool_blocks: dict[str, ToolCallBlock] = {}
        self.thinking: ThinkingSection | None = None
        self.error_bar: ErrorBar | None = None
        self.citations: CitationBar | None = None  # sources from the agent's knowledge
        self.versions: VersionSwitch | None = None   # ◀ n/m ▶, made when there are some
        self.state_label: ReplyStateLabel | None = None  # "thinking…" until content

        self.bubble = MessageBubble(frames, role)
        outer = QVBoxLayout(self)
        indent = USER_INDENT if role == "user" else 0
        outer.setContentsMargins(8 + indent, 4, 8, 4)
        outer.addWidget(self.bubble)

        self._layout = QVBoxLayout(self.bubble)
        b = FRAME_BORDER  # inside the painted border, as the style sheet's box had it
        self._layout.setContentsMargins(10 + b, 6 + b, 10 + b, 6 + b)
        self._layout.setSpacing(4)
        self._layout.addLayout(self._build_header(created_at, model, provider, copy_menu))
        self._content = QVBoxLayout()
        self._content.setSpacing(4)
        self._layout.addLayout(self._content)
        self.footer = QLabel()
        self.footer.setObjectName("usageFooter")
        self.footer.setTextFormat(Qt.TextFormat.PlainText)
        self.footer.setWordWrap(True)   # "… · stopped at the token limit" in a narrow view
        self.footer.hide()
        self._layout.addWidget(self.footer)
        self._apply_colours()

    # -- header -----------------------------------------------------------------------
    def _build_header(self, created_at: datetime | None, model: str | None,
                      provider: str | None, menu: QMenu) -> QHBoxLayout:
        header = QHBoxLayout()
        header.setSpacing(6)
        self.role_label = QLabel(ROLE_TITLES.get(self.role, self.role))
        self.role_label.setObjectName("roleLabel")
        bold = QFont(self.role_label.font())
        bold.setBold(True)
        self.role_label.setFont(bold)
        header.addWidget(self.role_label)
        # Parented at once: shown while parentless (set_model), the badge would
        # open as a top-level window for a moment and take the window's focus.
        self.model_badge = ModelBadge(self._frames, self)
        self.model_badge.setObjectName("modelBadge")
        self.model_badge.setTextFormat(Qt.TextFormat.PlainText)
        self.set_model(model, provider)
        header.addWidget(self.model_badge)
        self.time_label = QLabel()
        self.time_label.setObjectName("timeLabel")
        if created_at is not None:
            local = created_at.astimezone()
            self.time_label.setText(local.strftime("%H:%M"))
            self.time_label.setToolTip(local.strftime("%Y-%m-%d %H:%M:%S"))
        header.addWidget(self.time_label)
        self.actions = ActionRow()
        header.addWidget(self.actions, 1)
        self.copy_button = self._action_button("Copy", "copyButton", "copy-markdown")
        # The view's one menu (not one per message); the button says which of
        # its items was chosen while it showed the menu.
        self.copy_button.setMenu(menu)
        self.copy_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.copy_button.triggered.connect(self._on_copy_menu)
        self.actions.add(self.copy_button)
        if self.role == "assistant":
            self.regenerate_button = self._action_button("Regenerate", "regenerateButton",
                                                         "regenerate")
            self.actions.add(self.regenerate_button)
        if self.role == "user":
            self.edit_button = self._action_button("Edit", "editButton", "edit")
            self.actions.add(self.edit_button)
        self.delete_button = self._action_button("Delete", "deleteButton", "delete")
        self.actions.add(self.delete_button)
        return header

    def _action_button(self, text: str, name: str, action: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setObjectName(name)
        button.setAutoRaise(True)
        button.clicked.connect(lambda: self._do(action))
        return button

    def _on_copy_menu(self, item: QAction) -> None:
        action = item.data()
        if action in ("copy-markdown", "copy-plain"):
            self._do(action)

    def _do(self, action: str) -> None:
        if action == "copy-markdown":
            QGuiApplication.clipboard().setText(self.markdown())
        elif action == "copy-plain":
            QGuiApplication.clipboard().setText(self.plain_text())
        self.sig_action.emit(action)

    def set_model(self, model: str | None, provider: str | None) -> None:
        if model:
            self.model_badge.setText(model)
            self.model_badge.setToolTip(tooltip(f"{model} via {provider}" if provider
                                                else model))
        self.model_badge.setVisible(bool(model))

    # -- content ----------------------------------------------------------------------
    def segments(self) -> list[TextSegment]:
        return list(self._segments)

    def set_state(self, text: str | None) -> None:
        """What the reply waits for before its first token; None hides it."""
        if text is None:
            if self.state_label is not None:
                self.state_label.hide()
            return
        if self.state_label is None:
            self.state_label = ReplyStateLabel(self._theme.muted)
            self._content.insertWidget(0, self.state_label)
        self.state_label.setText(text)
        self.state_label.show()

    def append_text(self, text: str) -> None:
        self.set_state(None)
        if self._open_segment is None:
            segment = TextSegment(self._renderer, self._theme, pump=self._pump)
            segment.sig_link.connect(self.sig_link)
            self._segments.append(segment)
            self._content.addWidget(segment)
            self._open_segment = segment
        self._open_segment.stream.append(text)

    def append_thinking(self, text: str) -> None:
        self.set_state(None)
        if self.thinking is None:
            self.thinking = ThinkingSection()
            self._layout.insertWidget(1, self.thinking)
        self.thinking.append(text)

    def flush(self) -> bool:
        """Draw what arrived since the last flush; True when something was drawn."""
        drew = self.thinking.flush() if self.thinking is not None else False
        if self._open_segment is not None:
            drew = self._open_segment.stream.flush() or drew
        return drew

    def _close_segment(self) -> None:
        if self._open_segment is not None:
            self._open_segment.stream.finish()
            self._open_segment = None

    def add_attachments(self, attachments: list) -> None:
        """Thumbnails and chips of the files sent with this message."""
        from app.ui.attachment_chips import MessageAttachments

        self._content.addWidget(MessageAttachments(list(attachments)))

    def add_tool_call(self, call_id: str, name: str,
                      arguments: dict[str, Any] | str) -> ToolCallBlock:
        self.set_state(None)
        self.flush()
        self._close_segment()
        block = ToolCallBlock(call_id, name, arguments, frames=self._frames,
                              theme=self._theme)
        block.sig_approval.connect(self.sig_approval)
        self.tool_blocks[call_id] = block
        self._content.addWidget(block)
        return block

    def set_speaker(self, title: str) -> None:
        """Name who spoke in the header (a workflow step's agent) instead of the
        role. Such a message has no Regenerate or Edit: those answer as the
        chat's own agent, not as the workflow's step."""
        self.role_label.setTextFormat(Qt.TextFormat.PlainText)
        self.role_label.setText(title)
        for name in ("regenerate_button", "edit_button"):
            button = getattr(self, name, None)
            if button is not None:
                self.actions.remove(button)

    def finish(self, status: str, usage: UsageStats | None = None,
               elapsed_s: float | None = None, *, stop_reason: str | None = None) -> None:
        """``elapsed_s``: the reply's duration from its start; ``stop_reason``
        "length" notes that it stopped at the token limit."""
        self.set_state(None)
        if self.thinking is not None:
            self.thinking.flush()
        self._close_segment()
        self.status = status
        text = usage_text(usage, status, elapsed_s, stop_reason)
        self.footer.setText(text)
        self.footer.setVisible(bool(text))

    def show_error(self, text: str) -> ErrorBar:
        if self.error_bar is None:
            self.error_bar = ErrorBar(self._frames, self._theme)
            self.error_bar.sig_retry.connect(lambda: self.sig_action.emit("retry"))
            self.error_bar.sig_switch_provider.connect(
                lambda: self.sig_action.emit("switch-provider"))
            self._layout.insertWidget(self._layout.indexOf(self.footer), self.error_bar)
        self.error_bar.set_text(text)
        self.error_bar.show()
        return self.error_bar

    def show_references(self, raw: object) -> CitationBar | None:
        """The sources a reply used (its ``meta["knowledge"]``), as links under it."""
        references = clean_references(raw)
        if not references or self.citations is not None:
            return self.citations
        self.citations = CitationBar(references)
        self._layout.insertWidget(self._layout.indexOf(self.footer), self.citations)
        return self.citations

    def set_versions(self, index: int, count: int) -> None:
        """Show ``◀ index/count ▶`` at the bottom of the bubble (hidden for one)."""
        if count <= 1:
            if self.versions is not None:
                self.versions.hide()
            return
        if self.versions is None:
            self.versions = VersionSwitch()
            self.versions.sig_step.connect(lambda step: self.sig_action.emit(
                "version-next" if step > 0 else "version-previous"))
            self._layout.addWidget(self.versions)
            set_text_colour(self.versions.label, self._theme.muted)
        self.versions.set_versions(index, count)
        self.versions.show()

    def _apply_colours(self) -> None:
        theme = self._theme
        set_text_colour(self.role_label, theme.text)
        set_text_colour(self.model_badge, theme.accent)
        for label in (self.time_label, self.footer, self.state_label):
            if label is not None:
                set_text_colour(label, theme.muted)
        if self.versions is not None:
            set_text_colour(self.versions.label, theme.muted)

    def restyle(self, theme: ChatTheme) -> None:
        """New colours (theme switch): the one time finished text is drawn again."""
        self._theme = theme
        self._apply_colours()
        for segment in self._segments:
            segment.restyle(theme)
        for block in self.tool_blocks.values():
            block.restyle(theme)
        if self.error_bar is not None:
            self.error_bar.restyle(theme)

    # -- copying ----------------------------------------------------------------------
    def markdown(self) -> str:
        return "\n\n".join(s.stream.text.strip() for s in self._segments if s.stream.text.strip())

    def plain_text(self) -> str:
        return "\n\n".join(p for p in (s.plain_text() for s in self._segments) if p)

    def stop_drawing(self) -> None:
        """Drop drawing still queued for later turns (the message leaves the view)."""
        for segment in self._segments:
            segment.stop_drawing()

    def resource_requests(self) -> list[str]:
        """Every resource any of this message's documents asked for (should be none)."""
        browsers = [*self._segments]
        if self.thinking is not None:
            browsers.append(self.thinking.text)
        return [name for browser in browsers for name in browser.resource_requests]
