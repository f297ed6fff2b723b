"""Schema migration ladder.

Each step is frozen SQL: once released it never changes, so a database written
by any earlier version upgrades through the same statements a user's did. The
schema version lives in ``PRAGMA user_version``. Add a step at the end; never
edit one.
"""

from collections.abc import Callable, Sequence

from peewee import SqliteDatabase

from app.store import usage_rollup_sql

Step = Callable[[SqliteDatabase], None]


def _v1_initial(db: SqliteDatabase) -> None:
    """The first released schema: agents, providers, conversations, messages."""
    db.execute_sql(
        """
        CREATE TABLE agents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            system_prompt TEXT NOT NULL DEFAULT '',
            provider TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            temperature REAL NOT NULL DEFAULT 0.7,
            max_tokens INTEGER NOT NULL DEFAULT 2048,
            streaming INTEGER NOT NULL DEFAULT 1,
            tools TEXT NOT NULL DEFAULT '[]',
            fallbacks TEXT NOT NULL DEFAULT '[]',
            local_only INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute_sql(
        """
        CREATE TABLE providers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            kind TEXT NOT NULL,
            base_url TEXT NOT NULL DEFAULT '',
            api_key_ref TEXT,
            model_path TEXT,
            enabled INTEGER NOT NULL DEFAULT 1,
            is_local INTEGER NOT NULL DEFAULT 1
        )"""
    )
    db.execute_sql(
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
            title TEXT NOT NULL DEFAULT 'New chat',
            pinned INTEGER NOT NULL DEFAULT 0,
            archived INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute_sql(
        """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL DEFAULT '',
            tool_calls TEXT NOT NULL DEFAULT '[]',
            tool_call_id TEXT,
            status TEXT NOT NULL DEFAULT 'complete',
            model TEXT,
            provider TEXT,
            usage TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute_sql("CREATE INDEX conversations_agent ON conversations(agent_id)")
    db.execute_sql("CREATE INDEX messages_conversation ON messages(conversation_id, id)")


def _v2_full_text_index(db: SqliteDatabase) -> None:
    """FTS5 index over message content, kept in sync by triggers."""
    db.execute_sql(
        """
        CREATE VIRTUAL TABLE messages_fts USING fts5(
            content,
            content='messages',
            content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        )"""
    )
    db.execute_sql(
        """
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END"""
    )
    db.execute_sql(
        """
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
        END"""
    )
    db.execute_sql(
        """
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END"""
    )
    db.execute_sql("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")


def _v3_revisions_and_provenance(db: SqliteDatabase) -> None:
    """Agent revisions, per-agent memory length, and what produced each message."""
    db.execute_sql("ALTER TABLE agents ADD COLUMN revision INTEGER NOT NULL DEFAULT 1")
    db.execute_sql("ALTER TABLE agents ADD COLUMN max_turns INTEGER")
    db.execute_sql(
        """
        CREATE TABLE agent_revisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL,
            spec TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE(agent_id, revision)
        )"""
    )
    # Every existing agent gets its current state recorded as revision 1.
    db.execute_sql(
        """
        INSERT INTO agent_revisions(agent_id, revision, spec, created_at)
        SELECT id, 1, json_object(
                'name', name, 'system_prompt', system_prompt,
                'provider', provider, 'model', model,
                'temperature', temperature, 'max_tokens', max_tokens,
                'streaming', json(CASE streaming WHEN 0 THEN 'false' ELSE 'true' END),
                'tools', json(tools), 'fallbacks', json(fallbacks),
                'local_only', json(CASE local_only WHEN 0 THEN 'false' ELSE 'true' END),
                'max_turns', NULL),
            updated_at
        FROM agents"""
    )
    db.execute_sql("ALTER TABLE messages ADD COLUMN agent_revision INTEGER")
    db.execute_sql("ALTER TABLE messages ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'")
    db.execute_sql("CREATE INDEX conversations_recent ON conversations(updated_at DESC)")
    db.execute_sql(
        "CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming'"
    )


