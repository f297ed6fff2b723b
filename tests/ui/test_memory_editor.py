"""The agent editor's Memory tab on a real store: facts the memory tool stored show
up, and the user adds, changes and forgets them (written at once, list redrawn
from the store's change notices)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dialog_helpers import WAIT_MS, click_box_button, host, message_box, seed_providers
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core.tools import ToolContext, execute_tool
from app.core.tools.memory import MAX_FACT_CHARS, memory_tool
from app.domain import AgentSpec
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.theme import ThemeManager

__all__ = ["host"]

@pytest.fixture
def agent(aio, async_store) -> AgentSpec:
    seed_providers(aio, async_store)
    return aio.run(async_store.run(lambda s: s.agents.create(AgentSpec(
        name="Tutor", provider="local", model="m", tools=["memory", "calculator"]))))


@pytest.fixture
def open_dialog(qtbot, bridge, host):
    def opener(spec=None) -> AgentDialog:
        dialog = AgentDialog(bridge, spec, parent=host)
        dialog.resize(720, 640)
        dialog.open()
        qtbot.waitUntil(lambda: dialog._loaded and not dialog.busy, timeout=WAIT_MS)
        return dialog
    return opener


def remember_with_tool(aio, async_store, agent: AgentSpec, fact: str, tmp_path) -> str:
    """What the agent does in a chat: the memory tool, as the runner calls it."""
    context = ToolContext(workspace=tmp_path, agent_id=agent.id, store=async_store)
    outcome = aio.run(execute_tool(memory_tool(), {"action": "remember", "fact": fact},
                                   context))
    assert not outcome.is_error, outcome.content
    return outcome.content


def stored_facts(aio, async_store, agent: AgentSpec) -> list[str]:
    return [m.content for m in aio.run(async_store.run(lambda s: s.memories.list(agent.id)))]


def show_memory_tab(dialog: AgentDialog) -> None:
    dialog.tabs.setCurrentWidget(dialog.memory)
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Memory"


def test_facts_the_memory_tool_remembered_are_listed(aio, async_store, agent, open_dialog,
                                                     qtbot, tmp_path) -> None:
    remember_with_tool(aio, async_store, agent, "Prefers metric units", tmp_path)
    dialog = open_dialog(agent)
    show_memory_tab(dialog)
    assert dialog.memory.facts() == ["Prefers metric units"]
    assert not dialog.memory.empty.isVisible()
    assert not dialog.memory.tool_note.isVisible()       # the agent has the tool

    # Remembered during a chat while the editor is open: the notice redraws.
    remember_with_tool(aio, async_store, agent, "Lives in Lyon", tmp_path)
    qtbot.waitUntil(lambda: dialog.memory.facts() == ["Prefers metric units",
                                                      "Lives in Lyon"], timeout=WAIT_MS)


def test_editing_a_fact_changes_the_stored_fact(aio, async_store, agent, open_dialog,
                                                qtbot, tmp_path) -> None:
    remember_with_tool(aio, async_store, agent, "Lives in Lyon", tmp_path)
    memory_id = aio.run(async_store.run(lambda s: s.memories.list(agent.id)))[0].id
    dialog = open_dialog(agent)
    show_memory_tab(dialog)
    editor = dialog.memory
    assert not editor.change_button.isEnabled()          # nothing selected

    editor.select_fact(memory_id)
    assert editor.fact.text() == "Lives in Lyon"
    assert not editor.change_button.isEnabled()          # not changed yet
    editor.fact.selectAll()
    qtbot.keyClicks(editor.fact, "Lives in   Paris since 2024")
    assert editor.change_button.isEnabled()
    with qtbot.waitSignal(editor.sig_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(editor.change_button, Qt.MouseButton.LeftButton)

    assert stored_facts(aio, async_store, agent) == ["Lives in Paris since 2024"]
    assert editor.facts() == ["Lives in Paris since 2024"]
    assert editor.list.currentItem().data(Qt.ItemDataRole.UserRole) == memory_id
    assert not editor.fact_message.isVisible()


def test_adding_a_fact_stores_it_and_refuses_duplicates(aio, async_store, agent,
                                                        open_dialog, qtbot) -> None:
    dialog = open_dialog(agent)
    show_memory_tab(dialog)
    editor = dialog.memory
    assert editor.facts() == [] and editor.empty.isVisible()

    qtbot.keyClicks(editor.fact, "Has a cat named Miso")
    with qtbot.waitSignal(editor.sig_loaded, timeout=WAIT_MS):
        qtbot.keyClick(editor.fact, Qt.Key.Key_Return)
    assert stored_facts(aio, async_store, agent) == ["Has a cat named Miso"]
    assert editor.facts() == ["Has a cat named Miso"] and editor.fact.text() == ""
    assert dialog.isVisible()                 # Enter did not also press Save

    qtbot.keyClicks(editor.fact, "has a CAT named  miso")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert "Already remembered" in editor.fact_message.text()
    assert stored_facts(aio, async_store, agent) == ["Has a cat named Miso"]


def test_an_empty_fact_is_refused_at_the_field(aio, async_store, agent, open_dialog,
                                               qtbot, tmp_path) -> None:
    remember_with_tool(aio, async_store, agent, "Speaks French", tmp_path)
    dialog = open_dialog(agent)
    show_memory_tab(dialog)
    editor = dialog.memory

    qtbot.keyClicks(editor.fact, "   ")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert editor.fact_message.isVisible()
    assert "empty fact" in editor.fact_message.text()
    assert editor.fact.hasFocus()

    # Emptying an existing fact is refused too: "forget" is the way to delete.
    editor.list.setCurrentRow(0)
    editor.fact.selectAll()
    editor.fact.del_()
    qtbot.keyClicks(editor.fact, " ")
    qtbot.mouseClick(editor.change_button, Qt.MouseButton.LeftButton)
    assert "empty fact" in editor.fact_message.text()

    editor.fact.setText("x" * (MAX_FACT_CHARS + 1))
    qtbot.mouseClick(editor.change_button, Qt.MouseButton.LeftButton)
    assert f"under {MAX_FACT_CHARS} characters" in editor.fact_message.text()
    assert not dialog.busy                                # nothing was sent to the store
    assert stored_facts(aio, async_store, agent) == ["Speaks French"]

    qtbot.keyClick(editor.fact, Qt.Key.Key_Backspace)     # typing clears the message
    assert not editor.fact_message.isVisible()


def test_forgetting_a_fact_deletes_it(aio, async_store, agent, open_dialog, qtbot,
                                      tmp_path) -> None:
    for fact in ("Prefers metric units", "Works night shifts"):
        remember_with_tool(aio, async_store, agent, fact, tmp_path)
    dialog = open_dialog(agent)
    show_memory_tab(dialog)
    editor = dialog.memory
    editor.list.setCurrentRow(1)

    # Cancel keeps it.
    qtbot.mouseClick(editor.forget_button, Qt.MouseButton.LeftButton)
    click_box_button(message_box(dialog, "forgetFactMessage", qtbot), "Cancel")
    assert stored_facts(aio, async_store, agent) == ["Prefers metric units",
                                                     "Works night shifts"]

    qtbot.mouseClick(editor.forget_button, Qt.MouseButton.LeftButton)
    box = message_box(dialog, "forgetFactMessage", qtbot)
    assert "Works night shifts" in box.text()
    with qtbot.waitSignal(editor.sig_loaded, timeout=WAIT_MS):
        click_box_button(box, "Forget")
    assert stored_facts(aio, async_store, agent) == ["Prefers metric units"]
    assert editor.facts() == ["Prefers metric units"]
    assert editor.fact.text() == "" and not editor.forget_button.isEnabled()


def test_a_new_agent_has_no_memory_tab_and_the_tool_note_follows_the_tools(
        aio, async_store, agent, open_dialog, qtbot) -> None:
    new = open_dialog()
    assert "Memory" not in [new.tabs.tabText(i) for i in range(new.tabs.count())]
    new.reject()

    dialog = open_dialog(agent)
    show_memory_tab(dialog)
    assert not dialog.memory.tool_note.isVisible()
    dialog.tools.set_checked("memory", False)
    assert dialog.memory.tool_note.isVisible()
    dialog.tools.set_checked("memory", True)
    assert not dialog.memory.tool_note.isVisible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_memory_tab_screenshot(scheme, aio, async_store, agent, open_dialog, qapp, qtbot,
                               tmp_path, screenshot_dir: Path) -> None:
    for fact in ("Prefers metric units", "Lives in Lyon and bikes to work",
                 "Is learning Rust; likes short code examples",
                 "Wants answers in British English"):
        remember_with_tool(aio, async_store, agent, fact, tmp_path)
    ThemeManager(qapp).apply(scheme, 10)   # the conftest puts the look back
    QApplication.processEvents()
    dialog = open_dialog(agent)
    show_memory_tab(dialog)
    dialog.memory.list.setCurrentRow(1)
    image = dialog.grab().toImage()
    assert image.save(str(screenshot_dir / f"agent-dialog-memory-{scheme}.png"))
    assert image.width() >= 640 and image.height() >= 480
