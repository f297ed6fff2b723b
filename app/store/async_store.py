"""AsyncStore: all database work on one serial worker thread.

The UI thread never touches SQLite. Calls run in submission order on a single
thread that owns the connection; change notices are delivered on the event
loop's thread, after the transaction of the write that caused them committed
(app/store/notices.py).
Full-text search is the one exception: ``searcher`` runs it on its own
thread and read-only connection, so a long search never delays a write.

``watch_external`` polls ``PRAGMA data_version`` on the worker (skipped while
work is queued, so it never delays a reply's writes) and delivers an
``external`` notice when another process committed to the database.
"""

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from app.store.async_search import AsyncSearchReader
from app.store.notices import ChangeNotice, Listener
from app.store.store import Recover, Store

T = TypeVar("T")
log = logging.getLogger(__name__)

#: How often the window looks for writes made by other processes (the CLI, ...).
EXTERNAL_POLL_SECONDS = 0.5
#: Ticks skipped in a row because the worker was busy before it checks anyway
#: (queued behind the work): a long stream of writes cannot hide an external change.
MAX_SKIPPED_POLLS = 2


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
        self._searcher: AsyncSearchReader | None = None
        self._in_flight = 0                  # jobs submitted by run() not done yet
        self._poll_interval: float | None = None
        self._poll_handle: asyncio.TimerHandle | None = None
        self._skipped_polls = 0
        #: Checks for external changes completed so far (tests wait on it).
        self.external_checks = 0
        store.subscribe(self._forward)

    @classmethod
    async def open(cls, path: Path | str, *, recover: Recover = True) -> "AsyncStore":
        """Open on a new worker thread. ``recover`` as for ``Store``:
        ``False`` leaves replies marked ``streaming`` alone (for a CLI run
        beside a running GUI), ``"unless_shared"`` (the window) recovers them
        unless another process has the database open."""
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
        self._in_flight += 1
        job.add_done_callback(self._job_done)
        return await asyncio.shield(job)

    def _job_done(self, _job: "asyncio.Future[object]") -> None:
        self._in_flight -= 1

    def run_blocking(self, work: Callable[[Store], T], timeout: float | None = None) -> T:
        """Run ``work(store)`` on the worker thread and wait for it on *this* thread.

        Only for the rare UI callback that must answer synchronously (Qt asks
        for a drag's data when the drag starts); everything else awaits
        ``run``. Never call it from the worker itself: it would wait on itself.
        """
        if self._closed:
            raise StoreClosedError("the store is closed")
        return self._executor.submit(work, self._store).result(timeout)

    # -- writes made elsewhere -------------------------------------------------------
    def watch_external(self, interval: float = EXTERNAL_POLL_SECONDS) -> None:
        """Check every ``interval`` seconds whether another connection committed
        (``Store.check_external_changes``); a change reaches the listeners as an
        ``external`` notice. Runs on the loop's timers until ``close``."""
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._poll_interval = interval
        if self._poll_handle is None and not self._closed:
            self._poll_handle = self._loop.call_later(interval, self._poll)

    @property
    def watching_external(self) -> bool:
        return self._poll_interval is not None and not self._closed

    def _poll(self) -> None:
        self._poll_handle = None
        if self._closed or self._poll_interval is None or self._loop.is_closed():
            return
        if self._in_flight and self._skipped_polls < MAX_SKIPPED_POLLS:
            self._skipped_polls += 1        # busy: look again next tick
            self._schedule_poll()
            return
        self._skipped_polls = 0
        check = self._loop.run_in_executor(self._executor, _check_external, self._store)
        check.add_done_callback(self._polled)

    def _polled(self, check: "asyncio.Future[None]") -> None:
        self.external_checks += 1
        exc = None if check.cancelled() else check.exception()
        if exc is not None:
            log.warning("checking for external changes failed: %s", exc)
        self._schedule_poll()

    def _schedule_poll(self) -> None:
        if not self._closed and self._poll_interval is not None \
                and not self._loop.is_closed():
            self._poll_handle = self._loop.call_later(self._poll_interval, self._poll)

    @property
    def searcher(self) -> AsyncSearchReader:
        """Full-text search on its own thread and read-only connection (opened on
        first use): a search never waits for, nor holds up, the worker."""
        if self._closed:
            raise StoreClosedError("the store is closed")
        if self._searcher is None:
            self._searcher = AsyncSearchReader(self._store.path, self._loop)
        return self._searcher

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
        if self._searcher is not None:
            await self._searcher.close()
        if self._poll_handle is not None:
            self._poll_handle.cancel()
            self._poll_handle = None
        await self._loop.run_in_executor(self._executor, self._store.close)
        self._executor.shutdown(wait=True)


def _check_external(store: Store) -> None:
    """On the worker: the check, unless the store was closed meanwhile."""
    if not store.db.is_closed():
        store.check_external_changes()
