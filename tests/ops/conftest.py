"""Fixtures for the operations tests: a real Store on a tmp SQLite file, no Qt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain import AgentSpec
from app.store import ChangeNotice, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A Store on a fresh database file, closed after the test."""
    opened = Store(tmp_path / "agentdesk.db")
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

