"""app/ops/memories.py on a real Store, without Qt."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.tools.memory import MAX_FACT_CHARS, MAX_FACTS_PER_AGENT
from app.domain import AgentSpec
from app.ops import memories
from app.store import ChangeNotice, NotFoundError, Store


def test_add_list_edit_forget(store: Store, agent: AgentSpec,
                              notices: list[ChangeNotice]) -> None:
    assert memories.list_facts(store, agent.id) == []
    tea = memories.add(store, agent.id, "  Likes   green\ttea \n")
    assert tea.content == "Likes green tea"                     # one line, single spaces
    metric = memories.add(store, agent.id, "Prefers metric units")
    assert [m.id for m in memories.list_facts(store, agent.id)] == [tea.id, metric.id]

    changed = memories.edit(store, tea.id, "Likes  black tea")
    assert (changed.id, changed.content) == (tea.id, "Likes black tea")
    memories.forget(store, metric.id)
    assert [m.content for m in memories.list_facts(store, agent.id)] == ["Likes black tea"]
    assert [(n.entity, n.op) for n in notices] == [
        ("memory", "insert"), ("memory", "insert"), ("memory", "update"),
        ("memory", "delete")]


def test_gone_things_and_bad_facts_raise_typed_errors(store: Store, agent: AgentSpec) -> None:
    fact = memories.add(store, agent.id, "x")
    memories.forget(store, fact.id)
    with pytest.raises(NotFoundError):
        memories.forget(store, fact.id)
    with pytest.raises(NotFoundError):
        memories.edit(store, fact.id, "y")
    with pytest.raises(NotFoundError):
        memories.add(store, 999, "for nobody")
    with pytest.raises(ValidationError):
        memories.add(store, agent.id, " \n ")
    with pytest.raises(ValidationError):
        memories.add(store, agent.id, "x" * 5000)


def test_fact_problem_says_why_a_fact_cannot_be_stored(store: Store,
                                                       agent: AgentSpec) -> None:
    tea = memories.add(store, agent.id, "Likes tea")
    known = memories.list_facts(store, agent.id)
    assert memories.fact_problem("Likes coffee", known) is None
    assert "empty" in memories.fact_problem("  ", known)
    assert f"under {MAX_FACT_CHARS}" in memories.fact_problem("x" * (MAX_FACT_CHARS + 1), known)
    assert memories.fact_problem(" likes   TEA ", known) == f"Already remembered as fact #{tea.id}."
    assert memories.fact_problem("likes TEA", known, editing=tea.id) is None   # itself
    full = [known[0].model_copy(update={"id": n, "content": f"fact {n}"})
            for n in range(MAX_FACTS_PER_AGENT)]
    assert "full" in memories.fact_problem("one more", full)
    assert memories.fact_problem("changed", full, editing=3) is None       # a change fits
