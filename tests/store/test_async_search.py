"""AsyncStore.searcher: searches on their own thread, beside the store's worker;
a newer search cancels the older one."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from app.domain import AgentSpec, Message
from app.store import AsyncStore, Store
from app.store.async_search import AsyncSearchReader
from app.store.search_reader import SearchCancelled

WAIT_S = 10  # guards against a hang, not timing assertions


def seed(db_path: Path, words: dict[str, int]) -> int:
    """A conversation holding ``count`` messages for each word; returns its id."""
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="Seeder"))
        chat = store.conversations.create(agent.id, "seeded")
        for word, count in words.items():
            for i in range(count):
                store.messages.add(Message(conversation_id=chat.id, role="user",
                                           content=f"{word} message {i}"))
        return chat.id


class Gate:
    """A progress hook that holds the first search mid-query until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.threads: set[str] = set()

    def __call__(self) -> None:
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        self.release.wait(WAIT_S)

    async def wait_entered(self) -> None:
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, self.entered.wait, WAIT_S)


def test_store_searcher_runs_beside_the_worker(db_path: Path) -> None:
    chat_id = seed(db_path, {"tangerine": 3})

    async def scenario() -> None:
        astore = await AsyncStore.open(db_path)
        try:
            page = await astore.searcher.search("tangerine")
            assert [h.conversation_id for h in page.hits] == [chat_id] * 3
            worker = await astore.run(lambda s: threading.current_thread().name)
            assert worker.startswith("agentdesk-db")
            assert any(t.name.startswith("agentdesk-search") for t in threading.enumerate())
        finally:
            await astore.close()
        assert not any(t.name.startswith("agentdesk-search") for t in threading.enumerate())
        with pytest.raises(RuntimeError):
            astore.searcher  # noqa: B018 (closed with the store)

    asyncio.run(scenario())


def test_a_flush_is_written_while_a_search_is_held(db_path: Path) -> None:
    chat_id = seed(db_path, {"papaya": 300})
    gate = Gate()

    async def scenario() -> None:
        astore = await AsyncStore.open(db_path)
        searcher = AsyncSearchReader(db_path, asyncio.get_running_loop(), progress_hook=gate)
        try:
            reply = await astore.run(lambda s: s.messages.add(Message(
                conversation_id=chat_id, role="assistant", content="", status="streaming")))
            search = asyncio.ensure_future(searcher.search("papaya"))
            await gate.wait_entered()
            # The search is mid-query on its own thread; the worker writes anyway.
            await asyncio.wait_for(
                astore.run(lambda s: s.messages.set_content(reply.id, "streamed text")),
                WAIT_S)
            assert not search.done()
            gate.release.set()
            page = await asyncio.wait_for(search, WAIT_S)
            assert page.matches == 300
            assert gate.threads == {"agentdesk-search_0"}
            stored = await astore.run(lambda s: s.messages.get(reply.id))
            assert stored.content == "streamed text"
        finally:
            gate.release.set()
            await searcher.close()
            await astore.close()

    asyncio.run(scenario())


def test_a_newer_search_cancels_the_one_in_progress(db_path: Path) -> None:
    seed(db_path, {"apricot": 300, "quince": 2})
    gate = Gate()

    async def scenario() -> None:
        searcher = AsyncSearchReader(db_path, asyncio.get_running_loop(), progress_hook=gate)
        try:
            old = asyncio.ensure_future(searcher.search("apricot"))
            await gate.wait_entered()
            new = asyncio.ensure_future(searcher.search("quince"))
            await asyncio.sleep(0)  # let the new search start (it cancels the old one)
            gate.release.set()
            with pytest.raises(SearchCancelled):
                await asyncio.wait_for(old, WAIT_S)
            page = await asyncio.wait_for(new, WAIT_S)
            assert [h.snippet.count("quince") for h in page.hits] == [1, 1]
            searcher.cancel()  # nothing in progress: harmless
            assert (await searcher.search("apricot", limit=1)).matches == 300
        finally:
            gate.release.set()
            await searcher.close()
        with pytest.raises(SearchCancelled):
            await searcher.search("quince")

    asyncio.run(scenario())


def test_cancelling_the_awaiting_task_stops_the_query(db_path: Path) -> None:
    seed(db_path, {"guava": 300})
    gate = Gate()

    async def scenario() -> None:
        searcher = AsyncSearchReader(db_path, asyncio.get_running_loop(), progress_hook=gate)
        try:
            task = asyncio.ensure_future(searcher.search("guava"))
            await gate.wait_entered()
            task.cancel()
            await asyncio.sleep(0)
            gate.release.set()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The search thread is free again for the next query.
            gate.entered.clear()
            assert (await asyncio.wait_for(searcher.search("guava"), WAIT_S)).matches == 300
        finally:
            gate.release.set()
            await searcher.close()

    asyncio.run(scenario())
