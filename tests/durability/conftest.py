"""Fixtures for the durability tests: a real database file and an event loop.

pytest-asyncio is not a dependency, so each test runs its coroutine with
``run_with_store``, which opens an ``AsyncStore`` on a fresh file with one agent
and one conversation, and closes it afterwards.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.domain import AgentSpec
from app.store import AsyncStore


@dataclass
class Setup:
    store: AsyncStore
    conversation_id: int
    agent_revision: int


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def read_message_row(db_path: Path, message_id: int) -> dict[str, Any] | None:
    """The message as another connection sees it (proves it was committed)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    return dict(row) if row is not None else None


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "agentdesk.db"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def read_row(db_path: Path) -> Callable[[int], dict[str, Any] | None]:
    return lambda message_id: read_message_row(db_path, message_id)


@pytest.fixture
def run_with_store(db_path: Path) -> Callable[[Callable[[Setup], Awaitable[Any]]], Any]:
    def run(body: Callable[[Setup], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            store = await AsyncStore.open(db_path)
            try:
                def seed(s) -> tuple[int, int]:
                    agent = s.agents.create(AgentSpec(name="Recorder", provider="p",
                                                      model="m"))
                    return s.conversations.create(agent.id).id, agent.revision

                conversation_id, revision = await store.run(seed)
                return await body(Setup(store, conversation_id, revision))
            finally:
                await store.close()

        return asyncio.run(main())

    return run
