"""Fixtures for the knowledge tests: a real Store and an agent (tests/store/conftest.py)."""

from __future__ import annotations

from tests.store.conftest import agent, db_path, store

__all__ = ["agent", "db_path", "store"]