def _v4_conversation_list_indexes(db: SqliteDatabase) -> None:
    """Indexes in the order the conversation list sorts (pinned first, newest
    activity), so listing reads 50 index entries instead of sorting them all."""
    db.execute_sql(
        "CREATE INDEX conversations_list ON conversations"
        "(archived, pinned DESC, updated_at DESC, id DESC)"
    )
    db.execute_sql(
        "CREATE INDEX conversations_agent_list ON conversations"
        "(agent_id, archived, pinned DESC, updated_at DESC, id DESC)"
    )


def _v5_tools(db: SqliteDatabase) -> None:
    """Tool policies and workspace per agent; long-term memory; custom tools
    and MCP servers with what the user approved."""
    db.execute_sql("ALTER TABLE agents ADD COLUMN tool_policies TEXT NOT NULL DEFAULT '{}'")
    db.execute_sql("ALTER TABLE agents ADD COLUMN workspace TEXT")
    db.execute_sql(
        """
        CREATE TABLE memories (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
            content TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute_sql("CREATE INDEX memories_agent ON memories(agent_id, id)")
    db.execute_sql(
        """
        CREATE TABLE custom_tools (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 0,
            approved_sha256 TEXT
        )"""
    )
    db.execute_sql(
        """
        CREATE TABLE mcp_servers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            transport TEXT NOT NULL,
            command TEXT,
            args TEXT NOT NULL DEFAULT '[]',
            url TEXT,
            env TEXT NOT NULL DEFAULT '{}',
            enabled INTEGER NOT NULL DEFAULT 0,
            approved_fingerprint TEXT
        )"""
    )


def _v6_conversation_imports(db: SqliteDatabase) -> None:
    """Where imported conversations came from: a content fingerprint per
    imported conversation, so importing the same file twice is detected."""
    db.execute_sql(
        """
        CREATE TABLE conversation_imports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            imported_at TEXT NOT NULL
        )"""
    )
    db.execute_sql(
        "CREATE INDEX conversation_imports_fingerprint ON conversation_imports(fingerprint)"
    )
    db.execute_sql(
        "CREATE INDEX conversation_imports_conversation "
        "ON conversation_imports(conversation_id)"
    )


def _v7_generation_and_versions(db: SqliteDatabase) -> None:
    """Per-agent generation settings beyond temperature and max tokens (a JSON
    object: top_p, repeat_penalty, context_length, seed, stop); messages as a
    tree, so a regenerated reply or an edited user message keeps the earlier
    branch as another version of the same turn (``parent_id``), and each
    conversation remembers which branch is shown (``active_leaf_id``).
    Existing messages become one linear branch: each one's parent is the
    message before it in its conversation."""
    db.execute_sql("ALTER TABLE agents ADD COLUMN generation TEXT NOT NULL DEFAULT '{}'")
    db.execute_sql("ALTER TABLE messages ADD COLUMN parent_id INTEGER")
    db.execute_sql("ALTER TABLE conversations ADD COLUMN active_leaf_id INTEGER")
    db.execute_sql(
        """
        UPDATE messages SET parent_id = (
            SELECT max(m2.id) FROM messages AS m2
            WHERE m2.conversation_id = messages.conversation_id AND m2.id < messages.id)"""
    )
    db.execute_sql(
        """
        UPDATE conversations SET active_leaf_id = (
            SELECT max(m.id) FROM messages AS m WHERE m.conversation_id = conversations.id)"""
    )
    db.execute_sql("CREATE INDEX messages_parent ON messages(parent_id)")


def _v8_prefix_index(db: SqliteDatabase) -> None:
    """A prefix index for three-character prefixes in the full-text index: the
    last word of a search is a prefix, and ``the*`` otherwise makes FTS5 merge
    the doclists of every word starting with "the" before the first row
    (~75 ms over a million messages; ~1 ms with this index). The table is
    rebuilt from the messages; its triggers refer to it by name and stay."""
    db.execute_sql("DROP TABLE messages_fts")
    db.execute_sql(
        """
        CREATE VIRTUAL TABLE messages_fts USING fts5(
            content,
            content='messages',
            content_rowid='id',
            tokenize='unicode61 remove_diacritics 2',
            prefix='3'
        )"""
    )
    db.execute_sql("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")


#: Every stored time column (table, column), for ``_v9_pad_short_years``.
TIME_COLUMNS = (
    ("agents", "created_at"), ("agents", "updated_at"),
    ("agent_revisions", "created_at"),
    ("conversations", "created_at"), ("conversations", "updated_at"),
    ("messages", "created_at"), ("messages", "updated_at"),
    ("memories", "created_at"), ("memories", "updated_at"),
    ("conversation_imports", "imported_at"),
)


def _v9_pad_short_years(db: SqliteDatabase) -> None:
    """Zero-pad the years below 1000 that the old codec wrote unpadded
    (``strftime("%Y")``: ``'999-01-01T…'``). The codec reads both, but only the
    padded text sorts as time (``'999-…'`` sorted after ``'2024-…'``, so a
    chat imported with such a date stayed at the top of every list). No
    schema change; one scan of each time column."""
    for table, column in TIME_COLUMNS:
        short = " OR ".join(f"{column} GLOB '{digits}-[0-9][0-9]-*'"
                            for digits in ("[0-9]", "[0-9][0-9]", "[0-9][0-9][0-9]"))
        db.execute_sql(
            f"UPDATE {table} SET {column} = substr('0000', 1, 5 - instr({column}, '-'))"
            f" || {column} WHERE {short}")


def _v10_python_isolation(db: SqliteDatabase) -> None:
    """``agents.python_unisolated``: the person let this agent's python tool
    run where real isolation is unavailable (off for every existing agent)."""
    db.execute_sql("ALTER TABLE agents ADD COLUMN python_unisolated INTEGER NOT NULL "
                   "DEFAULT 0")


def _v11_local_api(db: SqliteDatabase) -> None:
    """The local HTTP API (app/api/): ``agents.api_tools``, the tools that ask
    first which the person allowed for API use (none for every existing
    agent); ``conversations.origin``, where a conversation was started
    ('app', or 'api' for one started over the HTTP API: the window marks it)."""
    db.execute_sql("ALTER TABLE agents ADD COLUMN api_tools TEXT NOT NULL DEFAULT '[]'")
    db.execute_sql("ALTER TABLE conversations ADD COLUMN origin TEXT NOT NULL DEFAULT 'app'")


def _v12_usage_rollup(db: SqliteDatabase) -> None:
    """The usage dashboard's rollup (one row per UTC day, agent, provider and
    model), kept by triggers on every message write and filled here from the
    stored messages; and the user's price table. SQL and reasons:
    app/store/usage_rollup_sql.py (frozen with this step)."""
    db.execute_sql(usage_rollup_sql.CREATE_TABLE)
    db.execute_sql(usage_rollup_sql.CREATE_AGENT_INDEX)
    db.execute_sql(usage_rollup_sql.CREATE_PRICES)
    db.execute_sql(usage_rollup_sql.BACKFILL)
    for trigger in usage_rollup_sql.TRIGGERS:
        db.execute_sql(trigger)


def _v13_knowledge(db: SqliteDatabase) -> None:
    """Knowledge folders (app/core/knowledge): per agent, the retrieval settings,
    the files and folders added, every indexed file (with the modification time,
    size and SHA-256 that tell a change), and its chunks (text, where in the
    file, the embedding as float32 bytes) with an FTS5 index over their text."""
    db.execute_sql(
        """
        CREATE TABLE knowledge_settings (
            agent_id INTEGER PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
            retrieval TEXT NOT NULL DEFAULT 'off',
            embed_provider TEXT NOT NULL DEFAULT '',
            embed_model TEXT NOT NULL DEFAULT '',
            top_k INTEGER NOT NULL DEFAULT 5
        )""")
    db.execute_sql(
        """
        CREATE TABLE knowledge_sources (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            added_at TEXT NOT NULL,
            UNIQUE (agent_id, path)
        )""")
    db.execute_sql(
        """
        CREATE TABLE knowledge_files (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_id INTEGER NOT NULL REFERENCES knowledge_sources(id) ON DELETE CASCADE,
            agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            mtime_ns INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL DEFAULT 0,
            sha256 TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'indexed',
            error TEXT NOT NULL DEFAULT '',
            embed_model TEXT NOT NULL DEFAULT '',
            chunk_count INTEGER NOT NULL DEFAULT 0,
            indexed_at TEXT NOT NULL,
            UNIQUE (agent_id, path)
        )""")
    db.execute_sql("CREATE INDEX knowledge_files_source ON knowledge_files(source_id)")
    db.execute_sql(
        """
        CREATE TABLE knowledge_chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            file_id INTEGER NOT NULL REFERENCES knowledge_files(id) ON DELETE CASCADE,
            agent_id INTEGER NOT NULL,
            ordinal INTEGER NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            page INTEGER,
            text TEXT NOT NULL,
            embedding BLOB
        )""")
    db.execute_sql("CREATE INDEX knowledge_chunks_file ON knowledge_chunks(file_id)")
    db.execute_sql("CREATE INDEX knowledge_chunks_agent ON knowledge_chunks(agent_id)")
    db.execute_sql(
        """
        CREATE VIRTUAL TABLE knowledge_fts USING fts5(
            text,
            content='knowledge_chunks',
            content_rowid='id',
            tokenize='unicode61 remove_diacritics 2',
            prefix='3'
        )""")
    db.execute_sql(
        """
        CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_chunks BEGIN
            INSERT INTO knowledge_fts(rowid, text) VALUES (new.id, new.text);
        END""")
    db.execute_sql(
        """
        CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_chunks BEGIN
            INSERT INTO knowledge_fts(knowledge_fts, rowid, text)
                VALUES ('delete', old.id, old.text);
        END""")
    db.execute_sql(
        """
        CREATE TRIGGER knowledge_fts_update AFTER UPDATE OF text ON knowledge_chunks BEGIN
            INSERT INTO knowledge_fts(knowledge_fts, rowid, text)
                VALUES ('delete', old.id, old.text);
            INSERT INTO knowledge_fts(rowid, text) VALUES (new.id, new.text);
        END""")


def _v14_workflows(db: SqliteDatabase) -> None:
    """Workflows (issue 19), stored like agents: the current spec (agents by
    name, kind, synthesis agent, hand-off depth) and every saved revision."""
    db.execute_sql(
        """
        CREATE TABLE workflows (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            kind TEXT NOT NULL,
            spec TEXT NOT NULL DEFAULT '{}',
            revision INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute_sql(
        """
        CREATE TABLE workflow_revisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workflow_id INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL,
            spec TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (workflow_id, revision)
        )"""
    )


def _v15_attachments(db: SqliteDatabase) -> None:
    """``messages.attachments``: the files attached to a user message, a JSON
    list of app.domain.attachments.Attachment (image bytes in base64, a
    document's text); '[]' for every existing message."""
    db.execute_sql("ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]'")


STEPS: Sequence[Step] = (
    _v1_initial,
    _v2_full_text_index,
    _v3_revisions_and_provenance,
    _v4_conversation_list_indexes,
    _v5_tools,
    _v6_conversation_imports,
    _v7_generation_and_versions,
    _v8_prefix_index,
    _v9_pad_short_years,
    _v10_python_isolation,
    _v11_local_api,
    _v12_usage_rollup,
    _v13_knowledge,
    _v14_workflows,
    _v15_attachments,
)
LATEST_VERSION = len(STEPS)


def schema_version(db: SqliteDatabase) -> int:
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer AgentDesk than this one."""


def migrate(db: SqliteDatabase, target: int = LATEST_VERSION) -> int:
    """Upgrade ``db`` step by step to ``target``; each step is one transaction.

    Returns the version the database is at afterwards.
    """
    current = schema_version(db)
    if current > LATEST_VERSION:
        raise SchemaTooNewError(
            f"this database has schema version {current}, but this AgentDesk "
            f"understands up to {LATEST_VERSION}; please update AgentDesk"
        )
    for version in range(current + 1, target + 1):
        with db.atomic():
            STEPS[version - 1](db)
            db.execute_sql(f"PRAGMA user_version = {version}")
    return schema_version(db)
