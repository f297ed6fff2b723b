"""Agent editing for the dialogs: saving, unique names, revision history.

Every store call runs on the store's worker thread through the StoreBridge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain import AgentRevision, AgentSpec
from app.services.store_bridge import StoreBridge

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
}


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


def history(revisions: list[AgentRevision]) -> list[RevisionEntry]:
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


class AgentService:
    def __init__(self, bridge: StoreBridge) -> None:
        self._bridge = bridge

    async def name_taken(self, name: str, exclude_id: int | None = None) -> bool:
        """True when another agent already has this name (case-insensitive)."""
        found = await self._bridge.run(lambda store: store.agents.find_by_name(name))
        return found is not None and found.id != exclude_id

    async def save(self, spec: AgentSpec) -> AgentSpec:
        """Create (no id) or update (a new revision) the agent."""
        if spec.id is None:
            return await self._bridge.create_agent(spec)
        return await self._bridge.update_agent(spec)

    async def history(self, agent_id: int) -> list[RevisionEntry]:
        revisions = await self._bridge.run(lambda store: store.agents.revisions(agent_id))
        return history(revisions)

    async def restore(self, agent_id: int, revision: int) -> AgentSpec:
        return await self._bridge.run(
            lambda store: store.agents.restore_revision(agent_id, revision))
