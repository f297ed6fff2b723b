"""app/ops/messages.py on a real Store, without Qt."""

from __future__ import annotations

import pytest
from ops_support import say

from app.domain import AgentSpec, Message, ToolCallRecord
from app.ops import chats, messages
from app.store import NotFoundError, Store


def _chat(store: Store, agent: AgentSpec, turns: int) -> tuple[int, list[Message]]:
    chat = chats.start(store, agent.id, "chat")
    written = []
    for turn in range(turns):
        written.append(say(store, chat.id, "user", f"q{turn}"))
        written.append(say(store, chat.id, "assistant", f"a{turn}"))
    return chat.id, written


def test_pages_of_the_shown_branch_newest_first(store: Store, agent: AgentSpec) -> None:
    chat_id, written = _chat(store, agent, 15)                  # 30 messages
    newest = messages.page(store, chat_id)
    assert [m.id for m in newest.messages] == [m.id for m in written[-messages.PAGE:]]
    assert newest.has_older
    older = messages.page(store, chat_id, before_id=newest.messages[0].id)
    assert [m.id for m in older.messages] == [m.id for m in written[:-messages.PAGE]]
    assert not older.has_older
    assert messages.page(store, chat_id, limit=30).has_older is False


def test_a_page_around_an_old_message_starts_a_few_before_it(store: Store,
                                                             agent: AgentSpec) -> None:
    chat_id, written = _chat(store, agent, 20)                  # 40 messages
    target = written[3]
    found = messages.page_around(store, chat_id, target.id)
    assert found.messages[0].id == written[0].id       # 3 - CONTEXT_BEFORE < 0: the start
    assert not found.has_older and found.messages[-1].id == written[-1].id
    deep = written[15]                                         # above the newest page
    found = messages.page_around(store, chat_id, deep.id)
    assert found.messages[0].id == written[15 - messages.CONTEXT_BEFORE].id
    assert found.has_older
    near = messages.page_around(store, chat_id, written[-2].id)   # on the newest page
    assert near == messages.page(store, chat_id)
    gone = messages.page_around(store, chat_id, 10_000)           # deleted meanwhile
    assert gone == messages.page(store, chat_id)


def test_a_page_around_a_message_of_another_version_shows_that_branch(
        store: Store, agent: AgentSpec) -> None:
    chat_id, written = _chat(store, agent, 2)
    first_reply = written[1]
    newer = store.messages.add(Message(conversation_id=chat_id, role="assistant",
                                       content="a0 again"), parent_id=written[0].id)
    assert [m.id for m in messages.shown_branch(store, chat_id)] == [written[0].id, newer.id]
    found = messages.page_around(store, chat_id, first_reply.id)
    assert [m.content for m in found.messages] == ["q0", "a0", "q1", "a1"]


def test_shown_chat_reads_the_page_and_the_stamp_together(store: Store,
                                                          agent: AgentSpec) -> None:
    chat_id, written = _chat(store, agent, 1)
    shown = messages.shown_chat(store, chat_id)
    assert [m.id for m in shown.page.messages] == [m.id for m in written]
    assert shown.stamp == chats.get(store, chat_id)
    assert messages.shown_chat(store, chat_id, written[0].id).page.messages == \
        shown.page.messages
    chats.delete(store, chat_id)
    gone = messages.shown_chat(store, chat_id)
    assert gone.stamp is None and gone.page.messages == []


def test_the_previous_user_message_is_what_a_regenerate_answers(store: Store,
                                                                agent: AgentSpec) -> None:
    chat_id, written = _chat(store, agent, 2)
    q0, a0, q1, a1 = written
    call = say(store, chat_id, "assistant", "",
               tool_calls=[ToolCallRecord(call_id="c1", name="clock")])
    result = say(store, chat_id, "tool", "12:00", tool_call_id="c1")
    assert messages.previous_user_message(store, chat_id, a1.id).id == q1.id
    assert messages.previous_user_message(store, chat_id, result.id).id == q1.id
    assert messages.previous_user_message(store, chat_id, call.id).id == q1.id
    assert messages.previous_user_message(store, chat_id, a0.id).id == q0.id
    assert messages.previous_user_message(store, chat_id, q0.id).id == q0.id
    other_id, _ = _chat(store, agent, 1)
    assert messages.previous_user_message(store, other_id, a1.id) is None   # not that chat
    lone = chats.start(store, agent.id, "x")
    greeting = say(store, lone.id, "assistant", "hello")
    assert messages.previous_user_message(store, lone.id, greeting.id) is None
    with pytest.raises(NotFoundError):
        messages.previous_user_message(store, chat_id, 10_000)


