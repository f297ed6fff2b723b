"""Schema v12: the usage rollup kept by triggers always equals a fresh count.

Every writer goes through SQLite, so the rollup is checked against
``BACKFILL`` (the migration's own full recount) after inserts, the streaming
life of a reply (insert, content flushes, finalize), deletes of a message, a
chat and an agent, and rows whose usage JSON is damaged.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from app.domain import AgentSpec, Message, UsageStats
from app.domain.usage import UsageFilter
from app.store import Store
from app.store.database import open_database
from app.store.migrations import LATEST_VERSION, migrate
from app.store.usage_rollup_sql import BACKFILL, KEY_COLUMNS, SUM_COLUMNS
from tests.support.usage_seed import reply, seed_usage, tool_result

_COLUMNS = ", ".join(KEY_COLUMNS + SUM_COLUMNS)
_NONZERO = " OR ".join(f"{c} != 0" for c in SUM_COLUMNS if not c.endswith("_sum"))


def rollup(db) -> list[tuple]:
    """The rows that count (REAL sums rounded: adding and taking away floats in
    another order than a recount leaves rounding residue)."""
    rows = db.execute_sql(f"SELECT {_COLUMNS} FROM usage_rollup WHERE {_NONZERO}"
                          f" ORDER BY {', '.join(KEY_COLUMNS)}").fetchall()
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


def recounted(db) -> list[tuple]:
    """What the migration's backfill computes from the messages as they are now."""
    db.execute_sql("CREATE TEMP TABLE kept AS SELECT * FROM usage_rollup")
    try:
        with db.atomic() as transaction:
            db.execute_sql("DELETE FROM usage_rollup")
            db.execute_sql(BACKFILL)
            fresh = rollup(db)
            transaction.rollback()
    finally:
        db.execute_sql("DROP TABLE temp.kept")
    return fresh


def test_the_rollup_follows_every_kind_of_write(store: Store) -> None:
    seeded = seed_usage(store)
    assert rollup(store.db) == recounted(store.db) != []
    streaming = store.messages.add(Message(conversation_id=seeded.writer_chat,
                                           role="assistant", status="streaming",
                                           provider="lan", model="llama3.2"))
    store.messages.set_content(streaming.id, "partial text")
    before = rollup(store.db)
    assert before == recounted(store.db)
    store.messages.finalize(streaming.id, status="complete", content="done",
                            usage=UsageStats(prompt_tokens=11, completion_tokens=13,
                                             ttft_ms=99.5, tokens_per_s=7.0))
    assert rollup(store.db) == recounted(store.db) != before
    store.messages.delete(streaming.id)
    assert rollup(store.db) == before
    store.conversations.delete(seeded.coder_chat)
    assert rollup(store.db) == recounted(store.db)
    store.agents.delete(seeded.writer_id)
    assert rollup(store.db) == recounted(store.db) == []
    store.agents.delete(seeded.coder_id)  # a deleted agent leaves no zero rows behind
    assert store.db.execute_sql("SELECT count(*) FROM usage_rollup").fetchone()[0] == 0


def test_random_writes_keep_the_rollup_equal_to_a_recount(store: Store) -> None:
    rng = random.Random(19)
    agents = [store.agents.create(AgentSpec(name=f"a{i}", provider="p", model="m")).id
              for i in range(3)]
    chats = [store.conversations.create(rng.choice(agents)).id for _ in range(6)]
    written: list[int] = []
    for step in range(300):
        action = rng.random()
        if action < 0.55 or not written:
            chat = rng.choice(chats)
            day = f"2026-0{rng.randint(1, 3)}-1{rng.randint(0, 9)}"
            if rng.random() < 0.25:
                written.append(tool_result(store, chat, day, error=rng.random() < 0.3).id)
            else:
                written.append(reply(store, chat, rng.choice(["p", "q", ""]),
                                     rng.choice(["m1", "m2"]), day,
                                     pt=rng.choice([None, rng.randint(0, 9000)]),
                                     ct=rng.randint(0, 900),
                                     ttft=rng.choice([None, rng.uniform(1, 20000)]),
                                     tps=rng.choice([None, rng.uniform(0.1, 400)])).id)
        elif action < 0.8:
            target = rng.choice(written)
            store.db.execute_sql("UPDATE messages SET provider = ?, created_at = ? WHERE id = ?",
                                 (rng.choice(["p", "q"]), "2026-04-01T00:00:00.000000Z",
                                  target))
        else:
            target = written.pop(rng.randrange(len(written)))
            store.messages.delete(target)
    assert rollup(store.db) == recounted(store.db)


