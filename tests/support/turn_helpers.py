"""Helpers for chat-turn tests: a real database file with providers, an agent and a
conversation, opened as an AsyncStore (pytest-asyncio is not a dependency)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.domain import AgentSpec, ProviderConfig
from app.store import AsyncStore

T = TypeVar("T")


@dataclass
class TurnSetup:
    store: AsyncStore
    agent: AgentSpec
    conversation_id: int
    path: Path


def run_with_setup(tmp_path: Path, agent: AgentSpec, providers: Sequence[ProviderConfig],
                   body: Callable[[TurnSetup], Awaitable[T]]) -> T:
    """Open a fresh database, add ``providers`` and ``agent`` and a conversation,
    run ``body`` on an event loop, close the store."""

    async def main() -> T:
        path = tmp_path / "agentdesk.db"
        store = await AsyncStore.open(path)
        try:
            def seed(s):
                for config in providers:
                    s.providers.create(config)
                created = s.agents.create(agent)
                return created, s.conversations.create(created.id, "test").id

            created, conversation_id = await store.run(seed)
            return await body(TurnSetup(store, created, conversation_id, path))
        finally:
            await store.close()

    return asyncio.run(main())


async def collect(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


def read_rows(path: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows as another connection sees them (proves they were committed)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params).fetchall()]


def messages_of(path: Path, conversation_id: int) -> list[dict[str, Any]]:
    return read_rows(path, "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id",
                     conversation_id)
