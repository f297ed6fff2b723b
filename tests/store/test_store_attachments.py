"""Schema v15: messages keep their attachments; older databases migrate to
messages without any; a damaged attachments column is salvaged."""

from __future__ import annotations

from pathlib import Path

from peewee import SqliteDatabase

from app.domain import AgentSpec, Message
from app.domain.attachments import Attachment
from app.store import Store
from app.store.migrations import LATEST_VERSION, migrate

PICTURE = Attachment(kind="image", name="p.png", mime="image/png", data=b"\x89PNG\x00\xff",
                     width=2, height=1, size=6, note="scaled down")
NOTES = Attachment(kind="document", name="n.pdf", mime="pdf", text="[page 1]\nhello")


def _conversation(store: Store) -> int:
    agent = store.agents.create(AgentSpec(name="A"))
    return store.conversations.create(agent.id).id


def test_attachments_are_stored_and_read_back_exactly(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        cid = _conversation(store)
        added = store.messages.add(Message(conversation_id=cid, role="user", content="hi",
                                           attachments=[PICTURE, NOTES]))
        assert store.messages.get(added.id).attachments == [PICTURE, NOTES]
        assert store.messages.page(cid)[0].attachments == [PICTURE, NOTES]


def test_an_older_database_migrates_to_messages_without_attachments(tmp_path: Path) -> None:
    db = SqliteDatabase(str(tmp_path / "old.db"))
    migrate(db, target=LATEST_VERSION - 1)
    db.execute_sql("INSERT INTO agents (name, created_at, updated_at) VALUES ('A', "
                   "'2026-01-01T00:00:00', '2026-01-01T00:00:00')")
    db.execute_sql("INSERT INTO conversations (agent_id, created_at, updated_at) VALUES "
                   "(1, '2026-01-01T00:00:00', '2026-01-01T00:00:00')")
    db.execute_sql("INSERT INTO messages (conversation_id, role, content, created_at, "
                   "updated_at) VALUES (1, 'user', 'old', '2026-01-01T00:00:00', "
                   "'2026-01-01T00:00:00')")
    db.close()
    with Store(tmp_path / "old.db") as store:
        (message,) = store.messages.page(1)
        assert message.content == "old" and message.attachments == []


def test_a_damaged_attachments_column_keeps_the_message(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store:
        cid = _conversation(store)
        added = store.messages.add(Message(conversation_id=cid, role="user", content="kept",
                                           attachments=[PICTURE]))
        store.db.execute_sql("UPDATE messages SET attachments = '[{\"kind\": 7}]' "
                             "WHERE id = ?", (added.id,))
        message = store.messages.get(added.id)
        assert message.content == "kept" and message.attachments == []
        assert "attachments" in (message.damaged or "")
