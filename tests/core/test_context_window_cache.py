"""The per-conversation cache of converted history turns: a later turn reads only
what was added, and every kind of change to what is cached is seen."""

from __future__ import annotations

import gc
import sqlite3

from app.core.context_window import HistoryWindow, load_history
from app.core import context_window_cache
from app.core.context_window_cache import HistoryCache
from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.domain import Message
from app.settings import AppSettings
from app.store import Store
from tests.core.test_context_window import LOCAL, seed, spec, tool_turn
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, source
from tests.support.turn_helpers import run_with_setup

BUDGET = 10**6    # everything fits: the window is the whole history


def contents(window: HistoryWindow) -> list[str]:
    return [m.content for t in window.turns for m in t.messages]


async def both(setup, before_id: int, budget: int = BUDGET):
    """The window through the cache and the same window read afresh."""
    cached = await load_history(setup.store, setup.conversation_id, before_id=before_id,
                                budget=budget, max_turns=None)
    fresh = await load_history(setup.store, setup.conversation_id, before_id=before_id,
                               budget=budget, max_turns=None, cached=False)
    return cached, fresh


async def add(setup, role: str, content: str) -> Message:
    return await setup.store.run(lambda s: s.messages.add(Message(
        conversation_id=setup.conversation_id, role=role, content=content)))


def test_a_later_turn_reads_only_the_messages_added_since(tmp_path) -> None:
    async def body(setup):
        await seed(setup, [m for n in range(20) for m in tool_turn(n)])     # 80 messages
        first_user = await add(setup, "user", "first question")
        first, _ = await both(setup, first_user.id)
        await add(setup, "assistant", "first answer")
        second_user = await add(setup, "user", "second question")
        second, fresh = await both(setup, second_user.id)
        return first, second, fresh

    first, second, fresh = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert first.messages_read == 80
    assert second.messages_read == 2          # the first question and its answer
    assert contents(second) == contents(fresh)
    assert contents(second)[-2:] == ["first question", "first answer"]
    assert second.tokens == fresh.tokens and not second.more_before


def test_editing_or_deleting_a_cached_message_is_seen(tmp_path) -> None:
    async def body(setup):
        await seed(setup, [m for n in range(5) for m in tool_turn(n)])
        user = await add(setup, "user", "now")
        await both(setup, user.id)
        page = await setup.store.run(lambda s: s.messages.page(setup.conversation_id))
        answer_id = page[3].id                  # "a0 …", the first turn's answer
        await setup.store.run(lambda s: s.messages.set_content(answer_id, "edited answer"))
        edited, edited_fresh = await both(setup, user.id)
        await setup.store.run(lambda s: s.messages.delete(page[0].id))   # "q0 …"
        deleted, deleted_fresh = await both(setup, user.id)
        return edited, edited_fresh, deleted, deleted_fresh

    edited, edited_fresh, deleted, deleted_fresh = run_with_setup(tmp_path, spec(), [LOCAL],
                                                                  body)
    assert "edited answer" in contents(edited)
    assert contents(edited) == contents(edited_fresh)
    assert not any(text.startswith("q0 ") for text in contents(deleted))
    assert contents(deleted) == contents(deleted_fresh)


def test_a_write_by_another_connection_is_seen(tmp_path) -> None:
    async def body(setup):
        await seed(setup, [m for n in range(3) for m in tool_turn(n)])
        user = await add(setup, "user", "now")
        await both(setup, user.id)
        page = await setup.store.run(lambda s: s.messages.page(setup.conversation_id))
        # Another process (the CLI beside the GUI): no change notice reaches us.
        with sqlite3.connect(setup.path) as other:
            other.execute("UPDATE messages SET content = 'changed elsewhere' WHERE id = ?",
                          (page[0].id,))
        return await both(setup, user.id)

    cached, fresh = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert contents(cached)[0] == "changed elsewhere"
    assert contents(cached) == contents(fresh)


def test_messages_added_to_the_newest_cached_turn_are_included(tmp_path) -> None:
    """A reply added after the cached history without a new user message (e.g. a
    regenerated answer) belongs to the newest cached turn."""
    async def body(setup):
        await seed(setup, [m for n in range(3) for m in tool_turn(n)])
        user = await add(setup, "user", "now")
        await both(setup, user.id)
        await setup.store.run(lambda s: s.messages.delete(user.id))
        await add(setup, "assistant", "a late second answer")
        again = await add(setup, "user", "again")
        return await both(setup, again.id)

    cached, fresh = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert contents(cached)[-1] == "a late second answer"
    assert contents(cached) == contents(fresh)


def test_a_bigger_budget_reads_older_turns_below_the_cache(tmp_path) -> None:
    async def body(setup):
        await seed(setup, [m for n in range(40) for m in tool_turn(n)])
        user = await add(setup, "user", "now")
        small, _ = await both(setup, user.id, budget=300)
        big, big_fresh = await both(setup, user.id)
        return small, big, big_fresh

    small, big, big_fresh = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert small.more_before and len(small.turns) < 40
    assert len(big.turns) == 40 and not big.more_before
    assert contents(big) == contents(big_fresh)
    assert big.messages_read < 160            # the cached turns were not read again


def test_runner_turns_share_the_cache_and_stay_correct(tmp_path) -> None:
    provider = RoundsProvider(LOCAL, [answer("one"), answer("two"), answer("three")])

    async def body(setup):
        await seed(setup, [m for n in range(10) for m in tool_turn(n)])
        windows = []
        for text in ("first", "second", "third"):
            runner = AgentRunner(RunnerDeps(setup.store, AppSettings(home=tmp_path),
                                            providers=source({"local": provider})),
                                 RunConfig(setup.agent, setup.conversation_id, text))
            windows.append((await runner.run()).window)
        cached_turns = await setup.store.run(
            lambda s: HistoryCache.of(s).cached_turns(setup.conversation_id))
        return windows, cached_turns

    windows, cached_turns = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert [w.messages_read for w in windows] == [40, 2, 2]
    third = [m.content for m in provider.requests[-1].messages]
    assert third[-5:] == ["first", "one", "second", "two", "third"]
    assert cached_turns == 12


def test_a_closed_store_leaves_no_cache_behind(tmp_path) -> None:
    store = Store(tmp_path / "agentdesk.db")
    cache = HistoryCache.of(store)
    assert HistoryCache.of(store) is cache
    store.close()
    del store
    gc.collect()
    assert cache not in list(context_window_cache._caches.values())
