"""Upgrades lose nothing: a database written by each earlier schema version
(tests/reliability/fixtures/schema-v<N>.db, made by that version's own code:
make_schema_fixtures.py) opens in this version with all its data; a copy is
taken before any migration (the newest three kept); a migration that fails
puts the copy back and says so; no copy, no migration."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from schema_fixture_data import AGENTS, CONVERSATIONS, PROVIDERS

from app.store import Store
from app.store import migrations
from app.store.errors import DataAccessError
from app.store.migrations import LATEST_VERSION
from app.store.upgrade_backup import KEEP, UpgradeFailedError, upgrade_backups
from tests.support.reliability_summary import record

FIXTURES = Path(__file__).parent / "fixtures"
VERSIONS = sorted(int(p.stem.split("-v")[1]) for p in FIXTURES.glob("schema-v*.db"))


def user_version(path: Path) -> int:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def message_rows(path: Path) -> list[tuple]:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return db.execute("SELECT id, role, content, status FROM messages ORDER BY id").fetchall()
    finally:
        db.close()


def home_with(version: int, tmp_path: Path) -> Path:
    home = tmp_path / f"home-v{version}"
    home.mkdir()
    shutil.copyfile(FIXTURES / f"schema-v{version}.db", home / "agentdesk.db")
    return home


def test_there_is_a_fixture_for_every_earlier_schema_version() -> None:
    """A new migration needs the fixture of the version before it
    (make_schema_fixtures.py --versions N)."""
    assert set(range(1, LATEST_VERSION)) <= set(VERSIONS)


@pytest.mark.parametrize("version", VERSIONS)
def test_each_earlier_version_opens_with_nothing_lost(tmp_path: Path, version: int) -> None:
    home = home_with(version, tmp_path)
    before = message_rows(home / "agentdesk.db")
    with Store.in_folder(home) as store:
        assert store.integrity_ok()
        providers = {p.name: p for p in store.providers.list()}
        assert set(providers) == {p["name"] for p in PROVIDERS}
        assert providers["OpenAI"].api_key_ref == "keyring:agentdesk/OpenAI"
        assert not providers["OpenAI"].is_local and providers["Local Ollama"].is_local
        agents = {a.name: a for a in store.agents.list()}
        assert set(agents) == {a["name"] for a in AGENTS}
        for expected in AGENTS:
            agent = agents[expected["name"]]
            for field in ("system_prompt", "provider", "model", "temperature",
                          "max_tokens", "streaming", "tools", "local_only"):
                assert getattr(agent, field) == expected[field], (version, field)
        for agent_name, title, pinned, archived, messages in CONVERSATIONS:
            chats = [c for c in store.conversations.list(agents[agent_name].id,
                                                         include_archived=True)
                     if c.title == title]
            assert len(chats) == 1, (version, title)
            chat = chats[0]
            assert (chat.pinned, chat.archived) == (pinned, archived)
            stored = store.messages.all(chat.id)
            assert [(m.role, m.content, m.status) for m in stored] == [
                (m["role"], m["content"], m.get("status", "complete")) for m in messages]
            for message, expected in zip(stored, messages, strict=True):
                calls = [(c.call_id, c.name, c.arguments) for c in message.tool_calls]
                assert calls == [(c["call_id"], c["name"], c["arguments"])
                                 for c in expected.get("tool_calls", [])]
                assert message.tool_call_id == expected.get("tool_call_id")
                assert message.error == expected.get("error")
                if "usage" in expected:
                    assert message.usage is not None
                    assert message.usage.completion_tokens == \
                        expected["usage"]["completion_tokens"]
        assert [hit.message_id for hit in store.search.search("Morgen")]   # FTS rebuilt
    if version < LATEST_VERSION:                # a copy as it was, before the upgrade
        copies = upgrade_backups(home / "agentdesk.db")
        assert len(copies) == 1 and copies[0].name.startswith(f"agentdesk-v{version}-")
        assert user_version(copies[0]) == version
        assert message_rows(copies[0]) == before
    with Store.in_folder(home):                 # already upgraded: no new copy
        pass
    assert len(upgrade_backups(home / "agentdesk.db")) == (version < LATEST_VERSION)
    record("upgrades", schema_versions=1, messages_checked=len(before), losses=0)


def test_the_newest_three_copies_are_kept(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    made: list[Path] = []
    for _ in range(KEEP + 2):
        shutil.copyfile(FIXTURES / f"schema-v{LATEST_VERSION - 1}.db", home / "agentdesk.db")
        with Store.in_folder(home):
            pass
        made = upgrade_backups(home / "agentdesk.db")
    assert len(made) == KEEP
    names = sorted(p.name for p in made)
    assert names == [p.name for p in made]      # oldest first, by the time in the name


def test_a_failed_migration_puts_the_copy_back_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version = LATEST_VERSION - 2
    home = home_with(version, tmp_path)
    before = message_rows(home / "agentdesk.db")
    real_last = migrations.STEPS[-1]

    def breaks_half_way(db) -> None:  # noqa: ANN001
        real_last(db)
        raise sqlite3.OperationalError("simulated failure in the last step")

    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS[:-1], breaks_half_way))
    with pytest.raises(UpgradeFailedError) as failed:
        Store.in_folder(home)
    message = str(failed.value)
    assert f"from schema version {version} to {LATEST_VERSION} failed" in message
    assert "simulated failure" in message and "put back as it was" in message
    copy = upgrade_backups(home / "agentdesk.db")[0]
    assert str(copy) in message
    # Exactly what it was: the older version, every message, nothing half-done.
    assert user_version(home / "agentdesk.db") == version
    assert message_rows(home / "agentdesk.db") == before
    assert not Path(f"{home / 'agentdesk.db'}-wal").exists()
    monkeypatch.undo()                          # the fixed release opens it
    with Store.in_folder(home) as store:
        assert store.integrity_ok() and len(store.agents.list()) == len(AGENTS)
    record("upgrades", failed_migrations_restored=1, losses=0)


def test_no_copy_no_upgrade(tmp_path: Path) -> None:
    version = LATEST_VERSION - 1
    home = home_with(version, tmp_path)
    (home / "backups").write_text("a file where the backups folder should be")
    with pytest.raises(DataAccessError) as refused:
        Store.in_folder(home)
    assert "copies it first, but the copy failed" in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert user_version(home / "agentdesk.db") == version


def test_a_new_database_needs_no_copy(tmp_path: Path) -> None:
    with Store.in_folder(tmp_path):
        pass
    assert upgrade_backups(tmp_path / "agentdesk.db") == []
