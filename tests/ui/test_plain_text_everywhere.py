"""Untrusted strings are shown as text outside the chat view (issue 15, item 4).

``<a href="https://evil.example/login">Session expired</a><img src="/path">`` as an
agent name, a chat title, a remembered fact, a file name and a provider error:
the boxes, lists, tooltips and dialogs that show them show exactly that text,
with no live link and no image loaded."""

from __future__ import annotations

import pytest
from dialog_helpers import WAIT_MS, click_box_button, message_box
from plain_text_support import (
    HOSTILE,
    all_windows,
    has_link_or_image,
    hostile_problems,
    model_tooltip_problems,
    shown_tooltip,
)
from PySide6.QtGui import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from window_support import open_window

from app.domain import AgentSpec, ConnectionReport, ProviderConfig
from app.store import Store
from app.ui import prompts
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.plain_text import tooltip


def box_labels(box: QMessageBox) -> list[QLabel]:
    return [label for label in box.findChildren(QLabel) if label.text()]


@pytest.mark.parametrize("open_box", [
    lambda parent: prompts.inform(parent, "Import", f"Imported “{HOSTILE}”."),
    lambda parent: prompts.warn(parent, "Export failed", f"Cannot write {HOSTILE}"),
    lambda parent: prompts.confirm(parent, "Forget fact", f"Forget “{HOSTILE}”?", lambda: None,
                                   informative=HOSTILE),
])
def test_message_boxes_show_hostile_text_as_text(qtbot, open_box) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    box = open_box(parent)
    qtbot.waitUntil(box.isVisible, timeout=WAIT_MS)
    assert hostile_problems([box]) == []
    for label in box_labels(box):
        assert label.textFormat() == Qt.TextFormat.PlainText
        assert not label.openExternalLinks()
    box.close()


@pytest.mark.parametrize("text", [HOSTILE, f"{HOSTILE}\nsecond line", "a < b & c > d",
                                  "<b>bold</b>\n  indented", "plain title"])
def test_tooltip_text_is_shown_exactly(text) -> None:
    tip = tooltip(text)
    assert shown_tooltip(tip) == text
    assert not has_link_or_image(tip) or not Qt.mightBeRichText(tip)
    if "<" not in text:
        assert tip == text                                # plain text is left alone


def seed_hostile(db_path) -> tuple[AgentSpec, int]:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="local", kind="ollama",
                                              base_url="http://127.0.0.1:9", is_local=True))
        agent = store.agents.create(AgentSpec(name=HOSTILE, provider="local", model="m",
                                              tools=["memory"]))
        conversation = store.conversations.create(agent.id, HOSTILE)
        store.memories.add(agent.id, HOSTILE)
    return agent, conversation.id


def test_hostile_names_titles_facts_and_errors_in_the_window(
        qtbot, bridge, db_path, settings) -> None:
    agent, conversation_id = seed_hostile(db_path)
    window = open_window(qtbot, bridge, settings)
    assert window.select_agent(agent.id)
    qtbot.waitUntil(lambda: window.conversation_model.rowCount() == 1, timeout=WAIT_MS)

    # Lists: the agent and the chat, and their tooltips.
    assert model_tooltip_problems(window.agent_list.model()) == []
    assert model_tooltip_problems(window.conversation_model) == []

    # A provider's error, as the model bar's status tooltip shows it.
    window.model_bar.status.set_report("local", ConnectionReport(
        provider="local", reachable=False, message=HOSTILE, fix=""))
    assert hostile_problems([window]) == []
    assert HOSTILE in shown_tooltip(window.model_bar.provider_combo.toolTip())

    # Deleting the chat asks with its title: shown as text (twice: cancel, ask again).
    [conversation] = window.conversation_model.conversations()
    for _ in range(2):
        window.conversation_list.delete(conversation)
        box = message_box(window, "confirmMessage", qtbot)
        assert hostile_problems([box]) == []
        click_box_button(box, "Cancel")
        qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT_MS)
    assert hostile_problems(all_windows()) == []


def test_forgetting_a_hostile_fact_asks_in_plain_text(qtbot, bridge, db_path) -> None:
    agent, _ = seed_hostile(db_path)
    host = QWidget()
    qtbot.addWidget(host)
    dialog = AgentDialog(bridge, agent, parent=host)
    dialog.open()
    qtbot.waitUntil(lambda: dialog._loaded and not dialog.busy, timeout=WAIT_MS)
    dialog.tabs.setCurrentWidget(dialog.memory)
    editor = dialog.memory
    qtbot.waitUntil(lambda: editor.list.count() == 1, timeout=WAIT_MS)
    editor.list.setCurrentRow(0)
    qtbot.mouseClick(editor.forget_button, Qt.MouseButton.LeftButton)
    box = message_box(dialog, "forgetFactMessage", qtbot)
    assert HOSTILE in box.text()
    assert hostile_problems([box, dialog]) == []
    click_box_button(box, "Cancel")
    dialog.close()
