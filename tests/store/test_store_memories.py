"""MemoryRepository (store.memories): CRUD, validation, cascade, change notices."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain import AgentSpec
from app.store import ChangeNotice, NotFoundError, Store
from tests.store.store_helpers import next_tick


def test_memory_add_and_list_round_trip_per_agent(store: Store, agent: AgentSpec) -> None:
    other = store.agents.create(AgentSpec(name="Other"))
    first = store.memories.add(agent.id, "  Prefers metric units  ")
    second = store.memories.add(agent.id, "Lives in Lyon")
    store.memories.add(other.id, "Writes Rust")

    assert first.id is not None and first.agent_id == agent.id
    assert first.content == "Prefers metric units"  # surrounding space dropped
    assert first.created_at == first.updated_at
    assert store.memories.list(agent.id) == [first, second]
    assert [m.content for m in store.memories.list(other.id)] == ["Writes Rust"]


def test_memory_rows_survive_reopening(db_path, agent: AgentSpec, store: Store) -> None:
    added = store.memories.add(agent.id, "Has a cat named Miso")
    store.close()
    with Store(db_path) as reopened:
        assert reopened.memories.list(agent.id) == [added]


def test_memory_update_changes_content_and_time(store: Store, agent: AgentSpec) -> None:
    memory = store.memories.add(agent.id, "Likes tea")
    next_tick()
    updated = store.memories.update(memory.id, " Likes green tea ")

    assert updated.id == memory.id and updated.content == "Likes green tea"
    assert updated.created_at == memory.created_at
    assert updated.updated_at > memory.updated_at
    assert store.memories.list(agent.id) == [updated]


def test_memory_delete_removes_only_that_memory(store: Store, agent: AgentSpec) -> None:
    keep = store.memories.add(agent.id, "keep")
    drop = store.memories.add(agent.id, "drop")
    store.memories.delete(drop.id)
    assert store.memories.list(agent.id) == [keep]


def test_memory_missing_memories_and_agents_raise_not_found(store: Store,
                                                     agent: AgentSpec) -> None:
    with pytest.raises(NotFoundError):
        store.memories.update(999, "x")
    with pytest.raises(NotFoundError):
        store.memories.delete(999)
    with pytest.raises(NotFoundError) as info:
        store.memories.add(12345, "for nobody")
    assert info.value.what == "agent"
    assert store.memories.list(12345) == []


@pytest.mark.parametrize("content", ["", "   ", "x" * 2001])
def test_memory_content_is_validated(store: Store, agent: AgentSpec, content: str) -> None:
    with pytest.raises(ValidationError):
        store.memories.add(agent.id, content)
    existing = store.memories.add(agent.id, "valid")
    with pytest.raises(ValidationError):
        store.memories.update(existing.id, content)
    assert [m.content for m in store.memories.list(agent.id)] == ["valid"]


def test_memory_deleting_the_agent_deletes_its_memories(store: Store, agent: AgentSpec) -> None:
    other = store.agents.create(AgentSpec(name="Other"))
    store.memories.add(agent.id, "gone with the agent")
    kept = store.memories.add(other.id, "stays")

    store.agents.delete(agent.id)

    count = store.db.execute_sql("SELECT COUNT(*) FROM memories WHERE agent_id = ?",
                                 (agent.id,)).fetchone()[0]
    assert count == 0
    assert store.memories.list(other.id) == [kept]


def test_memory_every_write_emits_a_notice_naming_the_agent(
        store: Store, agent: AgentSpec, notices: list[ChangeNotice]) -> None:
    memory = store.memories.add(agent.id, "a")
    store.memories.update(memory.id, "b")
    store.memories.delete(memory.id)

    assert notices == [
        ChangeNotice("memory", "insert", (memory.id,), agent.id),
        ChangeNotice("memory", "update", (memory.id,), agent.id),
        ChangeNotice("memory", "delete", (memory.id,), agent.id),
    ]


def test_memory_failed_writes_emit_no_notice(store: Store, agent: AgentSpec,
                                      notices: list[ChangeNotice]) -> None:
    with pytest.raises(NotFoundError):
        store.memories.delete(42)
    with pytest.raises(NotFoundError):
        store.memories.add(777, "x")
    assert notices == []
