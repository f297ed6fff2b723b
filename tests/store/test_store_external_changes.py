"""Writes made by another connection (the CLI, a second process) are noticed:
``PRAGMA data_version`` on the store's own connection, polled by AsyncStore."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from app.domain import AgentSpec
from app.store import EXTERNAL, AsyncStore, ChangeNotice, Store

INTERVAL = 0.05          # fast polling for the tests
WAIT_S = 10.0            # generous upper bound; the tests never assert on speed


def test_a_commit_by_another_connection_is_reported_once(store: Store, db_path: Path,
                                                         notices: list[ChangeNotice]) -> None:
    assert store.check_external_changes() is False
    with Store(db_path) as other:
        other.agents.create(AgentSpec(name="from the CLI"))
    assert store.check_external_changes() is True
    assert notices == [ChangeNotice(EXTERNAL, "update", ())]
    assert store.check_external_changes() is False       # once per change
    assert len(notices) == 1


def test_own_writes_and_other_readers_are_not_external(store: Store, db_path: Path,
                                                       notices: list[ChangeNotice]) -> None:
    agent = store.agents.create(AgentSpec(name="mine"))
    store.conversations.create(agent.id, "a chat")
    with Store(db_path) as other:
        assert [a.name for a in other.agents.list()] == ["mine"]   # reads only
    assert store.check_external_changes() is False
    assert all(n.entity != EXTERNAL for n in notices)


async def _wait_for(predicate, timeout: float = WAIT_S) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


def test_watch_reports_another_process_write_and_not_its_own(db_path: Path) -> None:
    async def scenario() -> tuple[list[ChangeNotice], list[ChangeNotice]]:
        astore = await AsyncStore.open(db_path)
        seen: list[ChangeNotice] = []
        astore.subscribe(seen.append)
        try:
            astore.watch_external(INTERVAL)
            for index in range(5):
                await astore.run(lambda s, i=index: s.agents.create(AgentSpec(name=f"a{i}")))
            checks = astore.external_checks
            await _wait_for(lambda: astore.external_checks >= checks + 3)
            before = list(seen)
            with Store(db_path) as other:
                other.agents.create(AgentSpec(name="from the CLI"))
            await _wait_for(lambda: any(n.entity == EXTERNAL for n in seen))
            return before, seen
        finally:
            await astore.close()

    own, everything = asyncio.run(scenario())
    assert own and all(n.entity == "agent" for n in own)
    assert [n for n in everything if n.entity == EXTERNAL] == [
        ChangeNotice(EXTERNAL, "update", ())]


def test_a_busy_worker_delays_the_check_but_never_loses_the_change(db_path: Path) -> None:
    async def scenario() -> list[ChangeNotice]:
        astore = await AsyncStore.open(db_path)
        seen: list[ChangeNotice] = []
        astore.subscribe(seen.append)
        release = threading.Event()
        try:
            astore.watch_external(INTERVAL)
            blocked = asyncio.ensure_future(astore.run(lambda s: release.wait(WAIT_S)))
            with Store(db_path) as other:
                other.agents.create(AgentSpec(name="while busy"))
            await asyncio.sleep(INTERVAL * 5)       # polls skip, then queue behind
            assert not any(n.entity == EXTERNAL for n in seen)
            release.set()
            await blocked
            await _wait_for(lambda: any(n.entity == EXTERNAL for n in seen))
            return seen
        finally:
            release.set()
            await astore.close()

    seen = asyncio.run(scenario())
    assert sum(n.entity == EXTERNAL for n in seen) == 1


def test_close_stops_the_watch(db_path: Path) -> None:
    async def scenario() -> tuple[bool, bool, int, int]:
        astore = await AsyncStore.open(db_path)
        astore.watch_external(INTERVAL)
        await _wait_for(lambda: astore.external_checks >= 1)
        watching = astore.watching_external
        await astore.close()
        checks = astore.external_checks
        await asyncio.sleep(INTERVAL * 4)
        return watching, astore.watching_external, checks, astore.external_checks

    watching, after, checks, later = asyncio.run(scenario())
    assert watching and not after
    assert later == checks
