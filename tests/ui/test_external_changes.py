"""The running window sees what other processes write (issue 13, item 2).

The real application (``run_app``) is open while the real CLI runs in a
subprocess against the same data folder: an agent it creates appears, a chat
it deletes goes from the list — and what the user typed is never lost, even
when the message is sent into the deleted chat before the window noticed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from window_support import SEEN_MS, WAIT_MS, agent_names, agentdesk, start_app, stop_app

from app.domain import AgentSpec, Message, ProviderConfig
from app.settings import AppSettings
from app.store import Store
from app.ui.chat_follow import CHAT_GONE_TEXT
from app.ui.dialogs.memory_editor import MemoryEditor
from app.ui.main_window import MainWindow

TYPED = "my carefully typed question\nwith a second line"


def show_chat(qtbot, window: MainWindow, conversation_id: int) -> None:
    qtbot.waitUntil(lambda: window.conversation_model.row_of(conversation_id) is not None,
                    timeout=WAIT_MS)
    window.conversation_list.select(conversation_id)
    qtbot.waitUntil(lambda: window.controller.conversation_id == conversation_id
                    and not window.controller.loading, timeout=WAIT_MS)


def user_texts(db_path: Path) -> list[str]:
    with Store(db_path) as store:
        return [m.content for c in store.conversations.list(limit=100)
                for m in store.messages.all(c.id) if m.role == "user"]


@pytest.fixture
def seeded(settings: AppSettings) -> dict[str, int]:
    """One agent on an unreachable provider (replies fail fast: only what is
    recorded matters here) with three chats."""
    with Store(settings.database_path) as store:
        store.providers.create(ProviderConfig(name="nowhere", kind="openai",
                                              base_url="http://127.0.0.1:9/v1"))
        agent = store.agents.create(AgentSpec(name="Alpha", provider="nowhere", model="m"))
        ids = {"agent": agent.id}
        for name in ("other", "doomed", "raced"):
            chat = store.conversations.create(agent.id, f"{name} chat")
            store.messages.add(Message(conversation_id=chat.id, role="user",
                                       content=f"hello from {name}"))
            ids[name] = chat.id
    return ids


def test_cli_writes_reach_the_open_window_and_typed_text_survives(
        aio, qapp, qtbot, settings: AppSettings, seeded: dict[str, int], caplog) -> None:
    caplog.set_level(logging.INFO, logger="app")
    home = settings.home
    task, window = start_app(aio, qapp, qtbot, settings)
    try:
        qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)

        # An agent created by the CLI appears, twice in one lifetime.
        for name in ("From CLI", "Second from CLI"):
            agentdesk(home, "agents", "create", "--name", name, "--provider", "nowhere",
                      "--model", "m")
            qtbot.waitUntil(lambda n=name: n in agent_names(window), timeout=SEEN_MS)
        assert window.current_agent().name == "Alpha"          # selection kept

        # A provider added by the CLI reaches the model bar.
        agentdesk(home, "providers", "add", "later", "--kind", "ollama")
        combo = window.model_bar.provider_combo
        qtbot.waitUntil(lambda: combo.findData("later") >= 0, timeout=SEEN_MS)

        # A message written into the shown chat by another connection appears.
        show_chat(qtbot, window, seeded["doomed"])
        assert len(window.chat_view.message_ids()) == 1
        with Store(settings.database_path) as other:
            other.messages.add(Message(conversation_id=seeded["doomed"], role="assistant",
                                       content="written elsewhere"))
        qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=SEEN_MS)

        # The shown chat deleted by the CLI: gone from the list, a new chat is
        # shown (not the neighbour), the typed text is still there.
        window.composer.edit.setPlainText(TYPED)
        agentdesk(home, "conversations", "delete", str(seeded["doomed"]))
        qtbot.waitUntil(lambda: window.conversation_model.row_of(seeded["doomed"]) is None,
                        timeout=SEEN_MS)
        qtbot.waitUntil(lambda: window.controller.conversation_id is None, timeout=SEEN_MS)
        assert window.composer.text() == TYPED
        assert window.statusBar().currentMessage() == CHAT_GONE_TEXT
        assert window.conversation_list.current_conversation() is None
        assert window.chat_view.message_ids() == []
        assert window.conversation_model.row_of(seeded["other"]) is not None

        # Sending it now starts a new chat with exactly that text.
        window.composer.submit()
        qtbot.waitUntil(lambda: TYPED in user_texts(settings.database_path),
                        timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.controller.conversation_id is not None,
                        timeout=WAIT_MS)
        assert window.controller.conversation_id not in seeded.values()
        qtbot.waitUntil(lambda: not window.controller.is_running(
            window.controller.conversation_id), timeout=WAIT_MS)

        # Sent into a chat deleted a moment ago, before the window noticed: the
        # text comes back into the composer and nothing is written or logged
        # as an error.
        show_chat(qtbot, window, seeded["raced"])
        agentdesk(home, "conversations", "delete", str(seeded["raced"]))
        window.composer.edit.setPlainText("raced " + TYPED)
        window.composer.submit()                   # before any event is processed
        qtbot.waitUntil(lambda: window.composer.text() == "raced " + TYPED,
                        timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.controller.conversation_id is None, timeout=WAIT_MS)
        assert window.statusBar().currentMessage() == CHAT_GONE_TEXT
        assert "raced " + TYPED not in user_texts(settings.database_path)
        qtbot.waitUntil(lambda: window.conversation_model.row_of(seeded["raced"]) is None,
                        timeout=SEEN_MS)
    finally:
        stop_app(qtbot, task, window)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert "IntegrityError" not in caplog.text


def test_agent_deleted_by_the_cli_leaves_the_list(aio, qapp, qtbot, settings: AppSettings,
                                                  seeded: dict[str, int]) -> None:
    with Store(settings.database_path) as store:
        store.agents.create(AgentSpec(name="Beta", provider="nowhere", model="m"))
    task, window = start_app(aio, qapp, qtbot, settings)
    try:
        qtbot.waitUntil(lambda: agent_names(window) == ["Alpha", "Beta"], timeout=WAIT_MS)
        window.composer.edit.setPlainText(TYPED)
        agentdesk(settings.home, "agents", "delete", "Beta")
        qtbot.waitUntil(lambda: agent_names(window) == ["Alpha"], timeout=SEEN_MS)
        assert window.current_agent().name == "Alpha"
        assert window.composer.text() == TYPED
    finally:
        stop_app(qtbot, task, window)


def test_memory_editor_shows_facts_written_elsewhere(bridge, qtbot, db_path: Path) -> None:
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="Rememberer"))
        store.memories.add(agent.id, "likes tea")
    editor = MemoryEditor(bridge, agent.id, lambda coro, name: bridge.spawn(coro, name=name))
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.facts() == ["likes tea"], timeout=WAIT_MS)
    editor.list.setCurrentRow(0)
    with Store(db_path) as other:
        other.memories.add(agent.id, "lives in Lyon")
    qtbot.waitUntil(lambda: editor.facts() == ["likes tea", "lives in Lyon"],
                    timeout=SEEN_MS)
    assert editor.list.currentItem().text() == "likes tea"        # selection kept
    editor.stop()
