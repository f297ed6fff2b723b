"""Conversations for the export/import tests, and ways to compare stores."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.export import import_text, load_bundles, render
from app.domain import AgentSpec, Conversation, Message, ToolCallRecord, UsageStats
from app.store import Store

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)

REPLY_WITH_CODE = (
    "Here is how:\n\n```python\ndef greet(name):\n    return f\"hi {name}\"\n```\n\n"
    "A fence inside a string: `'```'`, and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
)


def add_conversation(store: Store, agent_id: int, title: str, messages: list[Message], *,
                     created: datetime = T0, pinned: bool = False, archived: bool = False,
                     fingerprint: str = "source") -> int:
    """Store a conversation with exactly these times (as an earlier session left it)."""
    last = max([m.updated_at for m in messages], default=created)
    conversation = Conversation(agent_id=agent_id, title=title, pinned=pinned,
                                archived=archived, created_at=created, updated_at=last)
    return store.imports.add_conversation(conversation, messages,
                                          fingerprint=f"{fingerprint}:{title}:{created}")


def rich_messages(start: datetime = T0) -> list[Message]:
    """User, assistant with code + a tool call, the tool result, a failed reply."""
    def at(seconds: int) -> datetime:
        return start + timedelta(seconds=seconds)

    return [
        Message(conversation_id=0, role="system", content="You are terse.", created_at=at(0),
                updated_at=at(0)),
        Message(conversation_id=0, role="user", content="How do I greet? <b>bold</b> ünï ✓",
                created_at=at(1), updated_at=at(1)),
        Message(conversation_id=0, role="assistant", content=REPLY_WITH_CODE,
                tool_calls=[ToolCallRecord(call_id="call_1", name="calculator",
                                           arguments={"expression": "6*7", "n": [1, 2]})],
                model="gemma3", provider="local", agent_revision=1,
                usage=UsageStats(prompt_tokens=12, completion_tokens=40, ttft_ms=210.5,
                                 tokens_per_s=33.25),
                meta={"route": {"reason": "default"}}, created_at=at(2), updated_at=at(3)),
        Message(conversation_id=0, role="tool", content="42", tool_call_id="call_1",
                created_at=at(4), updated_at=at(4)),
        Message(conversation_id=0, role="assistant", content="cut off mid", status="error",
                error="connection reset", model="gemma3", provider="local",
                created_at=at(5), updated_at=at(6)),
    ]


def make_agent(store: Store, name: str = "Helper", **values) -> AgentSpec:
    return store.agents.create(AgentSpec(name=name, provider="local", model="gemma3",
                                         system_prompt="Be brief.", **values))


def snapshot(store: Store) -> list[tuple[dict, list[dict]]]:
    """Every conversation with its messages, without database ids, oldest first.
    Which message follows which, and where the shown branch ends, are kept as
    positions in the conversation's message list."""
    out = []
    conversations = store.conversations.list(include_archived=True, limit=100_000)
    for conversation in sorted(conversations, key=lambda c: (c.created_at, c.id)):
        stored = store.messages.all(conversation.id)
        position = {m.id: i for i, m in enumerate(stored)}
        messages = [{**m.model_dump(exclude={"id", "conversation_id", "parent_id"}),
                     "parent": position.get(m.parent_id)} for m in stored]
        head = conversation.model_dump(exclude={"id", "agent_id", "active_leaf_id"})
        head["leaf"] = position.get(conversation.active_leaf_id)
        out.append((head, messages))
    return out


def row_counts(store: Store) -> dict[str, int]:
    counts = {}
    for table in ("agents", "conversations", "messages", "conversation_imports",
                  "agent_revisions"):
        counts[table] = store.db.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return counts


def assert_round_trip(items, fmt: str, file_name: str):
    """Store ``items`` — (title, pinned, archived, created, messages) tuples, as the
    property tests draw them — export them as ``fmt``, import the file into an
    empty store, and check both stores hold the same conversations. Returns the
    import report for format-specific checks."""
    with tempfile.TemporaryDirectory() as folder:
        with Store(Path(folder) / "a.db") as source, Store(Path(folder) / "b.db") as target:
            agent = make_agent(source)
            for number, (title, pinned, archived, created, msgs) in enumerate(items):
                add_conversation(source, agent.id, title, msgs, created=created,
                                 pinned=pinned, archived=archived, fingerprint=str(number))
            report = import_text(target, render(load_bundles(source), fmt), file_name)

            assert report.skipped == [] and len(report.imported) == len(items)
            assert snapshot(target) == snapshot(source)
            assert [a.portable() for a in target.agents.list()] == [agent.portable()]
            return report


def trip_notes_export(folder: Path) -> Path:
    """A real JSON export of one short chat ("Trip notes"), made through the CLI
    from a data folder of its own under ``folder``: what a person double-clicks."""
    from app.cli import main

    source = folder / "source"
    source.mkdir()
    with Store(source / "agentdesk.db") as store:
        agent = store.agents.create(AgentSpec(name="Helper", provider="none", model="m"))
        conversation = store.conversations.create(agent.id, "Trip notes")
        store.messages.add(Message(conversation_id=conversation.id, role="user",
                                   content="Pack an umbrella."))
    exported = folder / "Trip notes.json"
    assert main(["--home", str(source), "conversations", "export", str(conversation.id),
                 "--format", "json", "-o", str(exported)]) == 0
    return exported
