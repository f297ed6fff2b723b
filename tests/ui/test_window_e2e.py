"""The real main window against the real llama.cpp server (Gemma 3 270M).

Replies are short (max_tokens ≤ 32) and their wording is never asserted: the
tests check what the window shows, what the database holds, and that both
agree.
"""

from __future__ import annotations

import pytest
from dialog_helpers import closed_port
from PySide6.QtCore import Qt
from tcp_forwarder import TcpForwarder
from window_support import REPLY_MS, WAIT_MS, find, open_window, seed_llama, send

from app.domain import Message, TextDelta
from app.store import Store
from app.ui.main_window import MainWindow


def messages(db_path, conversation_id: int) -> list[Message]:
    with Store(db_path) as store:
        return store.messages.all(conversation_id)


def shown_branch(db_path, conversation_id: int) -> list[Message]:
    with Store(db_path) as store:
        return store.messages.path_all(conversation_id)


def replies(db_path, conversation_id: int) -> list[Message]:
    return [m for m in messages(db_path, conversation_id) if m.role == "assistant"]


def shown_text(window: MainWindow, message_id: int) -> str:
    """The message's Markdown as the view holds it (surrounding whitespace is not drawn)."""
    widget = window.chat_view.message_widget(message_id)
    assert widget is not None
    window.chat_view.flush()
    return widget.markdown()


def wait_idle(qtbot, window: MainWindow, conversation_id: int | None = None) -> None:
    qtbot.waitUntil(lambda: window.controller.conversation_id is not None, timeout=WAIT_MS)
    cid = conversation_id or window.controller.conversation_id
    qtbot.waitUntil(lambda: cid in window.controller.sessions
                    and not window.controller.sessions[cid].running, timeout=REPLY_MS)


@pytest.fixture
def llama_window(qtbot, bridge, db_path, settings, llama_server):
    def make(**seed) -> tuple[MainWindow, object]:
        agent = seed_llama(db_path, llama_server.base_url, **seed)
        window = open_window(qtbot, bridge, settings)
        qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
        return window, agent
    return make


def test_new_agent_through_the_dialog_is_selected(qtbot, bridge, db_path, settings,
                                                  llama_server) -> None:
    seed_llama(db_path, llama_server.base_url, name="Existing")
    window = open_window(qtbot, bridge, settings)
    qtbot.keyClick(window, Qt.Key.Key_N,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: find(window, "agentDialog") is not None, timeout=WAIT_MS)
    dialog = find(window, "agentDialog")
    qtbot.waitUntil(lambda: dialog._loaded, timeout=WAIT_MS)
    dialog.form.name.setText("Navigator")
    dialog.form.name.setModified(True)
    dialog.form.provider.set_current("llama")
    dialog.form.model.setEditText("gemma3")
    qtbot.waitUntil(dialog.name_checked, timeout=WAIT_MS)
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.current_agent() is not None
                    and window.current_agent().name == "Navigator", timeout=WAIT_MS)
    assert window.model_bar.provider_combo.currentText() == "llama"
    assert window.conversation_model.rowCount() == 0      # a new agent has no chats
    with Store(db_path) as store:
        assert store.agents.get_by_name("Navigator").id == window.current_agent().id


def test_send_streams_in_several_renders_then_the_reply_is_stored(llama_window, qtbot) -> None:
    window, _agent = llama_window(max_tokens=32)
    rendered: list[int] = []

    def on_flush(_wall: float, _cpu: float) -> None:
        ids = window.chat_view.message_ids()
        widget = window.chat_view.message_widget(ids[-1]) if ids else None
        if widget is not None and widget.role == "assistant":
            rendered.append(sum(len(s.document().toPlainText()) for s in widget.segments()))

    window.chat_view.flush_hook = on_flush
    assert window.composer.edit.hasFocus() or window.focusWidget() is window.composer.edit
    qtbot.keyClicks(window.composer.edit, "Tell me about the sea in three sentences.")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_idle(qtbot, window)

    conversation_id = window.controller.conversation_id
    stored = replies(window.settings.database_path, conversation_id)
    assert len(stored) == 1 and stored[0].status == "complete" and stored[0].content
    assert stored[0].model == "gemma3" and stored[0].provider == "llama"
    partial = [n for n in rendered if 0 < n < max(rendered)]
    assert len(set(partial)) >= 2, rendered          # drawn in pieces while it streamed
    assert rendered == sorted(rendered)              # only ever grew
    assert shown_text(window, stored[0].id) == stored[0].content.strip()
    user = [m for m in messages(window.settings.database_path, conversation_id)
            if m.role == "user"]
    assert [m.content for m in user] == ["Tell me about the sea in three sentences."]
    assert window.conversation_list.current_conversation().id == conversation_id
    assert window.composer.text() == ""
    # Nothing took the focus away while the reply streamed: type on at once.
    assert window.isActiveWindow() and window.focusWidget() is window.composer.edit


