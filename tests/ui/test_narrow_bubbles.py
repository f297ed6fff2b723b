"""Chat bubbles and the greeting keep their text whole. In a view as narrow as
the quick chat, a finished reply's footer ("… tok/s ·
first token … · stopped at the token limit") and a waiting state ("waiting for
the engine (another chat is using it)") wrap inside the bubble: the bubble
stays inside the view (it was pushed past the right edge, its text cut). In
the main window at the app's 11 pt, every built-in starter button shows its
whole prompt (the 520 px column cut the longest one at its edges)."""

from __future__ import annotations

from layout_support import rect_in

from app.domain import UsageStats
from tests.ui.chat_support import make_message, settle_layout, shown_chat_view


def test_long_footer_and_waiting_state_wrap_in_a_narrow_view(qtbot) -> None:
    view = shown_chat_view(qtbot, 440, 540)           # the quick chat's size
    view.set_messages([
        make_message(1, "user", "Name three colours of the rainbow."),
        make_message(2, "assistant", "Red, orange and yellow, and then some more.",
                     model="gemma-3-270m", provider="Embedded",
                     usage=UsageStats(completion_tokens=40, tokens_per_s=34.9, ttft_ms=32),
                     meta={"stop_reason": "length", "duration_ms": 1200}),
        make_message(3, "user", "More?"),
    ])
    view.begin_reply(4, "gemma-3-270m", "Embedded")
    view.set_reply_state(4, "waiting_engine")
    settle_layout(view)
    viewport = view.scroll.viewport()
    for message_id in (2, 4):
        widget = view.message_widget(message_id)
        bubble = rect_in(widget.bubble, viewport)
        assert bubble.right() < viewport.width(), message_id
        for label in (widget.footer, widget.state_label):
            if label is not None and label.isVisible():
                assert label.height() >= label.heightForWidth(label.width()), label.text()
                assert rect_in(label, viewport).right() <= bubble.right()
    assert "token limit" in view.message_widget(2).footer.text()


def test_every_starter_is_shown_whole_at_the_apps_font_size(qapp, qtbot, settings) -> None:
    from app.core.starters import STARTERS
    from app.ui.theme import ThemeManager

    ThemeManager(qapp).apply("light", settings.ui.font_size)   # 11 pt, as the app starts
    view = shown_chat_view(qtbot, 940, 600)                   # the main window's chat
    view.set_messages([])
    for kind, starters in STARTERS.items():
        greeting = view.show_greeting("Agent", "gemma3", "local", list(starters))
        settle_layout(view)
        for button in greeting.buttons:
            assert button.width() >= button.sizeHint().width(), (kind, button.text())
