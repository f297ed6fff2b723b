"""A long chat stays as fast as a short one: a streamed reply's layout work does
not grow with the messages above it.

The reliability run saw the GUI thread's CPU per reply grow with the replies
added live in one window session (7-18 ms early, 35-45 ms after 60-80 turns).
A cause found: each time a message grew or arrived, the chat column was laid out
in its old, too short height — every message shown was resized and moved —
and then again at the height the scroll area gave it. Here one real ChatView
takes many turns live, and the Qt events that carry layout work (Move, Resize)
are counted per turn. Counting, not timing: the count is the same on a loaded
2-core CI machine as on an idle one, and it is the work that used to grow.

- Messages above the turn's two get no Move or Resize at all (before the fix:
  two per message per layout pass, ~570 in turn 10 of this script).
- The whole turn's Move/Resize/LayoutRequest count at the last turn is that of
  turn 5, within a slack of 10% (word wrap can make one line more or less).

``AGENTDESK_RELIABILITY_LONG=1`` runs 300 turns (600 messages) instead of 40.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timezone

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

from app.domain import Message
from app.ui.chat import ChatView
from app.ui.chat.message_widget import MessageWidget
from tests.ui.chat_support import shown_chat_view

LONG = os.environ.get("AGENTDESK_RELIABILITY_LONG") == "1"
TURNS = 300 if LONG else 40
FIRST_MEASURED = 5
FLUSHES = 8
LAYOUT_EVENTS = (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.LayoutRequest)
T0 = datetime(2025, 1, 1, 9, 30, tzinfo=timezone.utc)


class LayoutEventCounter(QObject):
    """Counts layout events in the whole application while installed, and those
    that reached a widget of a message other than ``current``."""

    def __init__(self, current: set[MessageWidget]) -> None:
        super().__init__()
        self.current = current
        self.total: Counter[str] = Counter()
        self.older = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() in LAYOUT_EVENTS:
            self.total[event.type().name] += 1
            if event.type() != QEvent.Type.LayoutRequest and isinstance(watched, QWidget):
                message = _message_of(watched)
                if message is not None and message not in self.current:
                    self.older += 1
        return False


def _message_of(widget: QWidget | None) -> MessageWidget | None:
    while widget is not None and not isinstance(widget, MessageWidget):
        widget = widget.parentWidget()
    return widget


def settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def one_turn(view: ChatView, turn: int, counter: LayoutEventCounter | None) -> None:
    """A question and a streamed reply of a few paragraphs, flushed as the timer would."""
    user_id, reply_id = 2 * turn + 1, 2 * turn + 2
    app = QApplication.instance()
    if counter is not None:
        app.installEventFilter(counter)
    try:
        user = view.add_user_message(Message(id=user_id, conversation_id=1, role="user",
                                             content=f"question {turn}: " + "why? " * 12,
                                             created_at=T0))
        if counter is not None:
            counter.current = {user}
        settle()
        reply = view.begin_reply(reply_id, "gemma3", "local")
        if counter is not None:
            counter.current = {user, reply}
        settle()
        for k in range(FLUSHES):
            view.append_text(reply_id, f"part {k} of reply {turn}: " + "words " * 9
                             + ("\n\n" if k % 3 == 2 else ""))
            view.flush()
            settle()
        view.finish_reply(reply_id, "complete")
        settle()
    finally:
        if counter is not None:
            app.removeEventFilter(counter)


def test_layout_work_per_turn_does_not_grow_with_the_chat(qtbot) -> None:
    view = shown_chat_view(qtbot, 700, 500)
    measured: dict[int, LayoutEventCounter] = {}
    for turn in range(TURNS):
        counter = None
        if turn in (FIRST_MEASURED, TURNS - 1):
            counter = measured[turn] = LayoutEventCounter(set())
        one_turn(view, turn, counter)
    assert len(view.message_ids()) == 2 * TURNS

    early, late = measured[FIRST_MEASURED], measured[TURNS - 1]
    early_total, late_total = sum(early.total.values()), sum(late.total.values())
    print(f"chat growth: {TURNS} turns; layout events at turn {FIRST_MEASURED}: "
          f"{dict(early.total)}, at turn {TURNS - 1}: {dict(late.total)}; "
          f"on older messages: {early.older}, {late.older}")
    # The messages above the turn's two are never laid out again.
    assert early.older == 0
    assert late.older == 0
    # And the turn as a whole does the same work with 2*TURNS messages above as
    # with 10 (slack: a reply may wrap to one line more or less).
    assert early_total > 0
    assert late_total <= early_total * 1.1 + 2