def test_escape_stops_mid_reply_and_the_partial_is_kept(llama_window, qtbot) -> None:
    window, _agent = llama_window(max_tokens=32)
    send(window, "Count slowly from one to fifty, one number per line.")
    qtbot.waitUntil(lambda: window.controller.conversation_id in window.controller.sessions,
                    timeout=WAIT_MS)
    session = window.controller.sessions[window.controller.conversation_id]
    texts: list[str] = []
    session.sig_event.connect(
        lambda e: texts.append(e.text) if isinstance(e, TextDelta) else None)
    qtbot.waitUntil(lambda: len(texts) >= 2, timeout=REPLY_MS)
    assert window.actions.stop.isEnabled() and window.composer.stop_button.isEnabled()

    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    wait_idle(qtbot, window)

    assert session.last_status == "cancelled"
    (reply,) = replies(window.settings.database_path, session.conversation_id)
    assert reply.status == "cancelled" and reply.content
    assert reply.content == "".join(texts)           # nothing after the stop was kept
    assert shown_text(window, reply.id) == reply.content.strip()
    assert "stopped" in window.chat_view.message_widget(reply.id).footer.text()
    assert not window.composer.stop_button.isEnabled()


def test_switching_the_model_changes_what_the_next_reply_records(llama_window, qtbot) -> None:
    # "gemma3-chat" is not listed by the server (it answers with its one model).
    window, agent = llama_window(model="gemma3-chat", max_tokens=8)
    combo = window.model_bar.model_combo
    qtbot.waitUntil(lambda: "gemma3" in window.model_bar.model_ids(), timeout=WAIT_MS)
    assert combo.currentData() == "gemma3-chat"
    send(window, "Hi")
    wait_idle(qtbot, window)

    index = combo.findData("gemma3")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    db = window.settings.database_path

    def stored_model() -> str:
        with Store(db) as store:
            return store.agents.get(agent.id).model
    qtbot.waitUntil(lambda: stored_model() == "gemma3", timeout=WAIT_MS)
    send(window, "Hello again")
    wait_idle(qtbot, window)

    first, second = replies(db, window.controller.conversation_id)
    assert (first.model, second.model) == ("gemma3-chat", "gemma3")
    with Store(db) as store:
        assert store.agents.get(agent.id).revision == agent.revision + 1
    badge = window.chat_view.message_widget(second.id).model_badge.text()
    assert badge == "gemma3"


