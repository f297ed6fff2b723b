"""Work deferred until a widget is first drawn (app/ui/first_paint.py), and the
start-up work that uses it."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QLabel

from app.ui.chat import markdown_render
from app.ui.chat.chat_view import ChatView
from app.ui.first_paint import MESSAGE, after_first_paint, log_first_paint

WAIT_MS = 5000


def test_the_callback_runs_once_after_the_first_paint_not_before(qtbot) -> None:
    label = QLabel("hello")
    qtbot.addWidget(label)
    calls: list[bool] = []
    after_first_paint(label, lambda: calls.append(label.isVisible()))

    qtbot.wait(50)   # the event loop runs; nothing is drawn yet
    assert calls == []

    label.show()
    qtbot.waitUntil(lambda: calls == [True], timeout=WAIT_MS)
    label.setText("drawn again")
    label.repaint()
    qtbot.wait(50)
    assert calls == [True]


def test_the_window_painted_line_carries_the_wall_clock_time(qtbot, caplog) -> None:
    label = QLabel("window")
    qtbot.addWidget(label)
    log_first_paint(label)
    with caplog.at_level(logging.INFO, logger="app.ui.first_paint"):
        label.show()
        qtbot.waitUntil(lambda: MESSAGE in caplog.text, timeout=WAIT_MS)
    assert "epoch " in caplog.text


def test_the_chat_view_warms_up_the_highlighter_only_once_drawn(qtbot) -> None:
    markdown_render._lexer.cache_clear()
    view = ChatView()
    qtbot.addWidget(view)

    qtbot.wait(50)   # a zero-time timer would have run by now
    assert markdown_render._lexer.cache_info().currsize == 0

    view.resize(400, 300)
    view.show()
    qtbot.waitUntil(lambda: markdown_render._lexer.cache_info().currsize >= 4,
                    timeout=WAIT_MS)
