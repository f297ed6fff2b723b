"""Show archived chats and unarchive them in the window (toggle, context menu,
the Chat menu's Archive / Unarchive)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMenu
from window_support import WAIT_MS, open_window

from app.domain import AgentSpec
from app.store import Store


def _titles(window) -> list[str]:
    return [c.title for c in window.conversation_model.conversations()]


def _chat_menu(window, qtbot, row: int) -> QMenu:
    view = window.conversation_list
    view.customContextMenuRequested.emit(view.visualRect(view.model().index(row)).center())
    found: list[QMenu] = []

    def shown() -> bool:
        found[:] = [m for m in view.findChildren(QMenu, "conversationMenu") if m.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def _click(menu: QMenu, text: str) -> None:
    next(a for a in menu.actions() if a.text() == text).trigger()
    menu.close()


def test_archive_show_archived_and_unarchive(qtbot, bridge, db_path, settings) -> None:
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="Helper", provider="p", model="m"))
        other = store.agents.create(AgentSpec(name="Other", provider="p", model="m"))
        store.conversations.create(agent.id, "Plans")
        store.conversations.create(agent.id, "Notes")
        store.conversations.set_archived(store.conversations.create(other.id, "Theirs").id,
                                         True)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: sorted(_titles(window)) == ["Notes", "Plans"], timeout=WAIT_MS)
    toggle = window.left.show_archived
    heading = window.findChild(QLabel, "conversationListHeading")
    archive = window.actions.archive_chat

    _click(_chat_menu(window, qtbot, _titles(window).index("Plans")), "Archive")
    qtbot.waitUntil(lambda: _titles(window) == ["Notes"], timeout=WAIT_MS)

    toggle.setChecked(True)                       # the agent's archived chats only
    qtbot.waitUntil(lambda: _titles(window) == ["Plans"], timeout=WAIT_MS)
    assert heading.text() == "Archived"
    menu = _chat_menu(window, qtbot, 0)
    assert "Unarchive" in [a.text() for a in menu.actions()]
    assert "Archive" not in [a.text() for a in menu.actions()]
    menu.close()
    window.conversation_list.select(window.conversation_model.conversations()[0].id)
    qtbot.waitUntil(lambda: archive.text() == "&Unarchive Chat", timeout=WAIT_MS)
    archive.trigger()                              # the Chat menu unarchives it
    qtbot.waitUntil(lambda: _titles(window) == [], timeout=WAIT_MS)

    toggle.setChecked(False)
    qtbot.waitUntil(lambda: sorted(_titles(window)) == ["Notes", "Plans"], timeout=WAIT_MS)
    assert heading.text() == "Chats"
    with Store(db_path) as store:
        assert store.conversations.list(agent.id, archived_only=True) == []

    window.conversation_list.select(window.conversation_model.conversations()[0].id)
    qtbot.waitUntil(lambda: archive.text() == "&Archive Chat" and archive.isEnabled(),
                    timeout=WAIT_MS)
    toggle.setChecked(True)
    window.actions.new_chat.trigger()             # a new chat is listed: back to Chats
    assert not toggle.isChecked() and heading.text() == "Chats"
