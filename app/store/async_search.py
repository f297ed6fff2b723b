"""AsyncSearchReader: the window's searches, on their own thread and connection.

One thread (``agentdesk-search``) owns a ``SearchReader``, opened there on the
first search. Starting a search cancels the one before it (typing on makes the
old query worthless): a running statement stops at its next progress check, a
queued one never starts, and both raise ``SearchCancelled`` to their caller.
The store's worker is never involved, so a reply's writes do not wait.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.domain.search import SearchPage
from app.store.search_query import RANK_LIMIT
from app.store.search_reader import SearchCancel, SearchCancelled, SearchReader


class AsyncSearchReader:
    def __init__(self, path: Path | str, loop: asyncio.AbstractEventLoop, *,
                 rank_limit: int = RANK_LIMIT,
                 progress_hook: Callable[[], None] | None = None) -> None:
        self._path = Path(path)
        self._loop = loop
        self._rank_limit = rank_limit
        self._progress_hook = progress_hook
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentdesk-search")
        self._reader: SearchReader | None = None  # touched on the search thread only
        self._current: SearchCancel | None = None
        self._closed = False

    async def search(self, text: str, *, limit: int = 20, agent_id: int | None = None,
                     include_archived: bool = True) -> SearchPage:
        """The first page for ``text``; raises ``SearchCancelled`` when a newer
        search (or ``cancel``) superseded it before it finished."""
        if self._closed:
            raise SearchCancelled("the search reader is closed")
        self.cancel()
        token = self._current = SearchCancel()
        work = functools.partial(self._search, text, limit=limit, agent_id=agent_id,
                                 include_archived=include_archived, cancel=token)
        try:
            return await self._loop.run_in_executor(self._executor, work)
        except asyncio.CancelledError:
            token.cancel()  # the awaiting task went away: stop the query too
            raise
        finally:
            if self._current is token:
                self._current = None

    def cancel(self) -> None:
        """Stop the running or queued search, if any (safe from the loop's thread)."""
        if self._current is not None:
            self._current.cancel()

    def _search(self, text: str, **kwargs) -> SearchPage:
        if self._reader is None:
            self._reader = SearchReader(self._path, rank_limit=self._rank_limit,
                                        progress_hook=self._progress_hook)
        return self._reader.search(text, **kwargs)

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    async def close(self) -> None:
        """Cancel what runs, close the connection on its own thread, stop the thread."""
        if self._closed:
            return
        self._closed = True
        self.cancel()
        await self._loop.run_in_executor(self._executor, self._close_reader)
        self._executor.shutdown(wait=True)
