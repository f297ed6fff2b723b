"""Versions in the window, as a person uses them in one session: send, regenerate
twice, page ◀ ▶ through the three replies, edit the question (the old branch
stays reachable), close the window, open it again: the same version is shown."""

from __future__ import annotations

import pytest

from app.domain import AgentSpec, Message, ProviderConfig
from app.store import Store
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, source
from versions_support import idle, regenerate, switch_of, wait_shown
from window_support import WAIT_MS, find, open_window, send

CONFIG = ProviderConfig(name="scripted", kind="llamacpp", base_url="http://scripted.invalid/v1")


@pytest.fixture
def provider(db_path) -> RoundsProvider:
    with Store(db_path) as store:
        store.providers.create(CONFIG)
        store.agents.create(AgentSpec(name="Versions", provider="scripted", model="m1"))
    return RoundsProvider(CONFIG, [answer("Reply one."), answer("Reply two."),
                                   answer("Reply three."), answer("Reply to the edit.")])


def test_regenerate_page_versions_edit_and_reopen(qtbot, bridge, db_path, settings,
                                                  provider) -> None:
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}))
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    send(window, "Question?")
    idle(qtbot, window)
    cid = window.controller.conversation_id
    wait_shown(qtbot, window, ["Question?", "Reply one."])

    regenerate(qtbot, window)
    wait_shown(qtbot, window, ["Question?", "Reply two."], "2/2")
    regenerate(qtbot, window)
    wait_shown(qtbot, window, ["Question?", "Reply three."], "3/3")
    # The model was asked the same question each time, never with an earlier reply.
    assert [[m.content for m in r.messages if m.role != "system"]
            for r in provider.requests] == [["Question?"]] * 3
    with Store(db_path) as store:
        assert len(store.messages.all(cid)) == 4               # nothing was deleted

    # Page back and forth: ◀ twice to the first reply, ▶ once.
    switch = switch_of(window, -1)
    assert not switch.next.isEnabled() and switch.previous.isEnabled()
    switch.previous.click()
    wait_shown(qtbot, window, ["Question?", "Reply two."], "2/3")
    switch_of(window, -1).previous.click()
    wait_shown(qtbot, window, ["Question?", "Reply one."], "1/3")
    assert not switch_of(window, -1).previous.isEnabled()
    switch_of(window, -1).next.click()
    wait_shown(qtbot, window, ["Question?", "Reply two."], "2/3")
    with Store(db_path) as store:                                # the store agrees
        assert [m.content for m in store.messages.path_all(cid)] == ["Question?",
                                                                     "Reply two."]

    # Edit the question: a new version of it; the old branch stays.
    user_widget = window.chat_view.message_widget(window.chat_view.message_ids()[0])
    user_widget.edit_button.click()
    qtbot.waitUntil(lambda: find(window, "editMessageDialog") is not None, timeout=WAIT_MS)
    dialog = find(window, "editMessageDialog")
    assert "1 message after it" in dialog.note.text() and "kept" in dialog.note.text()
    dialog.edit.setPlainText("Question, edited?")
    dialog.resend_button.click()
    qtbot.waitUntil(lambda: len(provider.requests) == 4, timeout=WAIT_MS)
    idle(qtbot, window)
    wait_shown(qtbot, window, ["Question, edited?", "Reply to the edit."], "2/2", index=0)
    assert [m.content for m in provider.requests[-1].messages if m.role != "system"] == [
        "Question, edited?"]
    assert switch_of(window, -1) is None                       # one reply to the edit

    # The old branch is one click away, with its three replies.
    switch_of(window, 0).previous.click()
    wait_shown(qtbot, window, ["Question?", "Reply three."], "1/2", index=0)
    assert switch_of(window, -1).label.text() == "3/3"
    switch_of(window, -1).previous.click()
    wait_shown(qtbot, window, ["Question?", "Reply two."], "2/3")

    # Close the window and open it again: the same version is shown.
    window.close()
    again = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}))
    qtbot.waitUntil(lambda: again.current_agent() is not None, timeout=WAIT_MS)
    again.controller.show_conversation(cid, again.current_agent().id)
    wait_shown(qtbot, again, ["Question?", "Reply two."], "2/3")
    assert switch_of(again, 0).label.text() == "1/2"
    switch_of(again, 0).next.click()
    wait_shown(qtbot, again, ["Question, edited?", "Reply to the edit."], "2/2", index=0)


def test_a_search_hit_in_an_earlier_version_opens_that_branch(qtbot, bridge, db_path,
                                                              settings, provider) -> None:
    with Store(db_path) as store:
        agent = store.agents.get_by_name("Versions")
        cid = store.conversations.create(agent.id, "Hidden").id
        add = store.messages.add
        question = add(Message(conversation_id=cid, role="user", content="Which colour?"))
        hidden = add(Message(conversation_id=cid, role="assistant", content="Teal, hidden."))
        add(Message(conversation_id=cid, role="assistant", content="Red, shown."),
            parent_id=question.id)
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}))
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    window.controller.show_conversation(cid, agent.id)
    wait_shown(qtbot, window, ["Which colour?", "Red, shown."], "2/2")
    window.controller.show_conversation(cid, agent.id, at_message=hidden.id)
    wait_shown(qtbot, window, ["Which colour?", "Teal, hidden."], "1/2")
    with Store(db_path) as store:
        assert store.conversations.get(cid).active_leaf_id == hidden.id
