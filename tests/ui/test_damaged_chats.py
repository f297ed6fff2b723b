"""A chat whose stored row cannot be read whole is listed as damaged (muted,
italic, "Damaged chat #N"), opens, and can be deleted; a chat the old codec
dated year 999 (``'999-01-01T…'``) is listed like any other (issue 15 item 2).

The rows are damaged with raw SQL in the real database file after the store
created them. On the code before the fix the agent's chat list never loaded
(``Invalid isoformat string``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dialog_helpers import click_box_button, message_box
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from window_support import WAIT_MS, open_window

from app.domain import AgentSpec, Message, ProviderConfig
from app.store import Store
from app.ui.conversation_list_model import ConversationListModel

OLD_CODEC_TIME = "999-01-01T12:30:00.000000Z"


def _seed(db_path: Path) -> dict[str, int]:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="scripted", kind="llamacpp",
                                              base_url="http://127.0.0.1:9/v1"))
        agent = store.agents.create(AgentSpec(name="Keeper", provider="scripted", model="m"))
        made = {"agent": agent.id}
        for key, title in (("healthy", "Healthy"), ("ancient", "Year 999"),
                           ("broken", "Broken times")):
            chat = store.conversations.create(agent.id, title)
            made[key] = chat.id
            made[f"{key}_message"] = store.messages.add(Message(
                conversation_id=chat.id, role="user", content=f"hello {key}")).id
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE conversations SET created_at = ?, updated_at = ? WHERE id = ?",
                    (OLD_CODEC_TIME, OLD_CODEC_TIME, made["ancient"]))
        raw.execute("UPDATE conversations SET created_at = 'garbage', updated_at = '' "
                    "WHERE id = ?", (made["broken"],))
        raw.execute("UPDATE messages SET created_at = 'garbage' WHERE conversation_id = ?",
                    (made["broken"],))
    raw.close()
    return made


def _labels(window) -> list[str]:
    model = window.conversation_model
    return [model.index(row).data() for row in range(model.rowCount())]


def _row(window, conversation_id: int):
    model = window.conversation_model
    return model.index(model.row_of(conversation_id))


def test_damaged_row_is_marked_muted_and_explained(qtbot, bridge, db_path, settings) -> None:
    made = _seed(db_path)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.conversation_model.rowCount() == 3, timeout=WAIT_MS)
    broken, healthy, ancient = (_row(window, made[k]) for k in ("broken", "healthy",
                                                                  "ancient"))
    assert broken.data() == f"Damaged chat #{made['broken']} · Broken times"
    muted = QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
    assert broken.data(Qt.ItemDataRole.ForegroundRole).color() == muted
    assert broken.data(Qt.ItemDataRole.FontRole).italic()
    tip = broken.data(Qt.ItemDataRole.ToolTipRole)
    assert "could not be read" in tip and "created time" in tip and "deleted" in tip
    for fine in (healthy, ancient):
        assert fine.data(Qt.ItemDataRole.ForegroundRole) is None
        assert fine.data(Qt.ItemDataRole.FontRole) is None
    assert ancient.data() == "Year 999"
    assert ancient.data(ConversationListModel.ConversationRole).created_at.year == 999


def test_open_and_delete_a_damaged_chat_then_its_agent(qtbot, bridge, db_path,
                                                       settings) -> None:
    made = _seed(db_path)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.conversation_model.rowCount() == 3, timeout=WAIT_MS)
    damaged_label = f"Damaged chat #{made['broken']} · Broken times"
    assert damaged_label in _labels(window)

    # Open it: what reads is shown.
    window.conversation_list.select(made["broken"])
    qtbot.waitUntil(lambda: window.chat_view.message_ids() == [made["broken_message"]],
                    timeout=WAIT_MS)

    # Delete it from the Chat menu, the way a person would.
    window.actions.delete_chat.trigger()
    box = message_box(window, "confirmMessage", qtbot)
    assert box.text() == f"Delete “{damaged_label}” and all its messages?"
    click_box_button(box, "Delete")
    qtbot.waitUntil(lambda: sorted(_labels(window)) == ["Healthy", "Year 999"],
                    timeout=WAIT_MS)
    with Store(db_path) as store:
        assert [c.id for c in store.conversations.list(made["agent"])] == [
            made["ancient"], made["healthy"]]   # '999-…' text still sorts first in SQL

    # The year-999 chat opens and is deleted like any other.
    window.conversation_list.select(made["ancient"])
    qtbot.waitUntil(lambda: window.chat_view.message_ids() == [made["ancient_message"]],
                    timeout=WAIT_MS)
    window.actions.delete_chat.trigger()
    click_box_button(message_box(window, "confirmMessage", qtbot), "Delete")
    qtbot.waitUntil(lambda: _labels(window) == ["Healthy"], timeout=WAIT_MS)
    window.close()

    # Damage the last chat too, reopen the window: still listed, marked, and the
    # agent (with its damaged chat) can be deleted.
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE conversations SET updated_at = 'x' WHERE id = ?",
                    (made["healthy"],))
    raw.close()
    again = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: _labels(again) == [f"Damaged chat #{made['healthy']} · Healthy"],
                    timeout=WAIT_MS)
    again.actions.delete_agent.trigger()
    box = message_box(again, "confirmMessage", qtbot)
    assert "1 chat (1 message)" in box.text()
    click_box_button(box, "Delete")
    qtbot.waitUntil(lambda: again.agent_list.model().agents() == [], timeout=WAIT_MS)
    with Store(db_path) as store:
        assert store.agents.list() == []
        assert store.conversations.list(include_archived=True) == []


def test_activity_of_year_one_west_of_utc_does_not_overflow(monkeypatch) -> None:
    # A year-1 time round-trips now; shown in a zone west of UTC it would be in
    # year 0, which astimezone() refused with OverflowError.
    import time
    from datetime import UTC, datetime

    from app.ui.conversation_list_model import activity_text

    try:
        with monkeypatch.context() as west:
            west.setenv("TZ", "XST+5")
            time.tzset()
            assert "Jan" in activity_text(datetime(1, 1, 1, 2, 0, tzinfo=UTC))
    finally:
        time.tzset()
