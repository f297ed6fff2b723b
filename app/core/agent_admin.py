"""Duplicating and deleting an agent, written once for the window and the CLI.

Qt-free: each function takes a synchronous ``Store`` (the window runs it on
the store's worker through the bridge, the CLI calls it directly).

- ``duplicate_agent``: a copy with the same settings (prompt, provider, model,
  sampling, tools and their policies, fallbacks, workspace) and nothing else:
  no chats, no memories, a fresh revision history. Named "<name> (copy)",
  "<name> (copy 2)", ... — the first name no agent has (case-insensitively, as
  the store compares names).
- ``agent_footprint`` / ``deletion_question``: exactly what deleting an agent
  loses, counted from the store, in the words the confirmation shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.wording import plural
from app.domain import AgentSpec
from app.domain.agent import NAME_MAX_LENGTH
from app.store import DuplicateNameError, Store

#: How many taken names are tried before giving up (a name race with another
#: process is retried too).
MAX_COPY_ATTEMPTS = 1000


@dataclass(frozen=True)
class AgentFootprint:
    """What an agent owns: deleting the agent deletes all of it."""

    agent_id: int
    name: str
    chats: int          # archived ones included
    messages: int
    memories: int


def agent_footprint(store: Store, agent_id: int) -> AgentFootprint:
    """Count what ``agent_id`` owns (NotFoundError if there is no such agent)."""
    spec = store.agents.get(agent_id)
    chats, messages = store.conversations.totals(agent_id)
    memories = len(store.memories.list(agent_id))
    return AgentFootprint(agent_id, spec.name, chats, messages, memories)


def loss_text(footprint: AgentFootprint) -> str:
    """"its 12 chats (340 messages) and 3 memories" — what goes with the agent."""
    parts = [f"{plural(footprint.chats, 'chat')} ({plural(footprint.messages, 'message')})"]
    if footprint.memories:
        parts.append(plural(footprint.memories, "memory"))
    return "its " + " and ".join(parts)


def deletion_question(footprint: AgentFootprint) -> str:
    """The confirmation's text, naming everything that is lost."""
    return (f"Delete agent '{footprint.name}' and {loss_text(footprint)}? "
            "This cannot be undone.")


def copy_name(name: str, taken: set[str]) -> str:
    """The first of "<name> (copy)", "<name> (copy 2)", ... not in ``taken``
    (compared case-insensitively); the base is shortened to fit the name limit."""
    folded = {t.casefold() for t in taken}
    for number in range(1, MAX_COPY_ATTEMPTS + 1):
        suffix = " (copy)" if number == 1 else f" (copy {number})"
        candidate = name[:NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in folded:
            return candidate
    raise ValueError(f"no free name for a copy of {name!r}")


def duplicate_agent(store: Store, agent_id: int, name: str | None = None) -> AgentSpec:
    """Create a copy of ``agent_id`` with the same settings and no chats.

    ``name`` picks the copy's name (DuplicateNameError if taken); by default it
    is the first free "<name> (copy N)".
    """
    source = store.agents.get(agent_id)
    if name is not None:
        return store.agents.create(_fresh(source, name))
    taken = {spec.name for spec in store.agents.list()}
    for _attempt in range(MAX_COPY_ATTEMPTS):
        candidate = copy_name(source.name, taken)
        try:
            return store.agents.create(_fresh(source, candidate))
        except DuplicateNameError:
            taken.add(candidate)      # created elsewhere meanwhile: take the next
    raise ValueError(f"no free name for a copy of {source.name!r}")


def delete_agent(store: Store, agent_id: int) -> AgentFootprint:
    """Delete the agent with its chats, messages and memories; what was lost."""
    footprint = agent_footprint(store, agent_id)
    store.agents.delete(agent_id)
    return footprint


def _fresh(source: AgentSpec, name: str) -> AgentSpec:
    data = source.model_dump(exclude={"id", "revision", "created_at", "updated_at", "name"})
    return AgentSpec(**data, name=name)
