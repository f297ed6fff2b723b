"""Agents: look-ups, create / save, duplicate, what deleting one loses, delete,
revisions (history and restore), and the recently used ones.

- ``duplicate``: a copy with the same settings (prompt, provider, model,
  sampling, tools and their policies, fallbacks, workspace) and nothing else:
  no chats, no memories, a fresh revision history. Named "<name> (copy)",
  "<name> (copy 2)", ... — the first name no agent has (case-insensitively, as
  the store compares names).
- ``footprint`` / ``deletion_question``: exactly what deleting an agent
  loses, counted from the store, in the words the confirmation shows.
- ``api_tool_names`` / ``allowed_over_api``: the tools that ask first and may
  run over the local HTTP API (``AgentSpec.api_tools``; nobody can be asked
  there). The rule, the same for the agent dialog, ``agentdesk agents edit
  --api-tool`` and the API: entries are the names the person sees in the
  agent's tool list — a tool (``python``), a group (``files``, ``web``, a
  custom tool file's name) or ``mcp:SERVER`` — and a tool is allowed when its
  own name, its group's name or its server's ``mcp:SERVER`` is listed (as a
  policy in ``tool_policies`` applies to a tool or its group).

Every op takes the synchronous ``Store`` first and raises the store's typed
errors (``NotFoundError``, ``DuplicateNameError``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from dataclasses import dataclass
from datetime import datetime

from app.core.tools.mcp_tools import SERVER_PREFIX, server_prefix
from app.core.wording import plural
from app.domain import AgentRevision, AgentSpec
from app.domain.agent import NAME_MAX_LENGTH
from app.store import DuplicateNameError, NotFoundError, Store

#: How many taken names are tried before giving up (a name race with another
#: process is retried too).
MAX_COPY_ATTEMPTS = 1000
#: Agents in the tray's "recent" list, and the conversations looked at to rank them.
RECENT_AGENTS = 5
RECENT_SCAN = 200

# How each configurable field is named to a person (also the diff order).
FIELD_LABELS: dict[str, str] = {
    "name": "name",
    "system_prompt": "system prompt",
    "provider": "provider",
    "model": "model",
    "temperature": "temperature",
    "max_tokens": "max tokens",
    "streaming": "streaming",
    "max_turns": "memory",
    "tools": "tools",
    "tool_policies": "tool policies",
    "fallbacks": "fallbacks",
    "local_only": "local only",
    "workspace": "workspace",
    "generation": "generation settings",
    "python_unisolated": "python without isolation",
    "api_tools": "tools allowed over the API",
}


# -- look-ups ----------------------------------------------------------------------------
def get(store: Store, agent_id: int) -> AgentSpec:
    """The agent (NotFoundError if there is none)."""
    return store.agents.get(agent_id)


def list_agents(store: Store) -> list[AgentSpec]:
    return store.agents.list()


def get_many(store: Store, agent_ids: Iterable[int]) -> dict[int, AgentSpec]:
    """The agents with these ids that still exist, by id."""
    found: dict[int, AgentSpec] = {}
    for agent_id in agent_ids:
        try:
            found[agent_id] = store.agents.get(agent_id)
        except NotFoundError:
            continue  # deleted since it was asked for
    return found


def find(store: Store, key: str) -> AgentSpec | None:
    """An agent by name (case-insensitive) or, failing that, by numeric id."""
    spec = store.agents.find_by_name(key)
    if spec is not None:
        return spec
    if key.strip().isdigit():
        try:
            return store.agents.get(int(key))
        except NotFoundError:
            return None
    return None


def name_taken(store: Store, name: str, exclude_id: int | None = None) -> bool:
    """True when another agent (not ``exclude_id``) already has this name
    (case-insensitive)."""
    found = store.agents.find_by_name(name)
    return found is not None and found.id != exclude_id


def recent(store: Store, limit: int = RECENT_AGENTS) -> list[AgentSpec]:
    """Agents by latest chat activity, then the others by name, ``limit`` of them."""
    conversations = store.conversations.list(limit=RECENT_SCAN)
    conversations.sort(key=lambda c: c.updated_at, reverse=True)
    agents = {a.id: a for a in store.agents.list()}
    ordered: list[AgentSpec] = []
    for conversation in conversations:
        agent = agents.pop(conversation.agent_id, None)
        if agent is not None:
            ordered.append(agent)
    ordered += sorted(agents.values(), key=lambda a: a.name.casefold())
    return ordered[:limit]


# -- saving ------------------------------------------------------------------------------
def create(store: Store, spec: AgentSpec) -> AgentSpec:
    """Store a new agent (DuplicateNameError when the name is taken)."""
    return store.agents.create(spec)


def update(store: Store, spec: AgentSpec) -> AgentSpec:
    """Store an edited agent: a new revision when anything changed."""
    return store.agents.update(spec)


def change_settings(store: Store, agent_id: int, fields: dict[str, Any]) -> AgentSpec:
    """Apply ``fields`` (e.g. ``{"max_tokens": 64}``) to the agent as stored now:
    a new revision holding every earlier change plus these. Saving a whole copy
    held by a widget instead lost an earlier change that copy had not seen yet."""
    current = store.agents.get(agent_id)
    changed = AgentSpec.model_validate({**current.model_dump(), **fields})
    return store.agents.update(changed)


def save(store: Store, spec: AgentSpec) -> AgentSpec:
    """Create (no id) or update (a new revision) the agent."""
    return create(store, spec) if spec.id is None else update(store, spec)


# -- tools allowed over the local API ---------------------------------------------------
def api_tool_names(names: Iterable[str]) -> list[str]:
    """``names`` as stored in ``api_tools``: stripped, no blanks, no repeats, in order."""
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def allowed_over_api(api_tools: Iterable[str], tool: str, group: str | None = None) -> bool:
    """Whether ``tool`` (the name a tool call uses; ``group``: the group it
    belongs to, if any) may run over the API without asking anyone."""
    allowed = api_tool_names(api_tools)
    if tool in allowed or (group is not None and group in allowed):
        return True
    return any(tool.startswith(server_prefix(name[len(SERVER_PREFIX):]))
               for name in allowed if name.startswith(SERVER_PREFIX))


# -- duplicate -----------------------------------------------------------------------------
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


def duplicate(store: Store, agent_id: int, name: str | None = None) -> AgentSpec:
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


def _fresh(source: AgentSpec, name: str) -> AgentSpec:
    data = source.model_dump(exclude={"id", "revision", "created_at", "updated_at", "name"})
    return AgentSpec(**data, name=name)


# -- delete ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgentFootprint:
    """What an agent owns: deleting the agent deletes all of it."""

    agent_id: int
    name: str
    chats: int          # archived ones included
    messages: int
    memories: int


def footprint(store: Store, agent_id: int) -> AgentFootprint:
    """Count what ``agent_id`` owns (NotFoundError if there is no such agent)."""
    spec = store.agents.get(agent_id)
    chats, messages = store.conversations.totals(agent_id)
    memories = len(store.memories.list(agent_id))
    return AgentFootprint(agent_id, spec.name, chats, messages, memories)


def loss_text(found: AgentFootprint) -> str:
    """"its 12 chats (340 messages) and 3 memories" — what goes with the agent."""
    parts = [f"{plural(found.chats, 'chat')} ({plural(found.messages, 'message')})"]
    if found.memories:
        parts.append(plural(found.memories, "memory"))
    return "its " + " and ".join(parts)


def deletion_question(found: AgentFootprint) -> str:
    """The confirmation's text, naming everything that is lost."""
    return (f"Delete agent '{found.name}' and {loss_text(found)}? "
            "This cannot be undone.")


