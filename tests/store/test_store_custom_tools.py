"""CustomToolRepository: discovered files, approval by hash, re-approval after a change."""

from __future__ import annotations

import pytest

from app.store import NotFoundError, Store

HASH_A = "a" * 64
HASH_B = "b" * 64


def test_a_discovered_tool_starts_disabled(store: Store):
    record = store.custom_tools.upsert_discovered("weather", "/home/u/tools/weather.py", HASH_A)
    assert (record.name, record.path, record.sha256) == (
        "weather", "/home/u/tools/weather.py", HASH_A)
    assert record.enabled is False and record.approved_sha256 is None
    assert not record.runnable
    assert store.custom_tools.find("weather") == record
    assert store.custom_tools.find("nothing") is None


def test_enabling_approves_the_current_hash(store: Store):
    store.custom_tools.upsert_discovered("weather", "/t/weather.py", HASH_A)
    record = store.custom_tools.set_enabled("weather", True)
    assert record.enabled and record.approved_sha256 == HASH_A and record.runnable


def test_a_changed_file_keeps_the_old_approval_and_is_not_runnable(store: Store):
    store.custom_tools.upsert_discovered("weather", "/t/weather.py", HASH_A)
    store.custom_tools.set_enabled("weather", True)
    changed = store.custom_tools.upsert_discovered("weather", "/t/weather.py", HASH_B)
    assert changed.enabled and changed.approved_sha256 == HASH_A
    assert changed.sha256 == HASH_B and not changed.runnable
    again = store.custom_tools.set_enabled("weather", True)
    assert again.approved_sha256 == HASH_B and again.runnable


def test_disabling_forgets_the_approval(store: Store):
    store.custom_tools.upsert_discovered("weather", "/t/weather.py", HASH_A)
    store.custom_tools.set_enabled("weather", True)
    record = store.custom_tools.set_enabled("weather", False)
    assert not record.enabled and record.approved_sha256 is None
    # Re-discovering the very same file does not enable it again.
    assert not store.custom_tools.upsert_discovered("weather", "/t/weather.py",
                                                    HASH_A).runnable


def test_records_are_listed_by_name_and_survive_reopening(store: Store, db_path):
    for name in ("zeta", "alpha", "mid"):
        store.custom_tools.upsert_discovered(name, f"/t/{name}.py", HASH_A)
    store.custom_tools.set_enabled("mid", True)
    store.close()
    reopened = Store(db_path)
    try:
        records = reopened.custom_tools.list()
        assert [r.name for r in records] == ["alpha", "mid", "zeta"]
        assert [r.runnable for r in records] == [False, True, False]
    finally:
        reopened.close()


def test_unknown_tool_and_removal(store: Store):
    with pytest.raises(NotFoundError):
        store.custom_tools.set_enabled("ghost", True)
    store.custom_tools.upsert_discovered("weather", "/t/weather.py", HASH_A)
    store.custom_tools.remove("weather")
    assert store.custom_tools.list() == []


def test_changes_are_announced(store: Store, notices):
    first = store.custom_tools.upsert_discovered("weather", "/t/weather.py", HASH_A)
    store.custom_tools.upsert_discovered("weather", "/t/weather.py", HASH_A)  # no change
    store.custom_tools.set_enabled("weather", True)
    store.custom_tools.upsert_discovered("weather", "/t/weather.py", HASH_B)  # file changed
    assert [(n.entity, n.op, n.ids) for n in notices] == [
        ("custom_tool", "insert", (first.id,)), ("custom_tool", "update", (first.id,)),
        ("custom_tool", "update", (first.id,))]