def test_user_message_accepts_only_a_user_message_of_that_chat(store: Store,
                                                               agent: AgentSpec) -> None:
    chat_id, (q0, a0) = _chat(store, agent, 1)
    assert messages.user_message(store, chat_id, q0.id) == q0
    assert messages.user_message(store, chat_id, a0.id) is None
    other_id, _ = _chat(store, agent, 1)
    assert messages.user_message(store, other_id, q0.id) is None


def test_edit_target_counts_what_follows_without_tool_results(store: Store,
                                                              agent: AgentSpec) -> None:
    chat_id, written = _chat(store, agent, 3)
    say(store, chat_id, "assistant", "", tool_calls=[ToolCallRecord(call_id="c", name="t")])
    say(store, chat_id, "tool", "r", tool_call_id="c")
    target = messages.edit_target(store, chat_id, written[2].id)       # q1
    assert target.message == written[2]
    assert target.later == 4                    # a1, q2, a2, the call (not its result)
    assert messages.edit_target(store, chat_id, written[0].id).later == 6


def test_versions_switch_and_follow_the_newest_branch(store: Store,
                                                      agent: AgentSpec) -> None:
    chat_id, (q0, a0) = _chat(store, agent, 1)
    again = store.messages.add(Message(conversation_id=chat_id, role="assistant",
                                       content="a0 again"), parent_id=q0.id)
    follow = say(store, chat_id, "user", "more")
    found = messages.versions_of(store, chat_id, [q0.id, again.id, follow.id])
    assert set(found) == {again.id}
    assert (found[again.id].index, found[again.id].count) == (2, 2)
    shown = messages.shown_branch(store, chat_id)
    assert messages.versions(store, chat_id, shown)[again.id].count == 2

    assert messages.switch_version(store, again.id, -1) == a0.id
    assert [m.id for m in messages.shown_branch(store, chat_id)] == [q0.id, a0.id]
    assert messages.switch_version(store, a0.id, -1) is None           # none before the first
    assert messages.switch_version(store, a0.id, +1) == again.id
    assert [m.id for m in messages.shown_branch(store, chat_id)] == [q0.id, again.id,
                                                                      follow.id]


def test_delete_takes_the_tool_results_along_and_keeps_the_rest(store: Store,
                                                                agent: AgentSpec) -> None:
    chat_id, (q0, _a0) = _chat(store, agent, 1)
    call = say(store, chat_id, "assistant", "",
               tool_calls=[ToolCallRecord(call_id="c1", name="clock")])
    say(store, chat_id, "tool", "12:00", tool_call_id="c1")
    say(store, chat_id, "tool", "other call's", tool_call_id="c2")
    last = say(store, chat_id, "assistant", "noon")
    removed = messages.delete(store, call.id)
    assert len(removed) == 2 and removed[0] == call.id
    assert [m.content for m in store.messages.all(chat_id)] == ["q0", "a0", "other call's",
                                                                "noon"]
    assert messages.delete(store, last.id) == [last.id]
    assert messages.delete(store, q0.id) == [q0.id]
    with pytest.raises(NotFoundError):
        messages.delete(store, q0.id)


def test_record_history_appends_earlier_turns_in_order_as_complete(store: Store,
                                                                   agent: AgentSpec) -> None:
    chat_id, written = _chat(store, agent, 1)
    added = messages.record_history(store, chat_id, [("user", "My name is Ada."),
                                                     ("assistant", "Hi Ada.")])
    shown = messages.shown_branch(store, chat_id)
    assert [(m.role, m.content, m.status) for m in shown[2:]] == [
        ("user", "My name is Ada.", "complete"), ("assistant", "Hi Ada.", "complete")]
    assert [m.id for m in shown] == [m.id for m in written + added]
    assert added[0].parent_id == written[-1].id and added[1].parent_id == added[0].id


def test_record_history_into_a_missing_chat_writes_nothing(store: Store,
                                                           agent: AgentSpec) -> None:
    with pytest.raises(NotFoundError):
        messages.record_history(store, 9999, [("user", "lost")])
    assert messages.record_history(store, chats.start(store, agent.id, "x").id, []) == []


def test_a_conversation_started_with_history_is_all_or_nothing(store: Store,
                                                               agent: AgentSpec) -> None:
    """/v1 starts a chat with the history a client brought: one transaction, so a
    failure half-way leaves no chat without its history."""
    started = messages.start_with_history(store, agent.id, "Hi", [("user", "Hi"),
                                                                  ("assistant", "Hello")],
                                          origin="api")
    assert started.origin == "api"
    assert [(m.role, m.content) for m in store.messages.all(started.id)] == [
        ("user", "Hi"), ("assistant", "Hello")]
    before = store.conversations.list(agent.id, include_archived=True)
    with pytest.raises(ValueError):
        messages.start_with_history(store, agent.id, "x", [("user", "ok"),
                                                           ("narrator", "not a role")])
    assert store.conversations.list(agent.id, include_archived=True) == before
