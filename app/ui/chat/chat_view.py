"""The chat view (``chatView``): a conversation's messages, streaming replies.

Structure: one QScrollArea holding a column of MessageWidgets (header with
actions, text segments, tool-call blocks, error bar, usage footer). Real
widgets make actions, collapsible tool blocks and approval buttons ordinary Qt
buttons; each text segment is a SafeTextBrowser whose document is only ever
appended to (finished Markdown blocks once, the open tail block redrawn), so
the cost of a flush does not grow with the length of the reply or the chat.

- Streaming: ``append_text`` / ``append_thinking`` only buffer; one QTimer
  (``FLUSH_MS``) draws everything pending in all messages.
- Follow the bottom: only while the user is at the bottom; scrolled up, the
  view stays put. Prepending older messages keeps what the user looks at in
  place (``ScrollKeeper``, scroll_keeper.py).
- Layout: the column's minimum size follows its messages, so a message that
  grows or arrives moves and resizes nothing above it, however long the chat.
- Paging: ``set_messages`` shows the newest page; scrolling to the top emits
  ``sig_need_older(oldest_id)`` once, answered by ``prepend_messages``.
- Links go through ``LinkPolicy`` (confirmation, allowed schemes only).
- Waiting: a reply's bubble says what it waits for until its first token
  ("thinking…", or the engine's ``Status``: "loading model…", "waiting for
  the engine…"); a finished reply's footer shows its duration from the
  reply's start (``meta["duration_ms"]``, the same live and after a reload)
  and "stopped at the token limit" when it ended at max tokens.
- An empty new chat shows a greeting (``show_greeting``): the agent's name
  and model, and starter prompts (``sig_starter``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QLayout, QMenu, QScrollArea, QVBoxLayout, QWidget

from app.domain import Message, UsageStats
from app.domain.events import STATE_TEXTS
from app.ui.chat.link_policy import LinkPolicy
from app.ui.chat.markdown_render import MarkdownRenderer, warm_up
from app.ui.chat.message_parts import make_copy_menu
from app.ui.chat.message_widget import MessageWidget
from app.ui.chat.frames import ChatColumn, FramePainter
from app.ui.chat.greeting import ChatGreeting
from app.ui.chat.render_pump import RenderPump
from app.ui.chat import stored_message
from app.ui.chat.scroll_keeper import ScrollKeeper
from app.ui.chat.theme import ChatTheme
from app.ui.chat.tool_block import ToolCallBlock
from app.ui.first_paint import after_first_paint

FLUSH_MS = 40


class ChatView(QWidget):
    sig_need_older = Signal(int)           # id of the oldest message shown
    sig_copy = Signal(int, str)            # message id, "markdown" | "plain" (copied already)
    sig_regenerate = Signal(int)
    sig_edit = Signal(int)
    sig_delete = Signal(int)
    sig_retry = Signal(int)
    sig_switch_provider = Signal(int)
    sig_approval = Signal(str, bool)       # call id, allowed
    sig_switch_version = Signal(int, int)  # message id, -1 previous / +1 next version
    sig_starter = Signal(str)              # a starter prompt of the greeting was chosen

    def __init__(self, parent: QWidget | None = None, *,
                 link_policy: LinkPolicy | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.link_policy = link_policy or LinkPolicy()
        self._theme = ChatTheme.from_palette(self.palette())
        self._renderer = MarkdownRenderer(self._theme.render)
        # Text drawing of all messages, about a frame's worth per event-loop turn.
        self.render_pump = RenderPump(self)
        # Shared by all messages: no style sheet on the messages, one Copy menu.
        self._frames = FramePainter(self._theme)
        self._copy_menu: QMenu | None = None
        self._widgets: dict[int, MessageWidget] = {}
        self._order: list[MessageWidget] = []
        self._calls: dict[str, ToolCallBlock] = {}
        self._greeting: ChatGreeting | None = None
        self._dirty: set[int] = set()  # messages with buffered text
        self.flush_count = 0
        #: Called after each flush that drew something with (wall s, CPU s) (benchmarks).
        self.flush_hook: Callable[[float, float], None] | None = None

        self.scroll = QScrollArea()
        self.scroll.setObjectName("chatScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.container = ChatColumn()
        self._column = QVBoxLayout(self.container)
        self._column.setContentsMargins(4, 8, 4, 8)
        self._column.setSpacing(2)
        self._column.addStretch(1)
        # The column's minimum size follows its layout, set before each layout
        # pass. Without it a message that grew (a streaming reply, each flush;
        # a new message) was first laid out in the column's old height — every
        # message shown was resized and moved to fit — and again once the scroll
        # area had resized the column: the layout work per reply grew with the
        # length of the chat (two passes over every message). Now the messages above
        # the one that changed get no Move or Resize at all (test_chat_growth.py).
        self._column.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.scroll.setWidget(self.container)
        # QScrollArea turned auto-fill on; the column paints its own background
        # (as the style sheet did, which turned it off again), so the viewport
        # under it is still painted with it, as before.
        self.container.setAutoFillBackground(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        self._apply_theme()

        # Older messages also load when the shown ones do not fill the view (a
        # tall window, short messages): there is no scroll bar to scroll up with.
        self._scroller = ScrollKeeper(
            self.scroll, self.container,
            lambda: self._order[0].message_id if self._order else None, self)
        self._scroller.sig_need_older.connect(self.sig_need_older)
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        # Once the view is on screen, not before (it would delay the window's
        # first paint by ~80 ms) and not in the middle of the first reply.
        after_first_paint(self.scroll.viewport(), lambda: warm_up(self._theme.render))

    # -- loading ----------------------------------------------------------------------
    def clear(self) -> None:
        for widget in self._order:
            widget.stop_drawing()
            widget.setParent(None)
            widget.deleteLater()
        self._widgets.clear()
        self._order.clear()
        self._calls.clear()
        self._dirty.clear()
        self._scroller.reset()

    def set_messages(self, messages: Iterable[Message], *, has_older: bool = False) -> None:
        """Show a conversation: ``messages`` is its newest page, oldest first."""
        self.clear()
        self._scroller.page_shown(has_older)
        for widget in self._build(list(messages)):
            self._append_widget(widget)
        if not self._order:
            self.hide_greeting()   # shown again by show_greeting, for a new chat

    def prepend_messages(self, older: Iterable[Message], *, has_older: bool = False) -> None:
        """Add an older page above what is shown; what the user sees stays in place."""
        self._scroller.before_prepend(self._order[0] if self._order else None, has_older)
        built = self._build(list(older))
        for index, widget in enumerate(built):
            self._column.insertWidget(index, widget)
        self._order[:0] = built

    def _build(self, messages: list[Message]) -> list[MessageWidget]:
        results = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
        built: list[MessageWidget] = []
        for message in messages:
            if message.role == "tool" or message.id is None:
                continue
            widget = self._new_widget(message.id, message.role, message.created_at,
                                      message.model, message.provider)
            stored_message.fill(widget, message, results, self._add_call)
            built.append(widget)
        return built

    def _new_widget(self, message_id: int, role: str, created_at: Any = None,
                    model: str | None = None, provider: str | None = None) -> MessageWidget:
        if self._copy_menu is None:
            self._copy_menu = make_copy_menu(self)
        widget = MessageWidget(message_id, role, renderer=self._renderer, theme=self._theme,
                               frames=self._frames, copy_menu=self._copy_menu,
                               created_at=created_at, model=model, provider=provider,
                               pump=self.render_pump)
        widget.sig_action.connect(lambda action, w=widget: self._on_action(w, action))
        widget.sig_link.connect(self.open_link)
        widget.sig_approval.connect(self.sig_approval)
        self._widgets[message_id] = widget
        return widget

    def _add_call(self, widget: MessageWidget, call_id: str, name: str,
                  arguments: dict[str, Any] | str) -> ToolCallBlock:
        block = widget.add_tool_call(call_id, name, arguments)
        self._calls[call_id] = block
        return block

    # -- streaming --------------------------------------------------------------------
    def add_user_message(self, message: Message) -> MessageWidget:
        """Show a message the user just sent (the view follows the bottom again)."""
        self._scroller.follow = True
        (widget,) = self._build([message])
        self._append_widget(widget)
        return widget

    def begin_reply(self, message_id: int, model: str | None = None,
                    provider: str | None = None, *,
                    speaker: str | None = None) -> MessageWidget:
        """``speaker``: who is answering, shown instead of "Assistant" (a workflow step)."""
        widget = self._new_widget(message_id, "assistant", datetime.now(timezone.utc),
                                  model, provider)
        if speaker:
            widget.set_speaker(speaker)
        widget.status = "streaming"
        widget.set_state(STATE_TEXTS["generating"])   # "thinking…" until the first token
        self._append_widget(widget)
        return widget

    def set_reply_state(self, message_id: int, state: str) -> None:
        """What a streaming reply waits for (a ``Status`` state) before its first token."""
        widget = self._widgets.get(message_id)
        if widget is not None and widget.status == "streaming":
            widget.set_state(STATE_TEXTS.get(state, STATE_TEXTS["generating"]))

    def _append_widget(self, widget: MessageWidget) -> None:
        self.hide_greeting()
        self._column.insertWidget(self._column.count() - 1, widget)
        self._order.append(widget)

    # -- greeting -----------------------------------------------------------------------
    def show_greeting(self, name: str, model: str, provider: str,
                      starters: list[str]) -> ChatGreeting | None:
        """Greet in an empty chat: the agent's name and model and starter prompts
        (a chat that shows messages keeps them; None then)."""
        if self._order:
            return None
        if self._greeting is None:
            self._greeting = ChatGreeting(self._theme)
            self._greeting.sig_starter.connect(self.sig_starter)
            self._column.insertWidget(0, self._greeting)
        self._greeting.set_agent(name, model, provider, starters)
        self._greeting.show()
        return self._greeting

    def hide_greeting(self) -> None:
        if self._greeting is not None:
            self._greeting.hide()

    def greeting(self) -> ChatGreeting | None:
        """The greeting while it is shown."""
        greeting = self._greeting
        return greeting if greeting is not None and not greeting.isHidden() else None

    def append_text(self, message_id: int, text: str) -> None:
        widget = self._widgets.get(message_id)
        if widget is not None:
            widget.append_text(text)
            self._schedule(message_id)

    def append_thinking(self, message_id: int, text: str) -> None:
        widget = self._widgets.get(message_id)
        if widget is not None:
            widget.append_thinking(text)
            self._schedule(message_id)

    def add_tool_call(self, message_id: int, call_id: str, name: str,
                      arguments: dict[str, Any] | str) -> ToolCallBlock | None:
        widget = self._widgets.get(message_id)
        if widget is None:
            return None
        return self._add_call(widget, call_id, name, arguments)

    def set_tool_result(self, call_id: str, content: str, is_error: bool = False,
                        duration_ms: float | None = None) -> None:
        block = self._calls.get(call_id)
        if block is not None:
            block.set_result(content, is_error, duration_ms)

    def show_approval(self, call_id: str, summary: str = "") -> None:
        block = self._calls.get(call_id)
        if block is not None:
            block.ask_approval(summary)

    def finish_reply(self, message_id: int, status: str = "complete",
                     usage: UsageStats | None = None, error: str | None = None, *,
                     meta: Mapping[str, Any] | None = None) -> None:
        """``meta``: the finished message's (its duration and stop reason)."""
        widget = self._widgets.get(message_id)
        if widget is None:
            return
        stored_message.show_outcome(widget, status, usage, meta or {}, error)

    def show_error(self, message_id: int, text: str) -> None:
        widget = self._widgets.get(message_id)
        if widget is not None:
            widget.flush()
            widget.show_error(text)

    def _schedule(self, message_id: int) -> None:
        self._dirty.add(message_id)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Draw everything buffered (called by the timer; tests may call it)."""
        wall, cpu = time.perf_counter(), time.process_time()
        drew = False
        dirty, self._dirty = self._dirty, set()
        for message_id in dirty:
            widget = self._widgets.get(message_id)
            if widget is not None:
                drew = widget.flush() or drew
        if not drew:
            self._timer.stop()
            return
        self.flush_count += 1
        if self.flush_hook is not None:
            self.flush_hook(time.perf_counter() - wall, time.process_time() - cpu)

    def remove_message(self, message_id: int) -> None:
        """Take a message out of the view (e.g. after it was deleted)."""
        widget = self._widgets.pop(message_id, None)
        if widget is None:
            return
        self._order.remove(widget)
        for call_id in widget.tool_blocks:
            self._calls.pop(call_id, None)
        self._dirty.discard(message_id)
        widget.stop_drawing()
        widget.setParent(None)
        widget.deleteLater()

    def set_versions(self, versions: dict[int, tuple[int, int]]) -> None:
        """``◀ index/count ▶`` on the shown messages with other versions
        (message id -> (index, count)); the others show none."""
        for widget in self._order:
            index, count = versions.get(widget.message_id, (1, 1))
            if count > 1 or widget.versions is not None:
                widget.set_versions(index, count)

    # -- queries (tests, other widgets) ----------------------------------------------
    def message_widget(self, message_id: int) -> MessageWidget | None:
        return self._widgets.get(message_id)

    def message_ids(self) -> list[int]:
        return [widget.message_id for widget in self._order]

    def tool_block(self, call_id: str) -> ToolCallBlock | None:
        return self._calls.get(call_id)

    def is_following(self) -> bool:
        return self._scroller.follow

    def is_drawing(self) -> bool:
        """Finished text is still being drawn over the next event-loop turns."""
        return self.render_pump.busy

    # -- actions and links ------------------------------------------------------------
    def _on_action(self, widget: MessageWidget, action: str) -> None:
        message_id = widget.message_id
        if action in ("copy-markdown", "copy-plain"):
            self.sig_copy.emit(message_id, action.removeprefix("copy-"))
        elif action == "regenerate":
            self.sig_regenerate.emit(message_id)
        elif action == "edit":
            self.sig_edit.emit(message_id)
        elif action == "delete":
            self.sig_delete.emit(message_id)
        elif action == "retry":
            self.sig_retry.emit(message_id)
        elif action == "switch-provider":
            self.sig_switch_provider.emit(message_id)
        elif action in ("version-previous", "version-next"):
            self.sig_switch_version.emit(message_id, 1 if action == "version-next" else -1)

    def open_link(self, url: str) -> bool:
        return self.link_policy.handle(url, self)

    # -- scrolling --------------------------------------------------------------------
    def scroll_to_bottom(self) -> None:
        self._scroller.scroll_to_bottom()

    # -- theme ------------------------------------------------------------------------
    def _apply_theme(self) -> None:
        self.container.background = QColor(self._theme.base)
        self.container.update()
        self._frames.set_theme(self._theme)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            theme = ChatTheme.from_palette(self.palette())
            if theme != self._theme:
                self._theme = theme
                self._renderer.set_style(theme.render)
                self._apply_theme()
                for widget in self._order:
                    widget.restyle(theme)
                if self._greeting is not None:
                    self._greeting.restyle(theme)
