"""Agent editing for the dialogs: saving, unique names, revision history.

Each call schedules an op of app/ops/agents.py (where the revision history is
described) on the store's worker thread through the StoreBridge.
"""

from __future__ import annotations

from functools import partial

from app.domain import AgentSpec
from app.ops import agents
from app.ops.agents import RevisionEntry
from app.services.store_bridge import StoreBridge


class AgentService:
    def __init__(self, bridge: StoreBridge) -> None:
        self._bridge = bridge

    async def name_taken(self, name: str, exclude_id: int | None = None) -> bool:
        """True when another agent already has this name (case-insensitive)."""
        return await self._bridge.run(partial(agents.name_taken, name=name,
                                              exclude_id=exclude_id))

    async def save(self, spec: AgentSpec) -> AgentSpec:
        """Create (no id) or update (a new revision) the agent."""
        return await self._bridge.run(partial(agents.save, spec=spec))

    async def history(self, agent_id: int) -> list[RevisionEntry]:
        return await self._bridge.run(partial(agents.history, agent_id=agent_id))

    async def restore(self, agent_id: int, revision: int) -> AgentSpec:
        return await self._bridge.run(partial(agents.restore, agent_id=agent_id,
                                              revision=revision))
