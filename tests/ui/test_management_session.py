"""One window lifetime of the management a user expects (issue 13): archive a
chat, show archived, unarchive it; duplicate an agent and delete the copy (the
question names the chats lost); add the real stdio echo MCP server in
Settings › Tools & MCP, test it, remove it, reopen Settings and find it gone."""

from __future__ import annotations


from dialog_helpers import click_box_button, message_box
from mcp_page_helpers import START_MS, fill_echo_server, wait_for_test_result
from PySide6.QtWidgets import QWidget
from window_support import WAIT_MS, agent_names, chat_titles, open_window

from app.domain import AgentSpec, Message
from app.store import Store
from app.ui.dialogs.settings_dialog import SettingsDialog
from tests.core.mcp_servers.support import marker_pid, process_alive


def _settings(window, qtbot) -> SettingsDialog:
    window.actions.settings.trigger()
    found: list[SettingsDialog] = []

    def shown() -> bool:
        found[:] = [d for d in window.findChildren(QWidget, "settingsDialog")
                    if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    dialog = found[0]
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.show_page("Tools & MCP")
    return dialog


def test_archive_duplicate_delete_and_mcp_in_one_session(aio, async_store, qtbot, bridge,
                                                         db_path, settings, tmp_path) -> None:
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="Helper", provider="p", model="m",
                                              system_prompt="Answer briefly."))
        for title in ("Plans", "Notes"):
            chat = store.conversations.create(agent.id, title)
            store.messages.add(Message(conversation_id=chat.id, role="user", content=title))
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: chat_titles(window) == ["Notes", "Plans"], timeout=WAIT_MS)
    panel, toggle = window.conversation_list, window.left.show_archived

    # -- archive, show archived, unarchive: twice, the second time by the Chat menu --
    for _round in range(2):
        plans = next(c for c in window.conversation_model.conversations()
                     if c.title == "Plans")
        panel.select(plans.id)
        qtbot.waitUntil(lambda: window.actions.archive_chat.text() == "&Archive Chat",
                        timeout=WAIT_MS)
        window.actions.archive_chat.trigger()
        qtbot.waitUntil(lambda: chat_titles(window) == ["Notes"], timeout=WAIT_MS)
        toggle.setChecked(True)
        qtbot.waitUntil(lambda: chat_titles(window) == ["Plans"], timeout=WAIT_MS)
        archived = window.conversation_model.conversations()[0]
        assert archived.archived
        if _round == 0:
            panel.unarchive(archived)
        else:
            panel.select(archived.id)
            qtbot.waitUntil(lambda: window.actions.archive_chat.text() == "&Unarchive Chat",
                            timeout=WAIT_MS)
            window.actions.archive_chat.trigger()
        qtbot.waitUntil(lambda: chat_titles(window) == [], timeout=WAIT_MS)
        toggle.setChecked(False)
        qtbot.waitUntil(lambda: chat_titles(window) == ["Notes", "Plans"], timeout=WAIT_MS)

    # -- duplicate the agent, give the copy a chat, delete the copy ----------------------
    window.actions.duplicate_agent.trigger()
    qtbot.waitUntil(lambda: agent_names(window) == ["Helper", "Helper (copy)"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.current_agent().name == "Helper (copy)", timeout=WAIT_MS)
    copy = window.current_agent()
    assert copy.system_prompt == "Answer briefly."

    def chat_for_copy(store: Store) -> None:
        chat = store.conversations.create(copy.id, "Copy's chat")
        for text in ("one", "two"):
            store.messages.add(Message(conversation_id=chat.id, role="user", content=text))

    aio.run(async_store.run(chat_for_copy))
    qtbot.waitUntil(lambda: chat_titles(window) == ["Copy's chat"], timeout=WAIT_MS)
    window.actions.delete_agent.trigger()
    box = message_box(window, "confirmMessage", qtbot)
    assert box.text() == ("Delete agent 'Helper (copy)' and its 1 chat (2 messages)? "
                          "This cannot be undone.")
    click_box_button(box, "Delete")
    qtbot.waitUntil(lambda: agent_names(window) == ["Helper"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.current_agent() is not None
                    and window.current_agent().name == "Helper", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: chat_titles(window) == ["Notes", "Plans"], timeout=WAIT_MS)

    # -- Settings › Tools & MCP: add, approve, test, remove; reopen -----------------------
    dialog = _settings(window, qtbot)
    page = dialog.tools
    marker = tmp_path / "echo.pid"
    editor = fill_echo_server(page, qtbot, marker)
    editor.ok_button.click()
    qtbot.waitUntil(lambda: page.mcp_list.count() == 1, timeout=WAIT_MS)
    page.mcp_approve.click()
    click_box_button(message_box(dialog, "confirmMessage", qtbot), "Approve and enable")
    qtbot.waitUntil(page.mcp_test.isEnabled, timeout=WAIT_MS)
    page.mcp_test.click()
    wait_for_test_result(page, qtbot)
    assert "answered with 7 tools" in page.mcp_status.text(), page.mcp_status.text()
    qtbot.waitUntil(lambda: not process_alive(marker_pid(marker)), timeout=START_MS)
    page.mcp_remove.click()
    click_box_button(message_box(dialog, "confirmMessage", qtbot), "Remove")
    qtbot.waitUntil(lambda: page.mcp_list.count() == 0, timeout=WAIT_MS)
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)

    again = _settings(window, qtbot)
    qtbot.waitUntil(lambda: not again.busy, timeout=WAIT_MS)
    assert again.tools.mcp_list.count() == 0
    assert aio.run(async_store.run(lambda s: s.mcp_servers.list())) == []
    again.reject()
