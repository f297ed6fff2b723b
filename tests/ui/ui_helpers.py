"""Helpers shared by the UI tests (imported as a plain module)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from app.domain import AgentSpec
from app.store import Store
from app.ui.agent_list_model import AgentListModel


def seed_agents(db_path: Path, agents: Iterable[AgentSpec]) -> list[AgentSpec]:
    """Create agents with a plain Store before any UI exists."""
    with Store(db_path) as store:
        return [store.agents.create(spec) for spec in agents]


def names(model: AgentListModel) -> list[str]:
    return [model.index(row).data() for row in range(model.rowCount())]
