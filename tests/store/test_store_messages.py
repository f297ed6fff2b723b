"""Message repository: add, paging, finalize, recovery, change notices."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain import AgentSpec, Conversation, Message, ToolCallRecord, UsageStats
from app.store import ChangeNotice, NotFoundError, Store
from store_helpers import add_message, next_tick


def test_add_commits_before_returning(store: Store, db_path: Path,
                                      conversation: Conversation) -> None:
    added = add_message(store, conversation.id, "hello")

    # A second, independent connection sees it: the row is committed.
    with Store(db_path, recover=False) as other:
        assert other.messages.get(added.id).content == "hello"


def test_add_round_trips_fields(store: Store, agent: AgentSpec,
                                conversation: Conversation) -> None:
    added = store.messages.add(Message(
        conversation_id=conversation.id, role="tool", content="42",
        tool_call_id="call_1", agent_revision=agent.revision, meta={"tool": "calc"},
    ))
    assert added.id is not None
    assert added.tool_call_id == "call_1"
    assert added.agent_revision == 1
    assert added.meta == {"tool": "calc"}
    assert added.status == "complete"
    assert store.messages.get(added.id) == added


def test_add_bumps_conversation_activity(store: Store, conversation: Conversation) -> None:
    next_tick()
    added = add_message(store, conversation.id, "hi")
    after = store.conversations.get(conversation.id)
    assert after.updated_at > conversation.updated_at
    assert after.updated_at == added.created_at


def test_add_to_missing_conversation_raises_not_found(
        store: Store, notices: list[ChangeNotice]) -> None:
    with pytest.raises(NotFoundError):
        add_message(store, 999, "lost")
    assert notices == []
    assert store.db.execute_sql("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_get_missing_message_raises(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.messages.get(5)


def test_page_walks_back_through_a_long_conversation(store: Store,
                                                     conversation: Conversation) -> None:
    ids = [add_message(store, conversation.id, f"m{i}").id for i in range(250)]

    newest = store.messages.page(conversation.id, limit=100)
    assert [m.id for m in newest] == ids[150:]  # newest 100, oldest first

    second = store.messages.page(conversation.id, before_id=newest[0].id, limit=100)
    assert [m.id for m in second] == ids[50:150]

    third = store.messages.page(conversation.id, before_id=second[0].id, limit=100)
    assert [m.id for m in third] == ids[:50]
    assert [m.content for m in third[:2]] == ["m0", "m1"]

    assert store.messages.page(conversation.id, before_id=third[0].id) == []


def test_page_only_returns_that_conversation(store: Store, agent: AgentSpec) -> None:
    a = store.conversations.create(agent.id, "a")
    b = store.conversations.create(agent.id, "b")
    a_ids = []
    for i in range(6):
        a_ids.append(add_message(store, a.id, f"a{i}").id)
        add_message(store, b.id, f"b{i}")
    assert [m.id for m in store.messages.page(a.id, limit=4)] == a_ids[2:]
    assert [m.id for m in store.messages.page(a.id, before_id=a_ids[2], limit=4)] == \
        a_ids[:2]


def test_all_and_count(store: Store, conversation: Conversation) -> None:
    assert store.messages.all(conversation.id) == []
    assert store.messages.count(conversation.id) == 0
    contents = [f"text {i}" for i in range(12)]
    for text in contents:
        add_message(store, conversation.id, text)
    assert [m.content for m in store.messages.all(conversation.id)] == contents
    assert store.messages.count(conversation.id) == 12


def test_set_content_replaces_content_and_touches_conversation(
        store: Store, conversation: Conversation) -> None:
    reply = add_message(store, conversation.id, "", role="assistant", status="streaming")
    next_tick()
    store.messages.set_content(reply.id, "Hello, wor")
    stored = store.messages.get(reply.id)
    assert stored.content == "Hello, wor"
    assert stored.status == "streaming"
    assert stored.updated_at > reply.updated_at
    assert store.conversations.get(conversation.id).updated_at == stored.updated_at


def test_set_content_of_missing_message_raises(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.messages.set_content(31, "x")


def test_finalize_round_trips_usage_tool_calls_meta_model_provider(
        store: Store, conversation: Conversation) -> None:
    reply = add_message(store, conversation.id, "", role="assistant", status="streaming")
    usage = UsageStats(prompt_tokens=120, completion_tokens=33, ttft_ms=210.5,
                       tokens_per_s=41.25)
    calls = [
        ToolCallRecord(call_id="c1", name="clock", arguments={"tz": "UTC"}),
        ToolCallRecord(call_id="c2", name="calc", arguments='{"broken json'),
    ]
    meta = {"route": {"tried": ["a", "b"], "chosen": "b"}, "note": "ünïcode"}

    final = store.messages.finalize(
        reply.id, status="complete", content="Done.", usage=usage, tool_calls=calls,
        model="gemma-3-270m", provider="llamacpp", meta=meta,
    )

    assert final.status == "complete"
    assert final.content == "Done."
    assert final.usage == usage
    assert final.tool_calls == calls
    assert final.meta == meta
    assert (final.model, final.provider) == ("gemma-3-270m", "llamacpp")
    assert final.error is None
    assert store.messages.get(reply.id) == final


def test_finalize_with_error_keeps_earlier_provenance(
        store: Store, conversation: Conversation) -> None:
    reply = add_message(store, conversation.id, "par", role="assistant",
                        status="streaming", model="m", provider="p")
    final = store.messages.finalize(reply.id, status="error", content="par",
                                    error="server went away")
    assert final.status == "error"
    assert final.error == "server went away"
    assert (final.model, final.provider) == ("m", "p")
    assert final.usage is None


def test_finalize_missing_message_raises(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.messages.finalize(8, status="complete", content="x")


def test_delete_message(store: Store, conversation: Conversation) -> None:
    keep = add_message(store, conversation.id, "keep")
    gone = add_message(store, conversation.id, "gone")
    store.messages.delete(gone.id)
    assert [m.id for m in store.messages.all(conversation.id)] == [keep.id]
    with pytest.raises(NotFoundError):
        store.messages.get(gone.id)
    with pytest.raises(NotFoundError):
        store.messages.delete(gone.id)


def test_recover_interrupted_turns_streaming_into_partial(
        store: Store, conversation: Conversation) -> None:
    done = add_message(store, conversation.id, "question")
    cut = add_message(store, conversation.id, "", role="assistant", status="streaming")
    store.messages.set_content(cut.id, "half an ans")

    assert store.messages.recover_interrupted() == [cut.id]

    recovered = store.messages.get(cut.id)
    assert recovered.status == "partial"
    assert recovered.content == "half an ans"
    assert store.messages.get(done.id).status == "complete"
    assert store.messages.recover_interrupted() == []


def test_opening_the_store_recovers_automatically(db_path: Path) -> None:
    with Store(db_path) as first:
        agent = first.agents.create(AgentSpec(name="a"))
        chat = first.conversations.create(agent.id)
        cut = add_message(first, chat.id, "streamed so far", role="assistant",
                          status="streaming")
        finished = add_message(first, chat.id, "fine", role="assistant")

    with Store(db_path) as reopened:
        assert reopened.recovered_message_ids == [cut.id]
        assert reopened.messages.get(cut.id).status == "partial"
        assert reopened.messages.get(cut.id).content == "streamed so far"
        assert reopened.messages.get(finished.id).status == "complete"

    with Store(db_path, recover=False) as untouched:
        assert untouched.recovered_message_ids == []


def test_store_opened_without_recovery_leaves_streaming_alone(db_path: Path) -> None:
    with Store(db_path) as first:
        agent = first.agents.create(AgentSpec(name="a"))
        chat = first.conversations.create(agent.id)
        cut = add_message(first, chat.id, "x", role="assistant", status="streaming")
    with Store(db_path, recover=False) as second:
        assert second.messages.get(cut.id).status == "streaming"


def test_message_writes_emit_notices_with_conversation_as_parent(
        store: Store, conversation: Conversation, notices: list[ChangeNotice]) -> None:
    notices.clear()
    reply = add_message(store, conversation.id, "", role="assistant", status="streaming")
    store.messages.set_content(reply.id, "partial")
    store.messages.finalize(reply.id, status="complete", content="partial text")
    store.messages.delete(reply.id)

    ids, parent = (reply.id,), conversation.id
    assert notices == [
        ChangeNotice("message", "insert", ids, parent),
        ChangeNotice("message", "update", ids, parent),
        ChangeNotice("message", "update", ids, parent),
        ChangeNotice("message", "delete", ids, parent),
    ]


def test_recovery_emits_one_update_notice_for_all_ids(
        store: Store, agent: AgentSpec, notices: list[ChangeNotice]) -> None:
    a = store.conversations.create(agent.id)
    b = store.conversations.create(agent.id)
    first = add_message(store, a.id, "", role="assistant", status="streaming")
    second = add_message(store, b.id, "", role="assistant", status="streaming")
    notices.clear()

    store.messages.recover_interrupted()

    assert notices == [ChangeNotice("message", "update", (first.id, second.id), None)]


def test_notice_arrives_after_the_write_is_visible(store: Store, db_path: Path,
                                                   conversation: Conversation) -> None:
    seen_from_other_connection: list[int] = []
    other = Store(db_path, recover=False)

    def listener(notice: ChangeNotice) -> None:
        seen_from_other_connection.append(other.messages.count(conversation.id))

    store.subscribe(listener)
    try:
        add_message(store, conversation.id, "first")
        add_message(store, conversation.id, "second")
    finally:
        other.close()
    assert seen_from_other_connection == [1, 2]
