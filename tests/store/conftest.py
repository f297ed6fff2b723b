"""Shared fixtures for the store tests: real SQLite files in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain import AgentSpec, Conversation
from app.store import ChangeNotice, Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "agentdesk.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A Store on a fresh database file, closed after the test."""
    opened = Store(db_path)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def notices(store: Store) -> list[ChangeNotice]:
    """Every change notice the store emits during the test, in order."""
    seen: list[ChangeNotice] = []
    store.subscribe(seen.append)
    return seen


@pytest.fixture
def agent(store: Store) -> AgentSpec:
    return store.agents.create(AgentSpec(name="Helper", provider="local", model="m1"))


@pytest.fixture
def conversation(store: Store, agent: AgentSpec) -> Conversation:
    return store.conversations.create(agent.id, "First chat")
