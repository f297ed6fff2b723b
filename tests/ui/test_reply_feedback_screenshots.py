"""Pictures of the waiting states and the empty chat's greeting, light and dark
(docs/screenshots/chat_states_*.png, chat_greeting_*.png when
scripts/screenshots.sh runs this): each state is checked where it is drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from app.core.starters import STARTERS
from app.domain import UsageStats
from app.domain.events import STATE_TEXTS, TOKEN_LIMIT_NOTE
from app.ui.chat import ChatView, make_palette
from tests.ui.chat_support import make_message, settle_layout, shown_chat_view


def in_theme(dark: bool) -> object:
    app = QApplication.instance()
    old = app.palette()
    app.setPalette(make_palette(dark))
    return old


def label_drawn(label, theme_colour: str) -> bool:
    """Some pixel of the label is (nearly) its text colour: it was really drawn.
    Antialiased glyphs of the pinned test font may never hit the exact colour."""
    want = QColor(theme_colour)
    image = label.grab().toImage()

    def near(colour: QColor) -> bool:
        return (abs(colour.red() - want.red()) + abs(colour.green() - want.green())
                + abs(colour.blue() - want.blue())) <= 36

    return any(near(image.pixelColor(x, y))
               for y in range(image.height()) for x in range(image.width()))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_waiting_states_screenshot(qtbot, theme: str, screenshot_dir: Path) -> None:
    old = in_theme(theme == "dark")
    try:
        view: ChatView = shown_chat_view(qtbot, 760, 640)
        view.set_messages([
            make_message(1, "user", "Tell me a long story about the sea."),
            make_message(2, "assistant", "The sea was calm that morning, and the boats",
                         model="gemma-3-270m", provider="Embedded",
                         usage=UsageStats(completion_tokens=12, tokens_per_s=48.2,
                                          ttft_ms=95),
                         meta={"stop_reason": "length", "duration_ms": 1340}),
            make_message(3, "user", "And the next chapter?"),
        ])
        for message_id, state in ((4, None), (5, "loading_model"), (6, "waiting_engine")):
            view.begin_reply(message_id, "gemma-3-270m", "Embedded")
            if state is not None:
                view.set_reply_state(message_id, state)
        settle_layout(view)
        footer = view.message_widget(2).footer.text()
        assert TOKEN_LIMIT_NOTE in footer and "1.3 s" in footer
        muted = view._theme.muted
        for message_id, text in ((4, STATE_TEXTS["generating"]),
                                 (5, STATE_TEXTS["loading_model"]),
                                 (6, STATE_TEXTS["waiting_engine"])):
            label = view.message_widget(message_id).state_label
            assert label.text() == text and label.isVisibleTo(view)
            assert label_drawn(label, muted)
        assert view.grab().save(str(screenshot_dir / f"chat_states_{theme}.png"))
    finally:
        QApplication.instance().setPalette(old)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_greeting_screenshot(qtbot, theme: str, screenshot_dir: Path) -> None:
    old = in_theme(theme == "dark")
    try:
        view: ChatView = shown_chat_view(qtbot, 760, 520)
        view.set_messages([])
        greeting = view.show_greeting("Code Assistant", "gemma-3-270m", "Embedded",
                                      list(STARTERS["code"]))
        settle_layout(view)
        assert greeting is view.greeting() and greeting.isVisibleTo(view)
        assert label_drawn(greeting.title, view._theme.text)
        for button in greeting.buttons:
            assert button.width() >= button.sizeHint().width()   # whole prompt shown
        assert view.grab().save(str(screenshot_dir / f"chat_greeting_{theme}.png"))
        view.begin_reply(1, "gemma-3-270m", "Embedded")          # a reply: greeting gone
        assert view.greeting() is None
    finally:
        QApplication.instance().setPalette(old)