def delete(store: Store, agent_id: int) -> AgentFootprint:
    """Delete the agent with its chats, messages and memories; what was lost."""
    found = footprint(store, agent_id)
    store.agents.delete(agent_id)
    return found


# -- revisions ---------------------------------------------------------------------------------
def changed_fields(old: AgentSpec, new: AgentSpec) -> list[str]:
    """The labels of the configurable fields that differ between two specs."""
    before = old.model_dump(mode="json", include=set(FIELD_LABELS))
    after = new.model_dump(mode="json", include=set(FIELD_LABELS))
    return [label for field, label in FIELD_LABELS.items() if before[field] != after[field]]


@dataclass(frozen=True)
class RevisionEntry:
    """One line of an agent's history, as the editor lists it."""

    revision: int
    created_at: datetime
    summary: str          # "created" or "changed: model, temperature"
    current: bool
    spec: AgentSpec


def describe_revisions(revisions: list[AgentRevision]) -> list[RevisionEntry]:
    """Revisions (newest first, as the store returns them) with what each changed
    compared with the one before it."""
    entries: list[RevisionEntry] = []
    for index, item in enumerate(revisions):
        older = revisions[index + 1] if index + 1 < len(revisions) else None
        if older is None:
            summary = "created"
        else:
            fields = changed_fields(older.spec, item.spec)
            summary = "changed: " + ", ".join(fields) if fields else "no change"
        entries.append(RevisionEntry(item.revision, item.created_at, summary,
                                     current=index == 0, spec=item.spec))
    return entries


def history(store: Store, agent_id: int) -> list[RevisionEntry]:
    """The agent's revisions, newest first, each with what it changed."""
    return describe_revisions(store.agents.revisions(agent_id))


def restore(store: Store, agent_id: int, revision: int) -> AgentSpec:
    """Make an earlier revision's settings current (as a new revision)."""
    return store.agents.restore_revision(agent_id, revision)
