"""AsyncStore: all database work on one serial worker thread.

The UI thread never touches SQLite. Calls run in submission order on a single
thread that owns the connection; change notices are delivered on the event
loop's thread, after the write that caused them.
"""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from app.store.notices import ChangeNotice, Listener
from app.store.store import Store

T = TypeVar("T")


class StoreClosedError(RuntimeError):
    """Work was submitted after the store was closed."""


class AsyncStore:
    def __init__(self, store: Store, executor: ThreadPoolExecutor,
                 loop: asyncio.AbstractEventLoop) -> None:
        self._store = store
        self._executor = executor
        self._loop = loop
        self._listeners: list[Listener] = []
        self._closed = False
        store.subscribe(self._forward)

    @classmethod
    async def open(cls, path: Path | str, *, recover: bool = True) -> "AsyncStore":
        """Open on a new worker thread. ``recover=False`` leaves replies marked
        ``streaming`` alone (for a CLI run beside a running GUI)."""
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentdesk-db")
        try:
            store = await loop.run_in_executor(
                executor, functools.partial(Store, path, recover=recover))
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(store, executor, loop)

    @property
    def path(self) -> Path:
        return self._store.path

    async def run(self, work: Callable[[Store], T]) -> T:
        """Run ``work(store)`` on the worker thread and return its result.

        The job is shielded: cancelling the awaiting task never cancels a queued
        write, so a write the caller started always completes or fails whole.
        """
        if self._closed:
            raise StoreClosedError("the store is closed")
        job = self._loop.run_in_executor(self._executor, work, self._store)
        return await asyncio.shield(job)

    def run_blocking(self, work: Callable[[Store], T], timeout: float | None = None) -> T:
        """Run ``work(store)`` on the worker thread and wait for it on *this* thread.

        Only for the rare UI callback that must answer synchronously (Qt asks
        for a drag's data when the drag starts); everything else awaits
        ``run``. Never call it from the worker itself: it would wait on itself.
        """
        if self._closed:
            raise StoreClosedError("the store is closed")
        return self._executor.submit(work, self._store).result(timeout)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _forward(self, notice: ChangeNotice) -> None:
        # Runs on the worker thread; hand over to the loop's thread.
        self._loop.call_soon_threadsafe(self._deliver, notice)

    def _deliver(self, notice: ChangeNotice) -> None:
        for listener in list(self._listeners):
            listener(notice)

    async def close(self) -> None:
        """Finish queued work, close the connection, stop the worker."""
        if self._closed:
            return
        self._closed = True
        await self._loop.run_in_executor(self._executor, self._store.close)
        self._executor.shutdown(wait=True)
