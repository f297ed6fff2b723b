"""Duplicate and Delete agents in the window (Agent menu, agent list context menu)."""

from __future__ import annotations

from dialog_helpers import click_box_button, message_box
from PySide6.QtWidgets import QMenu
from window_support import WAIT_MS, open_window

from app.domain import AgentSpec, Message
from app.store import Store
from app.ui.agent_list_model import AgentListModel


def _names(window) -> list[str]:
    model = window.agent_list.model()
    return [model.index(r).data(AgentListModel.AgentRole).name
            for r in range(model.rowCount())]


def _seed(db_path) -> AgentSpec:
    with Store(db_path) as store:
        spec = store.agents.create(AgentSpec(name="Writer", provider="p", model="m",
                                             system_prompt="Be brief.", temperature=0.3,
                                             tools=["calculator"]))
        for index in range(3):
            chat = store.conversations.create(spec.id, f"Chat {index}")
            for turn in range(index + 1):
                store.messages.add(Message(conversation_id=chat.id, role="user",
                                           content=f"m{turn}"))
        return spec


def _context_menu(window, qtbot, row: int) -> QMenu:
    rect = window.agent_list.visualRect(window.agent_list.model().index(row))
    window.agent_list.customContextMenuRequested.emit(rect.center())
    found: list[QMenu] = []

    def shown() -> bool:
        found[:] = [m for m in window.agent_list.findChildren(QMenu, "agentMenu")
                    if m.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def test_duplicate_from_the_context_menu_selects_the_copy(qtbot, bridge, db_path,
                                                          settings) -> None:
    source = _seed(db_path)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    menu = _context_menu(window, qtbot, 0)
    texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Edit Agent…", "Duplicate Agent", "Export Agent…", "Delete Agent…"]
    next(a for a in menu.actions() if a.objectName() == "duplicateAgentAction").trigger()
    menu.close()

    qtbot.waitUntil(lambda: _names(window) == ["Writer", "Writer (copy)"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.current_agent().name == "Writer (copy)", timeout=WAIT_MS)
    copy = window.current_agent()
    assert (copy.system_prompt, copy.temperature, copy.tools) == ("Be brief.", 0.3,
                                                                  ["calculator"])
    # The source's three chats leave the list once the copy's (none) are loaded.
    qtbot.waitUntil(lambda: window.conversation_model.agent_id == copy.id
                    and window.conversation_model.rowCount() == 0, timeout=WAIT_MS)
    window.actions.duplicate_agent.trigger()                  # a copy of the copy
    qtbot.waitUntil(lambda: "Writer (copy) (copy)" in _names(window), timeout=WAIT_MS)
    with Store(db_path) as store:
        assert store.conversations.totals(source.id) == (3, 6)


def test_delete_asks_with_what_is_lost_and_cancel_keeps_it(qtbot, bridge, db_path,
                                                           settings) -> None:
    _seed(db_path)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    window.actions.delete_agent.trigger()
    box = message_box(window, "confirmMessage", qtbot)
    assert box.text() == ("Delete agent 'Writer' and its 3 chats (6 messages)? "
                          "This cannot be undone.")
    click_box_button(box, "Cancel")
    qtbot.waitUntil(lambda: window.agent_actions.question is None, timeout=WAIT_MS)
    assert _names(window) == ["Writer"]

    window.actions.delete_agent.trigger()
    click_box_button(message_box(window, "confirmMessage", qtbot), "Delete")
    qtbot.waitUntil(lambda: _names(window) == [], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.actions.delete_agent.isEnabled(), timeout=WAIT_MS)
    assert not window.actions.duplicate_agent.isEnabled()
    with Store(db_path) as store:
        assert store.agents.list() == []
        assert store.conversations.list(include_archived=True) == []
