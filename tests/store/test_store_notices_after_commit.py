"""A change notice leaves the store only after its transaction committed: a
listener that reads through ANOTHER connection sees the row it was told
about; a rolled-back transaction tells nobody anything."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from app.domain import AgentSpec, Conversation, Message
from app.store import AsyncStore, ChangeNotice, Store
from app.store.notices import NoticeHub


def message_count(path: Path, message_id: int) -> int:
    """Read through a separate connection: only committed rows are visible."""
    with sqlite3.connect(path) as other:
        return other.execute("SELECT count(*) FROM messages WHERE id = ?",
                             (message_id,)).fetchone()[0]


def reading_listener(path: Path, seen: list[tuple[ChangeNotice, int]]):
    def listener(notice: ChangeNotice) -> None:
        if notice.entity == "message" and notice.op == "insert":
            seen.append((notice, message_count(path, notice.ids[0])))
    return listener


def note(conversation: Conversation, text: str) -> Message:
    return Message(conversation_id=conversation.id, role="user", content=text)


def test_a_notice_raised_inside_a_transaction_waits_for_its_commit(
        store: Store, db_path: Path, conversation: Conversation) -> None:
    seen: list[tuple[ChangeNotice, int]] = []
    store.subscribe(reading_listener(db_path, seen))
    with store.db.atomic():
        first = store.messages.add(note(conversation, "one"))
        second = store.messages.add(note(conversation, "two"))
        assert seen == []                      # nothing announced before the commit
    assert [(n.ids, visible) for n, visible in seen] == [((first.id,), 1),
                                                          ((second.id,), 1)]


def test_nested_transactions_deliver_at_the_outermost_commit(
        store: Store, db_path: Path, conversation: Conversation,
        notices: list[ChangeNotice]) -> None:
    with store.db.atomic():
        with store.db.atomic():
            with store.db.atomic():
                store.messages.add(note(conversation, "deep"))
            assert notices == []
        assert notices == []
    assert [(n.entity, n.op) for n in notices] == [("message", "insert")]


def test_a_rolled_back_transaction_emits_nothing(
        store: Store, conversation: Conversation, notices: list[ChangeNotice]) -> None:
    with pytest.raises(RuntimeError), store.db.atomic():
        store.messages.add(note(conversation, "never"))
        store.conversations.rename(conversation.id, "also never")
        raise RuntimeError("abort")
    assert notices == []
    assert store.messages.all(conversation.id) == []
    # The next write outside the rolled-back transaction is told at once.
    store.messages.add(note(conversation, "kept"))
    assert [(n.entity, n.op) for n in notices] == [("message", "insert")]


def test_a_write_outside_any_transaction_is_told_at_once(
        store: Store, db_path: Path, conversation: Conversation) -> None:
    seen: list[tuple[ChangeNotice, int]] = []
    store.subscribe(reading_listener(db_path, seen))
    added = store.messages.add(note(conversation, "alone"))
    assert [(n.ids, visible) for n, visible in seen] == [((added.id,), 1)]


def test_hub_without_a_database_delivers_at_once() -> None:
    hub = NoticeHub()
    got: list[ChangeNotice] = []
    hub.subscribe(got.append)
    hub.emit("agent", "insert", [3])
    assert got == [ChangeNotice("agent", "insert", (3,))]


def test_async_store_delivers_after_the_commit_on_the_loop(db_path: Path) -> None:
    """The worker holds its transaction open until the loop had its chance to
    deliver: under the old order the listener read before the commit."""

    async def scenario() -> list[tuple[ChangeNotice, int]]:
        astore = await AsyncStore.open(db_path)
        seen: list[tuple[ChangeNotice, int]] = []
        delivered = threading.Event()
        read = reading_listener(db_path, seen)

        def listener(notice: ChangeNotice) -> None:
            read(notice)
            delivered.set()

        astore.subscribe(listener)
        try:
            def setup(s: Store) -> Conversation:
                agent = s.agents.create(AgentSpec(name="A"))
                return s.conversations.create(agent.id, "c")

            conversation = await astore.run(setup)

            def write(s: Store) -> None:
                with s.db.atomic():
                    s.messages.add(note(conversation, "hello"))
                    # Give the loop time to deliver a notice raised too early.
                    delivered.wait(0.5)

            await astore.run(write)
            while not seen:
                await asyncio.sleep(0.01)
        finally:
            await astore.close()
        return seen

    seen = asyncio.run(scenario())
    assert len(seen) == 1 and seen[0][1] == 1


def test_async_store_rollback_emits_nothing(db_path: Path) -> None:
    async def scenario() -> list[ChangeNotice]:
        astore = await AsyncStore.open(db_path)
        got: list[ChangeNotice] = []
        try:
            agent = await astore.run(lambda s: s.agents.create(AgentSpec(name="A")))
            astore.subscribe(got.append)

            def write(s: Store) -> None:
                with s.db.atomic():
                    s.conversations.create(agent.id, "gone")
                    raise ValueError("abort")

            with pytest.raises(ValueError):
                await astore.run(write)
            # A later write's notice arrives; the rolled-back one never does.
            await astore.run(lambda s: s.conversations.create(agent.id, "kept"))
            while not got:
                await asyncio.sleep(0.01)
        finally:
            await astore.close()
        return got

    got = asyncio.run(scenario())
    assert [(n.entity, n.op) for n in got] == [("conversation", "insert")]
