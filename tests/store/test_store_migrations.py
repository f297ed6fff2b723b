"""The migration ladder: upgrading a database written by the first schema."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from app.domain import AgentSpec, Message
from app.store import Store
from app.store.codec import time_to_db
from app.store.database import open_database
from app.store.migrations import LATEST_VERSION, SchemaTooNewError, migrate, schema_version
from app.store.tables import bind_tables

T0 = time_to_db(datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC))
T1 = time_to_db(datetime(2024, 5, 2, 9, 30, 0, tzinfo=UTC))


def write_first_schema_database(path: Path) -> None:
    """A database exactly as the first released AgentDesk left it."""
    db = open_database(path)
    assert migrate(db, target=1) == 1
    sql = db.execute_sql
    sql("""INSERT INTO agents(id, name, system_prompt, provider, model, temperature,
                              max_tokens, streaming, tools, fallbacks, local_only,
                              created_at, updated_at)
           VALUES (1, 'Old Timer', 'You are terse.', 'ollama', 'llama3', 0.3, 777, 0,
                   '["clock","web_fetch"]', '[{"provider":"openai","model":"gpt-4o"}]',
                   1, ?, ?)""", (T0, T1))
    sql("""INSERT INTO agents(id, name, created_at, updated_at)
           VALUES (2, 'Defaults', ?, ?)""", (T0, T0))
    sql("""INSERT INTO providers(id, name, kind, base_url, api_key_ref)
           VALUES (1, 'cloud', 'openai', 'https://api.openai.com/v1', 'env:OPENAI_KEY')""")
    sql("""INSERT INTO conversations(id, agent_id, title, pinned, archived, created_at,
                                     updated_at)
           VALUES (1, 1, 'Legacy chat', 1, 0, ?, ?)""", (T0, T1))
    sql("""INSERT INTO conversations(id, agent_id, title, created_at, updated_at)
           VALUES (2, 2, 'Other chat', ?, ?)""", (T0, T0))
    sql("""INSERT INTO messages(id, conversation_id, role, content, created_at, updated_at)
           VALUES (1, 1, 'user', 'Where is the aardvark archive?', ?, ?)""", (T0, T0))
    sql("""INSERT INTO messages(id, conversation_id, role, content, tool_calls, status,
                                model, provider, usage, created_at, updated_at)
           VALUES (2, 1, 'assistant', 'The aardvark archive is in Zürich.',
                   '[{"call_id":"c1","name":"clock","arguments":{}}]', 'complete',
                   'llama3', 'ollama', '{"prompt_tokens":9,"completion_tokens":7}', ?, ?)
        """, (T1, T1))
    sql("""INSERT INTO messages(id, conversation_id, role, content, status, created_at,
                                updated_at)
           VALUES (3, 2, 'assistant', 'cut off mid sen', 'streaming', ?, ?)""", (T0, T0))
    db.close()


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "old" / "agentdesk.db"
    write_first_schema_database(path)
    return path


def test_first_schema_database_is_at_version_one(old_db: Path) -> None:
    db = open_database(old_db)
    try:
        assert schema_version(db) == 1
        tables = {r[0] for r in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "messages_fts" not in tables and "agent_revisions" not in tables
    finally:
        db.close()


def test_upgrade_reaches_latest_and_keeps_data(old_db: Path) -> None:
    with Store(old_db) as store:
        assert schema_version(store.db) == LATEST_VERSION
        assert store.integrity_ok()

        old = store.agents.get(1)
        assert (old.name, old.system_prompt, old.provider, old.model) == (
            "Old Timer", "You are terse.", "ollama", "llama3")
        assert (old.temperature, old.max_tokens, old.streaming, old.local_only) == (
            0.3, 777, False, True)
        assert old.tools == ["clock", "web_fetch"]
        assert [(f.provider, f.model) for f in old.fallbacks] == [("openai", "gpt-4o")]
        assert old.revision == 1
        assert old.max_turns is None
        assert time_to_db(old.updated_at) == T1

        provider = store.providers.get_by_name("cloud")
        assert provider.api_key_ref == "env:OPENAI_KEY"

        legacy = store.conversations.get(1)
        assert (legacy.title, legacy.pinned, legacy.message_count) == ("Legacy chat",
                                                                       True, 2)
        messages = store.messages.all(1)
        assert [m.content for m in messages] == [
            "Where is the aardvark archive?", "The aardvark archive is in Zürich."]
        assert messages[1].tool_calls[0].name == "clock"
        assert messages[1].usage.completion_tokens == 7
        assert all(m.agent_revision is None and m.meta == {} for m in messages)


def test_upgrade_records_revision_one_matching_each_agent(old_db: Path) -> None:
    with Store(old_db) as store:
        for agent in store.agents.list():
            revisions = store.agents.revisions(agent.id)
            assert [r.revision for r in revisions] == [1]
            assert revisions[0].spec.portable() == agent.portable()
            assert revisions[0].created_at == agent.updated_at


def test_upgraded_agent_can_be_edited_into_revision_two(old_db: Path) -> None:
    with Store(old_db) as store:
        agent = store.agents.get(1)
        edited = store.agents.update(agent.model_copy(update={"temperature": 1.1}))
        assert edited.revision == 2
        assert store.agents.revisions(1)[1].spec.temperature == 0.3
        assert store.agents.restore_revision(1, 1).temperature == 0.3


def test_old_and_new_messages_are_found_by_full_text_search(old_db: Path) -> None:
    with Store(old_db) as store:
        old_hits = store.search.search("aardvark")
        assert {h.message_id for h in old_hits} == {1, 2}
        assert store.search.search("zurich")[0].message_id == 2

        new = store.messages.add(Message(conversation_id=2, role="user",
                                         content="a brand new aardvark"))
        assert {h.message_id for h in store.search.search("aardvark")} == {1, 2, new.id}


def test_full_text_index_has_a_three_character_prefix_index_after_upgrade(
        old_db: Path) -> None:
    """v8 rebuilt the index with ``prefix='3'``: a search's last word is a prefix,
    and a common three-letter one (``the*``) must not merge every matching word's
    postings first. The rebuilt index still finds old messages, and its
    triggers (kept by name) still index edits and deletions."""
    with Store(old_db) as store:
        sql = store.db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'messages_fts'").fetchone()[0]
        assert "prefix='3'" in sql
        assert {h.message_id for h in store.search.search("aar")} == {1, 2}
        store.messages.set_content(2, "The anteater moved out.")
        assert {h.message_id for h in store.search.search("aar")} == {1}
        assert [h.message_id for h in store.search.search("ant")] == [2]
        store.messages.delete(1)
        assert store.search.search("aar") == []
        # raises "database disk image is malformed" if index and messages disagree
        store.db.execute_sql(
            "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")


def test_upgrade_recovers_interrupted_reply_from_old_database(old_db: Path) -> None:
    with Store(old_db) as store:
        assert store.recovered_message_ids == [3]
        assert store.messages.get(3).status == "partial"
        assert store.messages.get(3).content == "cut off mid sen"


def test_new_agents_after_upgrade_do_not_collide(old_db: Path) -> None:
    with Store(old_db) as store:
        created = store.agents.create(AgentSpec(name="Newcomer"))
        assert created.id == 3
        assert [r.revision for r in store.agents.revisions(created.id)] == [1]


def schema_sql(db) -> list[tuple]:
    return db.execute_sql(
        "SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()


def test_migrating_latest_database_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.db"
    with Store(path) as store:
        agent = store.agents.create(AgentSpec(name="a"))
    db = open_database(path)
    try:
        before = schema_sql(db)
        assert migrate(db) == LATEST_VERSION
        assert schema_sql(db) == before
        assert db.execute_sql("SELECT COUNT(*) FROM agent_revisions").fetchone()[0] == 1
    finally:
        db.close()
    with Store(path) as reopened:
        assert reopened.agents.list() == [agent]


def test_migrate_step_by_step_equals_migrate_at_once(tmp_path: Path) -> None:
    stepped = open_database(tmp_path / "stepped.db")
    direct = open_database(tmp_path / "direct.db")
    try:
        for version in range(1, LATEST_VERSION + 1):
            assert migrate(stepped, target=version) == version
        assert migrate(direct) == LATEST_VERSION
        assert schema_sql(stepped) == schema_sql(direct)
    finally:
        stepped.close()
        direct.close()


def test_database_from_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.db"
    with Store(path) as store:
        store.agents.create(AgentSpec(name="future"))
        store.db.execute_sql(f"PRAGMA user_version = {LATEST_VERSION + 1}")

    with pytest.raises(SchemaTooNewError) as info:
        Store(path)
    message = str(info.value)
    assert str(LATEST_VERSION + 1) in message
    assert str(LATEST_VERSION) in message
    assert "update AgentDesk" in message

    db = open_database(path)
    try:  # left untouched
        assert schema_version(db) == LATEST_VERSION + 1
        assert db.execute_sql("SELECT name FROM agents").fetchall() == [("future",)]
    finally:
        db.close()


def columns(db, table: str) -> dict[str, tuple[str, bool, bool]]:
    """name -> (declared type, not null, primary key) as SQLite reports them."""
    info = db.execute_sql(f"PRAGMA table_info({table})").fetchall()
    # rows: cid, name, type, notnull, dflt_value, pk
    return {row[1]: (row[2].upper(), bool(row[3]) or bool(row[5]), bool(row[5]))
            for row in info}


TABLE_KEYS = ("agent", "agent_revision", "provider", "conversation", "message", "memory",
              "custom_tool", "mcp_server", "conversation_import", "usage_rollup", "usage_price",
              "knowledge_settings", "knowledge_source", "knowledge_file", "knowledge_chunk",
              "workflow", "workflow_revision")


def test_peewee_tables_match_migrated_columns_exactly(store: Store) -> None:
    """Let peewee create its idea of each table in a scratch database and compare."""
    scratch = SqliteDatabase(":memory:")
    scratch.connect()
    try:
        peewee_tables = bind_tables(scratch)
        scratch.create_tables([getattr(peewee_tables, key) for key in TABLE_KEYS])
        for key in TABLE_KEYS:
            table = getattr(peewee_tables, key)._meta.table_name
            assert columns(scratch, table) == columns(store.db, table), table
    finally:
        scratch.close()


def test_every_schema_table_has_a_peewee_model(store: Store) -> None:
    migrated = {r[0] for r in store.db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts%' "
        "AND name NOT LIKE 'knowledge_fts%'")}
    tables = bind_tables(store.db)
    assert migrated == {getattr(tables, key)._meta.table_name for key in TABLE_KEYS}


def test_peewee_defaults_match_schema_defaults(store: Store) -> None:
    tables = bind_tables(store.db)
    for key in TABLE_KEYS:
        model = getattr(tables, key)
        info = store.db.execute_sql(
            f"PRAGMA table_info({model._meta.table_name})").fetchall()
        for column, literal in ((row[1], row[4]) for row in info if row[4] is not None):
            field = model._meta.columns[column]
            expected = ast.literal_eval(literal)  # SQL literals here are Python literals
            if isinstance(field.default, bool):
                expected = bool(expected)
            assert field.default == expected, (model._meta.table_name, column)
