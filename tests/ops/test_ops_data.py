"""app/ops/data.py without Qt: backup, inspection, restore at next start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.domain import AgentSpec
from app.ops import data
from app.ops.data import BackupError
from app.store import DATABASE_FILENAME, Store


def test_backup_copies_a_consistent_database_and_inspects_it(store, agent, tmp_path) -> None:
    store.conversations.create(agent.id, "kept")
    target = data.backup_to(store, tmp_path / "backups" / "b.db")
    info = data.inspect_backup(target)
    assert (info.agents, info.conversations, info.messages) == (1, 1, 0)
    # one self-contained file: no temporary left, no journal beside it
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.db"]


def test_a_failed_backup_keeps_the_old_file(store, agent, tmp_path, monkeypatch) -> None:
    target = tmp_path / "b.db"
    target.write_bytes(b"older backup")

    class Broken:
        def backup(self, _target) -> None:
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store.db, "connection", lambda: Broken())
    with pytest.raises(BackupError, match="disk I/O error"):
        data.backup_to(store, target)
    assert target.read_bytes() == b"older backup"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in {
        "agentdesk.db-wal", "agentdesk.db-shm", "agentdesk.db-writers"}) == \
        ["agentdesk.db", "b.db"]


@pytest.mark.parametrize("content, problem", [
    (None, "does not exist"),
    (b"not a database at all, just some text" * 200, "not a database"),
])
def test_inspect_refuses_what_is_not_a_backup(tmp_path, content, problem) -> None:
    path = tmp_path / "x.db"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BackupError, match=problem):
        data.inspect_backup(path)


def test_inspect_refuses_a_foreign_database(tmp_path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x)")
    connection.execute("PRAGMA user_version = 3")
    connection.commit()
    connection.close()
    with pytest.raises(BackupError, match="not an AgentDesk one"):
        data.inspect_backup(path)


def test_restore_is_staged_then_applied_at_next_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with Store(home / DATABASE_FILENAME) as live:
        live.agents.create(AgentSpec(name="Now"))
        backup_source = Store(tmp_path / "source.db")
        backup_source.agents.create(AgentSpec(name="Then"))
        backup_source.close()
        info = data.request_restore(home, tmp_path / "source.db")
        assert info.agents == 1
        assert data.pending_restore(home) == tmp_path / "source.db"
        assert not list(home.glob("*.partial"))
    kept = data.apply_pending_restore(home)
    assert kept is not None and kept.name.startswith("agentdesk.db.before-restore-")
    assert data.pending_restore(home) is None
    with Store(home / DATABASE_FILENAME) as restored:
        assert [a.name for a in restored.agents.list()] == ["Then"]
    with Store(kept) as previous:
        assert [a.name for a in previous.agents.list()] == ["Now"]


def test_a_cancelled_restore_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store(tmp_path / "source.db") as source:
        source.agents.create(AgentSpec(name="Then"))
    data.request_restore(home, tmp_path / "source.db")
    data.cancel_restore(home)
    assert data.pending_restore(home) is None
    assert data.apply_pending_restore(home) is None
