"""Memories: the facts an agent remembers about the user, which the user sees
and edits (the agent editor's Memory tab, ``agentdesk memories``).

A fact is one line: its whitespace is folded (``clean``) before it is stored.
``fact_problem`` is the rule a form checks before adding or changing one (not
empty, not too long, not a duplicate, not past the limit), worded for a person.
Every op takes the synchronous ``Store`` first and raises the store's typed
errors (``NotFoundError``) or pydantic's ``ValidationError``.
"""

from __future__ import annotations

from app.core.tools.memory import MAX_FACT_CHARS, MAX_FACTS_PER_AGENT, normalize
from app.domain.tools import Memory
from app.store import Store


def clean(text: str) -> str:
    """The fact as stored: one line, single spaces."""
    return " ".join(text.split())


def fact_problem(text: str, memories: list[Memory], editing: int | None = None) -> str | None:
    """Why ``text`` cannot be stored as a fact among ``memories`` (None when it
    can); ``editing``: the id of the fact it would replace."""
    cleaned = clean(text)
    if not cleaned:
        return "Type the fact first; an empty fact cannot be remembered."
    if len(cleaned) > MAX_FACT_CHARS:
        return (f"Keep a fact under {MAX_FACT_CHARS} characters "
                f"(this one has {len(cleaned)}).")
    for memory in memories:
        if memory.id != editing and normalize(memory.content) == normalize(cleaned):
            return f"Already remembered as fact #{memory.id}."
    if editing is None and len(memories) >= MAX_FACTS_PER_AGENT:
        return f"Memory is full ({MAX_FACTS_PER_AGENT} facts); forget one first."
    return None


def list_facts(store: Store, agent_id: int) -> list[Memory]:
    """The agent's facts, oldest first."""
    return store.memories.list(agent_id)


def add(store: Store, agent_id: int, text: str) -> Memory:
    """Remember ``text`` (cleaned) for ``agent_id`` (NotFoundError: no such agent)."""
    return store.memories.add(agent_id, clean(text))


def edit(store: Store, memory_id: int, text: str) -> Memory:
    """Replace a fact's text (NotFoundError: forgotten meanwhile)."""
    return store.memories.update(memory_id, clean(text))


def forget(store: Store, memory_id: int) -> None:
    """Delete a fact (NotFoundError: already gone)."""
    store.memories.delete(memory_id)
