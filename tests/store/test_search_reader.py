"""SearchReader: its own read-only connection, cancellation, and the strategy
that answers newest-first when a query matches too many messages to rank."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from app.domain import AgentSpec, Conversation
from app.domain.search import HIGHLIGHT_END, HIGHLIGHT_START
from app.store import Store
from app.store.search import SearchIndex
from app.store.search_reader import SearchCancel, SearchCancelled, SearchReader
from store_helpers import add_message

WAIT_S = 10  # a guard against a hang, not a timing assertion


@pytest.fixture
def reader(store: Store, db_path: Path):
    with SearchReader(db_path) as opened:
        yield opened


def ids(page) -> list[int]:
    return [hit.message_id for hit in page.hits]


def test_reader_connection_refuses_writes(store: Store, reader: SearchReader,
                                          conversation: Conversation) -> None:
    add_message(store, conversation.id, "kept as it is")
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        reader.connection.execute("DELETE FROM messages")
    with pytest.raises(sqlite3.OperationalError):
        reader.connection.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
    assert reader.connection.execute("PRAGMA query_only").fetchone() == (1,)
    assert len(store.search.search("kept")) == 1


@pytest.mark.parametrize("query", ["brown", "quick fox", "fo", "caf", '"brown AND (', "zebra"])
def test_reader_finds_what_the_store_index_finds(store: Store, reader: SearchReader,
                                                 conversation: Conversation,
                                                 query: str) -> None:
    for text in ("the quick brown fox", "brown bread", "a café for a fox",
                 "fo is not fox", "brown brown brown"):
        add_message(store, conversation.id, text)
    page = reader.search(query)
    assert page.order == "rank" and not page.capped
    assert page.hits == store.search.search(query)
    assert page.matches == len(page.hits)


def test_reader_sees_writes_committed_after_it_opened(store: Store, reader: SearchReader,
                                                      conversation: Conversation) -> None:
    assert reader.search("walrus").hits == []
    msg = add_message(store, conversation.id, "a walrus appears")
    assert ids(reader.search("walrus")) == [msg.id]


def test_over_the_rank_limit_the_newest_matches_come_first(
        store: Store, db_path: Path, conversation: Conversation) -> None:
    dense = add_message(store, conversation.id, "kiwi kiwi kiwi kiwi")
    others = [add_message(store, conversation.id, f"{' '.join(['filler'] * 30)} kiwi {i}")
              for i in range(4)]
    newest_first = [m.id for m in reversed([dense, *others])]
    with SearchReader(db_path, rank_limit=5) as at_limit:
        ranked = at_limit.search("kiwi")
    with SearchReader(db_path, rank_limit=4) as below:
        newest = below.search("kiwi", limit=3)

    assert ranked.order == "rank" and not ranked.capped and ranked.matches == 5
    assert ids(ranked)[0] == dense.id  # bm25: the dense message is the best match
    assert newest.order == "newest" and newest.capped and newest.matches == 4
    assert ids(newest) == newest_first[:3]
    for hit in newest.hits:  # the shown page still has highlighted snippets
        assert f"{HIGHLIGHT_START}kiwi{HIGHLIGHT_END}" in hit.snippet
        assert hit.rank == 0.0


def test_newest_first_keeps_the_filters(store: Store, db_path: Path, agent: AgentSpec,
                                        conversation: Conversation) -> None:
    other = store.agents.create(AgentSpec(name="Other"))
    theirs = store.conversations.create(other.id, "theirs")
    archived = store.conversations.create(agent.id, "old")
    mine = [add_message(store, conversation.id, f"plum {i}") for i in range(3)]
    for i in range(3):
        add_message(store, theirs.id, f"plum {i}")
    hidden = add_message(store, archived.id, "plum archived")
    store.conversations.set_archived(archived.id, True)
    with SearchReader(db_path, rank_limit=2) as reader:
        page = reader.search("plum", agent_id=agent.id, include_archived=False)
        with_archived = reader.search("plum", agent_id=agent.id)
    assert page.order == "newest"
    assert ids(page) == [m.id for m in reversed(mine)]
    assert ids(with_archived)[0] == hidden.id


def test_store_index_uses_the_same_strategy(store: Store, conversation: Conversation) -> None:
    first = add_message(store, conversation.id, "lemon tart")
    second = add_message(store, conversation.id, "lemon lemon lemon")
    assert [h.message_id for h in store.search.search("lemon")] == [second.id, first.id]
    capped = SearchIndex(store.db, rank_limit=1).page("lemon")
    assert capped.order == "newest" and [h.message_id for h in capped.hits] == [
        second.id, first.id]


def test_a_cancelled_search_raises_and_the_reader_stays_usable(
        store: Store, db_path: Path, conversation: Conversation) -> None:
    for i in range(200):
        add_message(store, conversation.id, f"melon number {i}")
    token = SearchCancel()
    ticks: list[int] = []

    def cancel_mid_query() -> None:
        ticks.append(1)
        token.cancel()

    with SearchReader(db_path, progress_hook=cancel_mid_query) as reader:
        with pytest.raises(SearchCancelled):
            reader.search("melon", cancel=token)
        assert ticks  # it was stopped while a statement ran, not before
        cancelled_before = SearchCancel()
        cancelled_before.cancel()
        with pytest.raises(SearchCancelled):
            reader.search("melon", cancel=cancelled_before)
        assert reader.search("melon", limit=5).matches == 200


def test_a_write_commits_while_a_search_is_held_mid_query(
        store: Store, db_path: Path, conversation: Conversation) -> None:
    for i in range(200):
        add_message(store, conversation.id, f"cherry number {i}")
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        entered.set()
        release.wait(WAIT_S)

    outcome: dict[str, object] = {}

    def searching() -> None:
        with SearchReader(db_path, progress_hook=hold) as reader:
            outcome["page"] = reader.search("cherry")

    thread = threading.Thread(target=searching)
    thread.start()
    try:
        assert entered.wait(WAIT_S)
        # The search holds an open read statement; the writer commits anyway.
        written = add_message(store, conversation.id, "cherry written during the search")
        assert "page" not in outcome and thread.is_alive()
        assert store.messages.get(written.id).content.startswith("cherry written")
    finally:
        release.set()
        thread.join(WAIT_S)
    assert outcome["page"].matches in (200, 201)
