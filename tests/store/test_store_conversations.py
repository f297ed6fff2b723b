"""Conversation repository: create, list order, flags, counts, paging, notices."""

from __future__ import annotations

import pytest

from app.domain import AgentSpec, Conversation
from app.store import ChangeNotice, NotFoundError, Store
from store_helpers import add_message, next_tick


def test_create_returns_stored_conversation(store: Store, agent: AgentSpec) -> None:
    created = store.conversations.create(agent.id, "Plans")
    assert created.id is not None
    assert created.agent_id == agent.id
    assert created.title == "Plans"
    assert (created.pinned, created.archived, created.message_count) == (False, False, 0)
    assert store.conversations.get(created.id) == created


def test_default_title(store: Store, agent: AgentSpec) -> None:
    assert store.conversations.create(agent.id).title == "New chat"


def test_create_for_missing_agent_raises_not_found(store: Store,
                                                   notices: list[ChangeNotice]) -> None:
    with pytest.raises(NotFoundError) as info:
        store.conversations.create(404, "orphan")
    assert info.value.what == "agent"
    assert notices == []
    assert store.conversations.list() == []


def test_get_missing_raises(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.conversations.get(1)


def test_list_orders_pinned_first_then_newest_activity(store: Store,
                                                       agent: AgentSpec) -> None:
    old = store.conversations.create(agent.id, "old")
    next_tick()
    middle = store.conversations.create(agent.id, "middle")
    next_tick()
    new = store.conversations.create(agent.id, "new")
    next_tick()
    pinned_old = store.conversations.create(agent.id, "pinned")
    store.conversations.set_pinned(pinned_old.id, True)
    next_tick()
    new = store.conversations.get(new.id)

    assert [c.id for c in store.conversations.list()] == [
        pinned_old.id, new.id, middle.id, old.id]

    # A new message is activity: the old conversation moves to the top of the unpinned.
    next_tick()
    add_message(store, old.id, "hello again")
    assert [c.id for c in store.conversations.list()] == [
        pinned_old.id, old.id, new.id, middle.id]


def test_list_filters_by_agent(store: Store, agent: AgentSpec) -> None:
    other = store.agents.create(AgentSpec(name="Other"))
    mine = store.conversations.create(agent.id, "mine")
    theirs = store.conversations.create(other.id, "theirs")
    assert [c.id for c in store.conversations.list(agent.id)] == [mine.id]
    assert [c.id for c in store.conversations.list(other.id)] == [theirs.id]
    assert {c.id for c in store.conversations.list()} == {mine.id, theirs.id}


def test_archived_excluded_unless_asked(store: Store, agent: AgentSpec) -> None:
    visible = store.conversations.create(agent.id, "visible")
    hidden = store.conversations.create(agent.id, "hidden")
    archived = store.conversations.set_archived(hidden.id, True)
    assert archived.archived is True

    assert [c.id for c in store.conversations.list()] == [visible.id]
    assert {c.id for c in store.conversations.list(include_archived=True)} == {
        visible.id, hidden.id}

    store.conversations.set_archived(hidden.id, False)
    assert {c.id for c in store.conversations.list()} == {visible.id, hidden.id}


def test_rename_and_pin(store: Store, conversation: Conversation) -> None:
    renamed = store.conversations.rename(conversation.id, "  Trip ideas  ")
    assert renamed.title == "Trip ideas"
    assert store.conversations.rename(conversation.id, "   ").title == "New chat"

    assert store.conversations.set_pinned(conversation.id, True).pinned is True
    assert store.conversations.get(conversation.id).pinned is True
    assert store.conversations.set_pinned(conversation.id, False).pinned is False


@pytest.mark.parametrize("operation", [
    lambda s: s.conversations.rename(99, "x"),
    lambda s: s.conversations.set_pinned(99, True),
    lambda s: s.conversations.set_archived(99, True),
    lambda s: s.conversations.delete(99),
])
def test_operations_on_missing_conversation_raise(store: Store, operation) -> None:
    with pytest.raises(NotFoundError):
        operation(store)


def test_delete_removes_conversation_only(store: Store, agent: AgentSpec) -> None:
    keep = store.conversations.create(agent.id, "keep")
    gone = store.conversations.create(agent.id, "gone")
    store.conversations.delete(gone.id)
    assert [c.id for c in store.conversations.list()] == [keep.id]
    with pytest.raises(NotFoundError):
        store.conversations.get(gone.id)
    assert store.agents.get(agent.id) == agent


def test_message_count(store: Store, agent: AgentSpec) -> None:
    busy = store.conversations.create(agent.id, "busy")
    quiet = store.conversations.create(agent.id, "quiet")
    for i in range(5):
        add_message(store, busy.id, f"message {i}")
    add_message(store, quiet.id, "only one")

    assert store.conversations.get(busy.id).message_count == 5
    counts = {c.id: c.message_count for c in store.conversations.list()}
    assert counts == {busy.id: 5, quiet.id: 1}


def test_limit_and_offset_page_through_the_ordered_list(store: Store,
                                                        agent: AgentSpec) -> None:
    created = []
    for i in range(7):
        created.append(store.conversations.create(agent.id, f"c{i}").id)
        next_tick()
    newest_first = list(reversed(created))

    assert [c.id for c in store.conversations.list(limit=3)] == newest_first[:3]
    assert [c.id for c in store.conversations.list(limit=3, offset=3)] == newest_first[3:6]
    assert [c.id for c in store.conversations.list(limit=3, offset=6)] == newest_first[6:]
    assert store.conversations.list(limit=3, offset=7) == []


def test_conversation_writes_emit_notices_with_agent_as_parent(
        store: Store, agent: AgentSpec, notices: list[ChangeNotice]) -> None:
    notices.clear()
    created = store.conversations.create(agent.id, "c")
    store.conversations.rename(created.id, "d")
    store.conversations.set_pinned(created.id, True)
    store.conversations.set_archived(created.id, True)
    store.conversations.delete(created.id)

    ids = (created.id,)
    assert notices == [
        ChangeNotice("conversation", "insert", ids, agent.id),
        ChangeNotice("conversation", "update", ids, agent.id),
        ChangeNotice("conversation", "update", ids, agent.id),
        ChangeNotice("conversation", "update", ids, agent.id),
        ChangeNotice("conversation", "delete", ids, agent.id),
    ]


def test_rename_pin_and_archive_are_not_activity(store: Store, agent: AgentSpec) -> None:
    """Only messages move a conversation up the "newest activity" order."""
    from app.domain import Message

    older = store.conversations.create(agent.id, "older")
    newer = store.conversations.create(agent.id, "newer")
    store.messages.add(Message(conversation_id=newer.id, role="user", content="hi"))
    before = store.conversations.get(older.id).updated_at
    store.conversations.rename(older.id, "renamed")
    store.conversations.set_archived(older.id, False)
    assert store.conversations.get(older.id).updated_at == before
    assert [c.title for c in store.conversations.list(agent.id)] == ["newer", "renamed"]