def test_damaged_usage_never_breaks_a_write_and_counts_as_absent(store: Store) -> None:
    agent = store.agents.create(AgentSpec(name="a", provider="p", model="m"))
    chat = store.conversations.create(agent.id).id
    ok = reply(store, chat, "p", "m", "2026-01-01", pt=5, ct=6)
    for damaged in ("not json", '{"prompt_tokens": "many", "ttft_ms": [1]}', "[]"):
        store.db.execute_sql("UPDATE messages SET usage = ? WHERE id = ?", (damaged, ok.id))
        assert rollup(store.db) == recounted(store.db)
        (row,) = store.usage.rows(UsageFilter())
        assert (row.replies, row.prompt_tokens, row.ttft_n) == (1, 0, 0)


def test_an_older_database_is_backfilled_by_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.db"
    db = open_database(path)
    migrate(db, target=11)
    db.close()
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO agents (name, created_at, updated_at) VALUES ('old', "
                    "'2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')")
        raw.execute("INSERT INTO conversations (agent_id, created_at, updated_at) VALUES (1, "
                    "'2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')")
        for role, usage, status in (
                ("assistant", '{"prompt_tokens": 40, "completion_tokens": 2, "ttft_ms": 320}',
                 "complete"),
                ("assistant", None, "error"), ("tool", None, "error"), ("user", None, "complete")):
            raw.execute("INSERT INTO messages (conversation_id, role, usage, status, provider,"
                        " model, created_at, updated_at) VALUES (1, ?, ?, ?, 'p', 'm',"
                        " '2025-01-02T03:04:05.000000Z', '2025-01-02T03:04:05.000000Z')",
                        (role, usage, status))
    with Store(path) as store:
        assert store.db.execute_sql("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        rows = {(r.provider, r.model): r for r in store.usage.rows()}
        assert set(rows) == {("p", "m"), ("", "")}
        assert (rows["p", "m"].replies, rows["p", "m"].prompt_tokens,
                rows["p", "m"].ttft_hist[3]) == (1, 40, 1)
        assert (rows["", ""].tool_calls, rows["", ""].tool_errors) == (1, 1)
        assert rows["p", "m"].day == "2025-01-02"
        assert rollup(store.db) == recounted(store.db)


def test_a_content_write_fires_no_rollup_trigger(store: Store) -> None:
    """Content flushes of a growing reply (every second per stream) change no
    watched column, so the rollup's update trigger does not run for them: the
    changes SQLite counts (a trigger's included) are those with the trigger
    dropped, even for a message that counts. Finalizing with usage runs it."""
    agent = store.agents.create(AgentSpec(name="a", provider="p", model="m"))
    chat = store.conversations.create(agent.id).id
    counted = reply(store, chat, "p", "m", "2026-01-01", pt=1, ct=2)
    growing = store.messages.add(Message(conversation_id=chat, role="assistant",
                                         status="streaming", provider="p", model="m"))
    connection = store.db.connection()

    def changes(write) -> int:
        before = connection.total_changes
        write()
        return connection.total_changes - before

    def flush() -> None:
        store.messages.set_content(counted.id, "more text")

    def finish() -> None:
        store.messages.finalize(growing.id, status="complete", content="done",
                                usage=UsageStats(prompt_tokens=1, completion_tokens=2))

    with_trigger = changes(flush), changes(finish)
    store.db.execute_sql("UPDATE messages SET status = 'streaming', usage = NULL WHERE id = ?",
                         (growing.id,))
    store.db.execute_sql("DROP TRIGGER usage_rollup_update")
    without_trigger = changes(flush), changes(finish)
    assert with_trigger[0] == without_trigger[0]
    assert with_trigger[1] > without_trigger[1]
