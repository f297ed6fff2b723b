"""StoreBridge: the Qt side of the AsyncStore.

Widgets and models never touch the store directly. They await the bridge's
async helpers (which run on the store's serial worker thread) and listen to
``sig_changed``, which re-emits every store ChangeNotice on the UI thread.
The bridge starts the store's watch for writes made by other processes (the
CLI, a second window): those arrive as an ``external`` notice, on which each
view reloads what it shows.

The bridge also owns the asyncio tasks that models and windows start
(``spawn``), so a shutdown can cancel and await all of them before the store is
closed: no "Task was destroyed but it is pending" at exit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from app.domain import AgentSpec
from app.domain.search import SearchPage
from app.ops import agents
from app.store import AsyncStore, ChangeNotice, Store
from app.store.async_store import StoreClosedError

T = TypeVar("T")

log = logging.getLogger(__name__)


class StoreBridge(QObject):
    """Owns the AsyncStore reference; re-emits its change notices as a Qt signal."""

    #: A store ChangeNotice, emitted on the UI thread after the write committed.
    sig_changed = Signal(object)
    #: A one-line description of a background task that failed.
    sig_error = Signal(str)

    def __init__(self, store: AsyncStore, parent: QObject | None = None, *,
                 watch_external: bool = True) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks: set[asyncio.Task[Any]] = set()
        if watch_external:
            store.watch_external()
        self._unsubscribe: Callable[[], None] | None = store.subscribe(self._on_notice)

    @property
    def store(self) -> AsyncStore:
        return self._store

    # -- notices -----------------------------------------------------------------
    def _on_notice(self, notice: ChangeNotice) -> None:
        # AsyncStore delivers notices on its event loop's thread, which under
        # qasync is the UI thread; Qt would queue the signal otherwise.
        self.sig_changed.emit(notice)

    # -- async helpers (all database work on the store's worker thread) -----------
    async def run(self, work: Callable[[Store], T]) -> T:
        return await self._store.run(work)

    async def search(self, text: str, *, limit: int) -> SearchPage:
        """Full-text search on the store's search thread (not the worker); raises
        ``SearchCancelled`` when a newer search superseded this one."""
        return await self._store.searcher.search(text, limit=limit)

    def cancel_search(self) -> None:
        """Stop the search in progress, if any (the user typed on)."""
        try:
            self._store.searcher.cancel()
        except StoreClosedError:
            return  # closed with the store: nothing is running

    async def list_agents(self) -> list[AgentSpec]:
        return await self._store.run(agents.list_agents)

    async def get_agents(self, agent_ids: Iterable[int]) -> dict[int, AgentSpec]:
        """The agents with these ids that still exist, by id."""
        return await self._store.run(partial(agents.get_many, agent_ids=tuple(agent_ids)))

    async def change_agent_settings(self, agent_id: int, fields: dict[str, Any]) -> AgentSpec:
        return await self._store.run(partial(agents.change_settings, agent_id=agent_id,
                                             fields=fields))

    # -- task ownership ------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Run ``coro`` as a task owned by the bridge (cancelled by ``shutdown``).

        A failure is logged and reported through ``sig_error`` instead of being
        lost in an unobserved task.
        """
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background task %s failed", task.get_name(),
                      exc_info=(type(exc), exc, exc.__traceback__))
            self.sig_error.emit(str(exc) or type(exc).__name__)

    @property
    def pending_tasks(self) -> int:
        return len(self._tasks)

    async def shutdown(self) -> None:
        """Stop listening to the store and cancel and await every spawned task."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