def test_provider_down_shows_the_error_inline_and_retry_works_once_it_is_back(
        qtbot, bridge, db_path, settings, llama_server) -> None:
    port = closed_port()
    seed_llama(db_path, f"http://127.0.0.1:{port}/v1", max_tokens=8)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model_bar.status_of("llama") == "down", timeout=30_000)
    assert "down" in window.model_bar.provider_combo.toolTip()
    send(window, "Are you there?")
    wait_idle(qtbot, window)

    conversation_id = window.controller.conversation_id
    (failed,) = replies(db_path, conversation_id)
    assert failed.status == "error" and failed.error
    bar = window.chat_view.message_widget(failed.id).error_bar
    assert bar is not None and bar.isVisible()

    forwarder = TcpForwarder(port, llama_server.port)   # the server is back
    forwarder.start()
    try:
        window.chat_view.message_widget(failed.id).sig_action.emit("retry")
        qtbot.waitUntil(lambda: window.controller.sessions[conversation_id].running,
                        timeout=WAIT_MS)
        wait_idle(qtbot, window)
    finally:
        forwarder.stop()

    # The retry is a new version of the reply; the failed try is kept as version 1.
    assert [m.id for m in replies(db_path, conversation_id)][0] == failed.id
    stored = shown_branch(db_path, conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[0].content == "Are you there?" and stored[1].parent_id == stored[0].id
    assert stored[1].status == "complete" and stored[1].content
    assert forwarder.connections >= 1
    assert window.chat_view.message_ids() == [stored[0].id, stored[1].id]
    assert window.chat_view.message_widget(stored[1].id).error_bar is None


def test_regenerate_and_edit_and_resend(llama_window, qtbot, monkeypatch) -> None:
    window, _agent = llama_window(max_tokens=8)
    send(window, "Say hello.")
    wait_idle(qtbot, window)
    db = window.settings.database_path
    conversation_id = window.controller.conversation_id
    (first,) = replies(db, conversation_id)

    window.chat_view.message_widget(first.id).regenerate_button.click()
    qtbot.waitUntil(lambda: len(replies(db, conversation_id)) == 2, timeout=REPLY_MS)
    wait_idle(qtbot, window)
    stored = shown_branch(db, conversation_id)
    assert [(m.role, m.content) for m in stored if m.role == "user"] == [("user", "Say hello.")]
    assert stored[-1].status == "complete" and stored[-1].id != first.id
    qtbot.waitUntil(lambda: first.id not in window.chat_view.message_ids(), timeout=WAIT_MS)

    user_id = stored[0].id
    window.chat_view.message_widget(user_id).edit_button.click()
    qtbot.waitUntil(lambda: find(window, "editMessageDialog") is not None,
                    timeout=WAIT_MS)
    dialog = find(window, "editMessageDialog")
    assert dialog.edit.toPlainText() == "Say hello."
    assert "1 message after it" in dialog.note.text() and "kept" in dialog.note.text()
    dialog.edit.setPlainText("Say goodbye.")
    dialog.resend_button.click()
    qtbot.waitUntil(lambda: any(m.content == "Say goodbye." for m in messages(db, conversation_id)),
                    timeout=REPLY_MS)
    wait_idle(qtbot, window)

    stored = shown_branch(db, conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[0].content == "Say goodbye." and stored[1].status == "complete"
    assert len(messages(db, conversation_id)) == 5        # both earlier versions kept
    qtbot.waitUntil(lambda: window.chat_view.message_ids() == [m.id for m in stored],
                    timeout=WAIT_MS)
    assert shown_text(window, stored[1].id) == stored[1].content.strip()


def test_two_chats_stream_at_once_and_switching_loses_nothing(llama_window, qtbot) -> None:
    window, _agent = llama_window(max_tokens=32)
    send(window, "Describe a forest.")
    qtbot.waitUntil(lambda: window.controller.conversation_id is not None, timeout=WAIT_MS)
    first = window.controller.conversation_id
    session_a = window.controller.sessions[first]

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.controller.conversation_id is None and window.chat_view.message_ids() == []
    send(window, "Describe a desert.")
    qtbot.waitUntil(lambda: window.controller.conversation_id not in (None, first),
                    timeout=WAIT_MS)
    second = window.controller.conversation_id
    session_b = window.controller.sessions[second]
    both = session_a.running and session_b.running
    assert both                                   # two replies under way at once

    window.conversation_list.select(first)        # back to the first, mid-stream
    qtbot.waitUntil(lambda: window.controller.conversation_id == first
                    and not window.controller._loading, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not session_a.running and not session_b.running, timeout=REPLY_MS)
    db = window.settings.database_path
    for conversation_id in (first, second):
        window.conversation_list.select(conversation_id)
        qtbot.waitUntil(lambda c=conversation_id: window.controller.conversation_id == c
                        and not window.controller._loading, timeout=WAIT_MS)
        stored = messages(db, conversation_id)
        assert [m.role for m in stored] == ["user", "assistant"]
        assert stored[1].status == "complete" and stored[1].content
        assert window.chat_view.message_ids() == [m.id for m in stored]
        assert shown_text(window, stored[1].id) == stored[1].content.strip()
    assert {c.id for c in window.conversation_model.conversations()} == {first, second}
