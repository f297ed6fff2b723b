"""SearchReader: full-text search on its own read-only connection.

The store's writer connection lives on one serial worker; a search there made
every write (a streaming reply's flushes) wait until it finished. A reader has
its own connection, opened ``mode=ro`` with ``PRAGMA query_only``, so WAL lets
it read while the worker writes. Each search gets a ``SearchCancel``; a
progress handler checks it every ``PROGRESS_STEPS`` virtual-machine steps, and
a cancelled search stops with ``SearchCancelled`` instead of returning stale
hits. Not thread-safe: use one reader from one thread at a time (the window's
``AsyncSearchReader`` gives it its own thread; the CLI calls it directly).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from app.domain.search import SearchPage
from app.store.database import BUSY_TIMEOUT_MS
from app.store.search import to_fts_query
from app.store.search_query import RANK_LIMIT, search_page

#: SQLite virtual-machine steps between two checks for cancellation (~0.1 ms).
PROGRESS_STEPS = 1000


class SearchCancelled(Exception):
    """The search was superseded (newer typing) or cancelled before it finished."""


class SearchCancel:
    """A flag one search checks while it runs; any thread may set it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class SearchReader:
    def __init__(self, path: Path | str, *, rank_limit: int = RANK_LIMIT,
                 progress_hook: Callable[[], None] | None = None) -> None:
        """Open ``path`` read-only. The database must exist (the ``Store`` creates
        and migrates it). ``progress_hook`` is called from the progress handler,
        on the searching thread, while a statement runs (tests hold a search
        mid-query with it)."""
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        self._connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            self._connection.execute("PRAGMA query_only = 1")
        except BaseException:
            self._connection.close()
            raise
        self.rank_limit = rank_limit
        self._progress_hook = progress_hook
        self._closed = False

    @property
    def connection(self) -> sqlite3.Connection:
        """The read-only connection (for diagnostics; it refuses writes)."""
        return self._connection

    def search(self, text: str, *, limit: int = 20, agent_id: int | None = None,
               include_archived: bool = True,
               cancel: SearchCancel | None = None) -> SearchPage:
        """The first page for what a person typed (see ``to_fts_query``)."""
        query = to_fts_query(text)
        if query is None:
            return SearchPage(hits=[], order="rank", matches=0, capped=False)
        return self.search_fts(query, limit=limit, agent_id=agent_id,
                               include_archived=include_archived, cancel=cancel)

    def search_fts(self, fts_query: str, *, limit: int = 20, agent_id: int | None = None,
                   include_archived: bool = True,
                   cancel: SearchCancel | None = None) -> SearchPage:
        """Like ``search`` for an FTS5 expression already built (the bench's way
        to time a query the app's own rules would not build)."""
        token = cancel or SearchCancel()
        if token.cancelled:
            raise SearchCancelled()

        def progress() -> int:
            if self._progress_hook is not None:
                self._progress_hook()
            return 1 if token.cancelled else 0  # non-zero: SQLite stops the statement

        self._connection.set_progress_handler(progress, PROGRESS_STEPS)
        try:
            page = search_page(self._connection, fts_query, limit=limit, agent_id=agent_id,
                               include_archived=include_archived, rank_limit=self.rank_limit)
        except sqlite3.OperationalError as exc:
            if token.cancelled and "interrupt" in str(exc):
                raise SearchCancelled() from exc
            raise
        finally:
            self._connection.set_progress_handler(None, 0)
        if token.cancelled:  # cancelled after the last check: the page is stale
            raise SearchCancelled()
        return page

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._connection.close()

    def __enter__(self) -> SearchReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
