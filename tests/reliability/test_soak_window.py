"""Soak through the window (issue 21): consecutive turns typed into the real
MainWindow's composer path (pytest-qt, offscreen), each answered by the real
llama.cpp server through the window's chat session and drawn in the chat view,
a new chat every ``TURNS_PER_CHAT`` turns (as a person starts new chats).
After a warm-up: resident memory grows at most 20 MB; file descriptors,
sockets, live asyncio tasks on the window's loop and live QWidgets do not grow
(the chat view holds the shown chat's messages only: switching chats must
free the widgets of the chat left). Every question and reply is stored.

    AGENTDESK_SOAK_TURNS=N          # measured turns (default 100)
    AGENTDESK_RELIABILITY_LONG=1    # 500

Figures: docs/RELIABILITY.md ("Soak").
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from app.services.chat_session import ChatSession
from app.ui.main_window import MainWindow
from tests.reliability.soak_support import (
    TURNS_PER_CHAT,
    WARM_UP_TURNS,
    Probe,
    check_and_record,
    question,
    seed,
    soak_turns,
)
from tests.ui.conftest import (  # noqa: F401 (the window tests' fixtures)
    _restore_appearance,
    aio,
    async_store,
    bridge,
    db_path,
    qloop,
    settings,
)
from tests.ui.window_support import REPLY_MS, WAIT_MS, open_window, send


def _idle(window: MainWindow) -> bool:
    controller = window.controller
    cid = controller.conversation_id
    return (cid is not None and cid in controller.sessions
            and not controller.sessions[cid].running and not controller.loading)


def new_chat(qtbot, window: MainWindow) -> None:
    """New Chat, as the button does; widgets the view let go of are deleted
    (Qt deletes them when its loop next turns; done here at once)."""
    window.new_chat()
    qtbot.waitUntil(lambda: window.controller.conversation_id is None
                    and not window.chat_view.message_ids(), timeout=WAIT_MS)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.mark.timeout(3600)     # 500+ real turns on a loaded 2-core machine
def test_window_soak_keeps_memory_descriptors_tasks_and_widgets_flat(
        qtbot, aio, bridge, db_path, settings, llama_server) -> None:  # noqa: F811
    turns = soak_turns(100, 500)
    seed(db_path, llama_server.base_url)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    sent: list[str] = []
    missing: list[int] = []
    started = time.monotonic()
    baseline: Probe | None = None
    for turn in range(WARM_UP_TURNS + turns):
        text = question(turn)
        if turn % TURNS_PER_CHAT == 0 and turn:
            new_chat(qtbot, window)
        if turn == WARM_UP_TURNS:
            baseline = Probe.read(aio.loop)
            sessions = len(window.controller.findChildren(ChatSession))
        sent.append(text)
        send(window, text)
        qtbot.waitUntil(lambda: _idle(window), timeout=REPLY_MS)
        window.chat_view.flush()
        ids = window.chat_view.message_ids()
        shown = [window.chat_view.message_widget(i) for i in ids[-2:]]
        if [w.role for w in shown if w is not None] != ["user", "assistant"] \
                or not shown[-1].markdown():
            missing.append(turn)
    assert baseline is not None
    new_chat(qtbot, window)
    end = Probe.read(aio.loop)
    sessions = len(window.controller.findChildren(ChatSession)) - sessions
    print(f"\nsoak (window): chat sessions {sessions:+d}")
    assert not missing, f"turns without their question and reply shown: {missing[:5]}"
    growth = check_and_record("window", turns, baseline, end, db_path, sent,
                              time.monotonic() - started)
    assert growth.widgets <= 0, growth.shown()
    assert sessions <= 0, f"{sessions} more chat sessions kept than at the start"
