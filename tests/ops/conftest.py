"""Fixtures for the operations tests: a real Store on a tmp SQLite file, no Qt.

The same fixtures as the store tests (one definition, in tests/store/conftest.py)."""

from __future__ import annotations

from tests.store.conftest import agent, db_path, notices, store

__all__ = ["agent", "db_path", "notices", "store"]
