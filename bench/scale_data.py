"""Bulk-load a large synthetic history into a Store for the scale benchmark.

The schema comes from the real ``Store`` (migrations); only the bulk rows are
written with raw ``INSERT``s in large transactions, because a million calls to
``MessageRepository.add`` would take far longer than the benchmark should. The
FTS5 triggers stay in place and fire for every message, so the full-text index
is built incrementally, the way a user's index grows (segments merged by FTS5's
automerge), not as one freshly optimised segment.

Message ids interleave across conversations in time order, as they do in real
use, so one conversation's rows are scattered over the table.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.domain import AgentSpec
from app.store import Store

from bench.corpus import Corpus

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # fixed, so every build is identical
TIMELINE = timedelta(days=730)
CHUNK = 50_000  # messages per transaction
_AGENTS = (("Coder", "openai", "gpt-4o-mini"), ("Writer", "ollama", "llama3.2:3b"),
           ("Researcher", "openai", "gpt-4.1"), ("Translator", "embedded", "gemma3-270m"),
           ("Shell helper", "lmstudio", "qwen2.5-coder-7b"), ("Tutor", "ollama", "phi4"),
           ("Planner", "llamacpp", "mistral-7b"), ("Reviewer", "openai", "o4-mini"))

_INSERT_MESSAGE = (
    "INSERT INTO messages (conversation_id, role, content, tool_calls, status, model,"
    " provider, usage, agent_revision, meta, created_at, updated_at)"
    " VALUES (?, ?, ?, '[]', 'complete', ?, ?, ?, 1, '{}', ?, ?)")
_INSERT_CONVERSATION = (
    "INSERT INTO conversations (agent_id, title, pinned, archived, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?)")


@dataclass
class BuildResult:
    seconds: float
    big_conversation_id: int
    conversations: int
    messages: int


def _stamp(ms: int) -> str:
    """Milliseconds since the epoch in the store's fixed-width text format."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _message_counts(rng: random.Random, conversations: int, messages: int,
                    big: int) -> list[int]:
    """Index 0 gets ``big`` messages; the rest are spread with a long tail."""
    counts = [0] * conversations
    counts[0] = big
    others = conversations - 1
    if others == 0:
        counts[0] = messages
        return counts
    weights = [rng.lognormvariate(0.0, 1.2) for _ in range(others)]
    for index in rng.choices(range(1, conversations), weights=weights, k=messages - big):
        counts[index] += 1
    return counts


def _message_keys(rng: random.Random, counts: list[int]) -> tuple[list[int], int]:
    """Sorted keys ``time_ms * base + conversation_index`` for every message."""
    base = len(counts) + 1
    end_ms = int(NOW.timestamp() * 1000)
    span_ms = int(TIMELINE.total_seconds() * 1000)
    keys: list[int] = []
    for index, count in enumerate(counts):
        if count == 0:
            continue
        if index == 0:  # the big, active conversation: the whole timeline, newest
            gap = span_ms // count
            start = end_ms - (count - 1) * gap
            keys.extend((start + i * gap) * base for i in range(count))
            continue
        gaps = [int(rng.expovariate(1 / 90_000)) + 1000 for _ in range(count)]
        duration = sum(gaps)
        start = end_ms - 60_000 - int(rng.random() * span_ms)
        start = min(start, end_ms - 60_000 - duration)
        stamp = start
        for gap in gaps:
            stamp += gap
            keys.append(stamp * base + index)
    keys.sort()
    return keys, base


def build(store: Store, *, conversations: int, messages: int, big: int,
          seed: int = 7, progress: Callable[[str], None] = print) -> BuildResult:
    """Fill an empty store. The big conversation is the most recently active one."""
    started = time.perf_counter()
    rng = random.Random(seed)
    corpus = Corpus(seed)
    db = store.db
    db.execute_sql("PRAGMA synchronous = OFF")  # bulk load only; reset below
    db.execute_sql("PRAGMA cache_size = -262144")

    agent_ids = [store.agents.create(AgentSpec(name=name, provider=provider, model=model)).id
                 for name, provider, model in _AGENTS]
    counts = _message_counts(rng, conversations, messages, big)
    keys, base = _message_keys(rng, counts)
    first_ms = [0] * conversations
    last_ms = [0] * conversations
    for key in keys:
        ms, index = divmod(key, base)
        if not first_ms[index]:
            first_ms[index] = ms
        last_ms[index] = ms
    empty_ms = int((NOW - TIMELINE).timestamp() * 1000)
    rows = []
    for index in range(conversations):
        created = first_ms[index] or empty_ms + int(rng.random() * TIMELINE.days * 86_400_000)
        rows.append((rng.choice(agent_ids), corpus.title(), int(rng.random() < 0.001),
                     int(index != 0 and rng.random() < 0.05), _stamp(created),
                     _stamp(last_ms[index] or created)))
    with db.atomic():
        db.connection().executemany(_INSERT_CONVERSATION, rows)
    ids = [row[0] for row in db.execute_sql("SELECT id FROM conversations ORDER BY id")]
    progress(f"  {conversations:,} conversations, {len(keys):,} messages planned "
             f"({time.perf_counter() - started:.1f} s)")

    sent = [0] * conversations
    model_of = {agent_id: _AGENTS[i] for i, agent_id in enumerate(agent_ids)}
    agent_of = {ids[i]: row[0] for i, row in enumerate(rows)}
    for chunk_start in range(0, len(keys), CHUNK):
        batch = []
        for key in keys[chunk_start:chunk_start + CHUNK]:
            ms, index = divmod(key, base)
            conversation_id = ids[index]
            stamp = _stamp(ms)
            if sent[index] % 2 == 0:
                batch.append((conversation_id, "user", corpus.user_text(), None, None,
                              None, stamp, stamp))
            else:
                _, provider, model = model_of[agent_of[conversation_id]]
                content = corpus.assistant_text()
                usage = json.dumps({"prompt_tokens": rng.randint(50, 8000),
                                    "completion_tokens": len(content) // 4,
                                    "ttft_ms": round(rng.uniform(80, 900), 1),
                                    "tokens_per_s": round(rng.uniform(8, 120), 1)})
                batch.append((conversation_id, "assistant", content, model, provider,
                              usage, stamp, stamp))
            sent[index] += 1
        with db.atomic():
            db.connection().executemany(_INSERT_MESSAGE, batch)
        done = min(chunk_start + CHUNK, len(keys))
        if done % 200_000 == 0 or done == len(keys):
            progress(f"  {done:,} messages ({time.perf_counter() - started:.0f} s)")

    # Each message follows the one before it in its conversation and each
    # conversation shows that one branch, as ``messages.add`` leaves them (the
    # window and the runner read along ``parent_id``: app/store/message_tree.py).
    with db.atomic():
        db.execute_sql(
            "UPDATE messages SET parent_id = (SELECT max(m2.id) FROM messages AS m2"
            " WHERE m2.conversation_id = messages.conversation_id AND m2.id < messages.id)")
        db.execute_sql(
            "UPDATE conversations SET active_leaf_id = (SELECT max(m.id) FROM messages AS m"
            " WHERE m.conversation_id = conversations.id)")
    progress(f"  linked as one branch each ({time.perf_counter() - started:.0f} s)")
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute_sql("PRAGMA synchronous = NORMAL")
    return BuildResult(seconds=time.perf_counter() - started, big_conversation_id=ids[0],
                       conversations=conversations, messages=len(keys))
