"""AsyncStore: one serial worker thread, notices on the loop thread, clean close."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from app.domain import AgentSpec, Message
from app.store import AsyncStore, ChangeNotice, DuplicateNameError, Store
from app.store.migrations import SchemaTooNewError


def test_calls_run_in_submission_order_on_one_worker_thread(db_path: Path) -> None:
    async def scenario() -> tuple[int, list[tuple[int, int]], list[int]]:
        astore = await AsyncStore.open(db_path)
        calls: list[tuple[int, int]] = []

        def work(index: int):
            def call(store: Store) -> int:
                calls.append((index, threading.get_ident()))
                return store.agents.create(AgentSpec(name=f"agent {index}")).id
            return call

        try:
            results = await asyncio.gather(*(astore.run(work(i)) for i in range(25)))
        finally:
            await astore.close()
        return threading.get_ident(), calls, results

    loop_thread, calls, results = asyncio.run(scenario())

    assert [index for index, _ in calls] == list(range(25))
    worker_threads = {thread for _, thread in calls}
    assert len(worker_threads) == 1
    assert loop_thread not in worker_threads
    assert results == sorted(results)  # ids handed out in submission order
    with Store(db_path) as store:
        assert {a.name: a.id for a in store.agents.list()} == {
            f"agent {i}": agent_id for i, agent_id in enumerate(results)}


def test_connection_is_opened_on_the_worker_thread(db_path: Path) -> None:
    async def scenario() -> tuple[int, int, int]:
        astore = await AsyncStore.open(db_path)
        try:
            worker = await astore.run(lambda store: threading.get_ident())
            fk = await astore.run(
                lambda store: store.db.execute_sql("PRAGMA foreign_keys").fetchone()[0])
        finally:
            await astore.close()
        return threading.get_ident(), worker, fk

    loop_thread, worker, fk = asyncio.run(scenario())
    assert worker != loop_thread
    assert fk == 1


def test_results_and_errors_come_back_to_the_caller(db_path: Path) -> None:
    async def scenario() -> None:
        astore = await AsyncStore.open(db_path)
        try:
            created = await astore.run(lambda s: s.agents.create(AgentSpec(name="x")))
            assert isinstance(created, AgentSpec)
            with pytest.raises(DuplicateNameError):
                await astore.run(lambda s: s.agents.create(AgentSpec(name="X")))
            # The worker survives an error and keeps serving.
            assert [a.name for a in await astore.run(lambda s: s.agents.list())] == ["x"]
        finally:
            await astore.close()

    asyncio.run(scenario())


def test_notices_are_delivered_on_the_loop_thread_after_the_write(db_path: Path) -> None:
    async def scenario():
        astore = await AsyncStore.open(db_path)
        delivered: list[tuple[ChangeNotice, int, int]] = []
        checker = Store(db_path, recover=False)  # a separate connection on this thread

        def listener(notice: ChangeNotice) -> None:
            visible = checker.db.execute_sql("SELECT COUNT(*) FROM agents").fetchone()[0]
            delivered.append((notice, threading.get_ident(), visible))

        astore.subscribe(listener)
        try:
            first = await astore.run(lambda s: s.agents.create(AgentSpec(name="one")))
            # Delivered before the awaiting caller resumes.
            assert [n.ids for n, _, _ in delivered] == [(first.id,)]
            second = await astore.run(lambda s: s.agents.create(AgentSpec(name="two")))
            await astore.run(lambda s: s.agents.delete(first.id))
        finally:
            await astore.close()
            checker.close()
        return threading.get_ident(), delivered, first, second

    loop_thread, delivered, first, second = asyncio.run(scenario())

    assert [n for n, _, _ in delivered] == [
        ChangeNotice("agent", "insert", (first.id,)),
        ChangeNotice("agent", "insert", (second.id,)),
        ChangeNotice("agent", "delete", (first.id,)),
    ]
    assert {thread for _, thread, _ in delivered} == {loop_thread}
    assert [visible for _, _, visible in delivered] == [1, 2, 1]


def test_unsubscribe_stops_delivery(db_path: Path) -> None:
    async def scenario() -> list[ChangeNotice]:
        astore = await AsyncStore.open(db_path)
        seen: list[ChangeNotice] = []
        unsubscribe = astore.subscribe(seen.append)
        try:
            await astore.run(lambda s: s.agents.create(AgentSpec(name="one")))
            unsubscribe()
            await astore.run(lambda s: s.agents.create(AgentSpec(name="two")))
        finally:
            await astore.close()
        return seen

    assert [n.op for n in asyncio.run(scenario())] == ["insert"]


def test_close_finishes_queued_work(db_path: Path) -> None:
    release = threading.Event()

    async def scenario() -> list[asyncio.Task]:
        astore = await AsyncStore.open(db_path)
        agent = await astore.run(lambda s: s.agents.create(AgentSpec(name="a")))
        chat = await astore.run(lambda s: s.conversations.create(agent.id))

        def blocker(store: Store) -> None:
            release.wait(timeout=30)

        def writer(index: int):
            return lambda s: s.messages.add(
                Message(conversation_id=chat.id, role="user", content=f"queued {index}"))

        tasks = [asyncio.create_task(astore.run(blocker))]
        tasks += [asyncio.create_task(astore.run(writer(i))) for i in range(10)]
        await asyncio.sleep(0)  # let every task hand its call to the worker
        release.set()
        await astore.close()
        assert all(task.done() for task in tasks)
        return tasks

    tasks = asyncio.run(scenario())

    written = [task.result().content for task in tasks[1:]]
    assert written == [f"queued {i}" for i in range(10)]
    with Store(db_path) as store:
        assert [m.content for m in store.messages.all(1)] == written


def test_open_refusing_a_newer_database_raises_to_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.db"
    with Store(path) as store:
        store.db.execute_sql("PRAGMA user_version = 999")

    async def scenario() -> None:
        with pytest.raises(SchemaTooNewError):
            await AsyncStore.open(path)

    asyncio.run(scenario())


def test_path_property(db_path: Path) -> None:
    async def scenario() -> Path:
        astore = await AsyncStore.open(db_path)
        try:
            return astore.path
        finally:
            await astore.close()

    assert asyncio.run(scenario()) == db_path


def test_work_after_close_is_refused(db_path: Path) -> None:
    from app.store.async_store import StoreClosedError

    async def scenario() -> None:
        astore = await AsyncStore.open(db_path)
        await astore.close()
        with pytest.raises(StoreClosedError):
            await astore.run(lambda store: store.agents.list())

    asyncio.run(scenario())


def test_cancelling_the_caller_does_not_cancel_a_queued_write(db_path: Path) -> None:
    async def scenario() -> list[str]:
        astore = await AsyncStore.open(db_path)
        gate = threading.Event()
        try:
            blocker = asyncio.ensure_future(astore.run(lambda store: gate.wait(5)))
            write = asyncio.ensure_future(astore.run(
                lambda store: store.agents.create(AgentSpec(name="survivor"))))
            await asyncio.sleep(0.05)
            write.cancel()
            gate.set()
            await blocker
            with pytest.raises(asyncio.CancelledError):
                await write
            return await astore.run(lambda store: [a.name for a in store.agents.list()])
        finally:
            await astore.close()

    assert asyncio.run(scenario()) == ["survivor"]
