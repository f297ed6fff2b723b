"""Archived conversations: listed on their own, unarchived back, counted per agent."""

from __future__ import annotations

from app.domain import AgentSpec, Conversation
from app.store import ChangeNotice, Store
from store_helpers import add_message


def test_archived_only_lists_just_the_archived_ones(store: Store, agent: AgentSpec) -> None:
    kept = store.conversations.create(agent.id, "Kept")
    filed = store.conversations.create(agent.id, "Filed")
    other = store.agents.create(AgentSpec(name="Other"))
    elsewhere = store.conversations.create(other.id, "Elsewhere")
    store.conversations.set_archived(filed.id, True)
    store.conversations.set_archived(elsewhere.id, True)

    assert [c.id for c in store.conversations.list(agent.id)] == [kept.id]
    assert [c.id for c in store.conversations.list(agent.id, archived_only=True)] == [filed.id]
    assert {c.id for c in store.conversations.list(archived_only=True)} == {filed.id,
                                                                            elsewhere.id}
    assert {c.id for c in store.conversations.list(agent.id, include_archived=True)} == {
        kept.id, filed.id}


def test_unarchiving_brings_it_back_and_tells_the_views(
        store: Store, conversation: Conversation, notices: list[ChangeNotice]) -> None:
    store.conversations.set_archived(conversation.id, True)
    restored = store.conversations.set_archived(conversation.id, False)
    assert not restored.archived
    assert [c.id for c in store.conversations.list(conversation.agent_id)] == [conversation.id]
    assert store.conversations.list(conversation.agent_id, archived_only=True) == []
    assert notices == [
        ChangeNotice("conversation", "update", (conversation.id,), conversation.agent_id)] * 2


def test_totals_count_archived_chats_and_their_messages(store: Store,
                                                        agent: AgentSpec) -> None:
    assert store.conversations.totals(agent.id) == (0, 0)
    first = store.conversations.create(agent.id, "One")
    second = store.conversations.create(agent.id, "Two")
    for text in ("a", "b", "c"):
        add_message(store, first.id, text)
    add_message(store, second.id, "d")
    store.conversations.set_archived(second.id, True)
    other = store.agents.create(AgentSpec(name="Other"))
    add_message(store, store.conversations.create(other.id).id, "not counted")
    assert store.conversations.totals(agent.id) == (2, 4)
    assert store.conversations.totals(other.id) == (1, 1)
