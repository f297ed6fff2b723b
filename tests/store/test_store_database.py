"""Connection settings and cascade deletes (agent -> conversations -> messages)."""

from __future__ import annotations

import threading
from pathlib import Path

import peewee
import pytest

from app.domain import AgentSpec
from app.store import ChangeNotice, Store
from app.store.database import BUSY_TIMEOUT_MS
from store_helpers import add_message


def pragma(store: Store, name: str):
    return store.db.execute_sql(f"PRAGMA {name}").fetchone()[0]


def count(store: Store, sql: str, *params) -> int:
    return store.db.execute_sql(sql, params).fetchone()[0]


def fts_hits(store: Store, word: str) -> int:
    return count(store, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH ?", word)


def fts_in_sync(store: Store) -> None:
    """Raises if the FTS index disagrees with the messages table."""
    store.db.execute_sql("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_connection_pragmas(store: Store, db_path: Path) -> None:
    assert pragma(store, "foreign_keys") == 1
    assert pragma(store, "journal_mode") == "wal"
    assert pragma(store, "busy_timeout") == BUSY_TIMEOUT_MS > 0
    assert db_path.with_name(db_path.name + "-wal").exists()
    assert store.integrity_ok()


def test_pragmas_apply_on_connections_opened_by_other_threads(store: Store) -> None:
    # The GUI's worker thread gets its own connection; it must have the same settings.
    seen: dict[str, object] = {}

    def worker() -> None:
        seen["foreign_keys"] = pragma(store, "foreign_keys")
        seen["busy_timeout"] = pragma(store, "busy_timeout")
        store.db.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {"foreign_keys": 1, "busy_timeout": BUSY_TIMEOUT_MS}


def test_in_folder_opens_agentdesk_db(tmp_path: Path) -> None:
    with Store.in_folder(tmp_path / "data") as opened:
        assert opened.path == tmp_path / "data" / "agentdesk.db"
    assert (tmp_path / "data" / "agentdesk.db").is_file()


def test_deleting_agent_cascades_to_everything_it_owns(store: Store,
                                                       notices: list[ChangeNotice]) -> None:
    doomed = store.agents.create(AgentSpec(name="Doomed"))
    store.agents.update(doomed.model_copy(update={"system_prompt": "v2"}))
    survivor = store.agents.create(AgentSpec(name="Survivor"))
    for owner in (doomed, survivor):
        for c in range(3):
            chat = store.conversations.create(owner.id, f"{owner.name} {c}")
            for m in range(4):
                add_message(store, chat.id, f"{owner.name.lower()}word message {m}")
    assert fts_hits(store, "doomedword") == 12
    notices.clear()

    store.agents.delete(doomed.id)

    assert count(store, "SELECT COUNT(*) FROM conversations WHERE agent_id = ?",
                 doomed.id) == 0
    assert count(store, "SELECT COUNT(*) FROM agent_revisions WHERE agent_id = ?",
                 doomed.id) == 0
    assert count(store, "SELECT COUNT(*) FROM messages m LEFT JOIN conversations c "
                        "ON c.id = m.conversation_id WHERE c.id IS NULL") == 0
    assert count(store, "SELECT COUNT(*) FROM messages") == 12
    assert fts_hits(store, "doomedword") == 0
    assert fts_hits(store, "survivorword") == 12
    assert store.search.search("doomedword") == []
    fts_in_sync(store)
    assert len(store.conversations.list(survivor.id)) == 3
    assert [r.revision for r in store.agents.revisions(survivor.id)] == [1]
    assert notices == [ChangeNotice("agent", "delete", (doomed.id,))]


def test_deleting_conversation_removes_its_messages(store: Store) -> None:
    agent = store.agents.create(AgentSpec(name="a"))
    gone = store.conversations.create(agent.id, "gone")
    kept = store.conversations.create(agent.id, "kept")
    for i in range(5):
        add_message(store, gone.id, f"vanishing {i}")
        add_message(store, kept.id, f"lasting {i}")

    store.conversations.delete(gone.id)

    assert count(store, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?",
                 gone.id) == 0
    assert store.messages.count(kept.id) == 5
    assert fts_hits(store, "vanishing") == 0
    assert fts_hits(store, "lasting") == 5
    fts_in_sync(store)


def test_foreign_keys_refuse_orphans_at_sql_level(store: Store) -> None:
    with pytest.raises(peewee.IntegrityError):
        store.db.execute_sql(
            "INSERT INTO conversations(agent_id, title, created_at, updated_at) "
            "VALUES (12345, 't', 'x', 'x')")
