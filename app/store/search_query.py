"""The search strategy: the first page of any query, fast at any history size.

bm25 must score *every* match before ``ORDER BY rank … LIMIT`` applies (about
2 µs each: over a second for a word in most of a million messages), so a query
first reads its newest matches in rowid order — which FTS5 walks lazily and
stops early — up to ``rank_limit + 1`` of them:

- at most ``rank_limit`` matches: rank them by bm25 (the old behaviour);
- more: answer with the newest ones (``order="newest"``), which that same read
  already produced; views say so ("newest first — too many matches to rank").

Snippets are computed for the shown page only: in the first read, a small SQL
function lets ``snippet()`` run for the first ``limit`` rows and skips it for
the rows that are only counted. One statement, so a prefix query (whose
doclists FTS5 merges up front, ~75 ms for ``the*`` over a million messages)
pays that merge once; the page's titles and roles are then looked up by id.
Works on any ``sqlite3.Connection``: the store's own (the
``SearchIndex`` facade) or a ``SearchReader``'s read-only one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from app.domain import SearchHit
from app.domain.search import HIGHLIGHT_END, HIGHLIGHT_START, SearchPage
from app.store.codec import time_or_damaged

#: Above this many matches a query is answered newest-first instead of ranked
#: (ranking 10,000 matches costs ~25 ms on the 2-core machine of docs/PERFORMANCE.md).
RANK_LIMIT = 10_000
SNIPPET_TOKENS = 12
_SLOT_FUNCTION = "agentdesk_search_page_slot"
_SNIPPET = "snippet(messages_fts, 0, ?, ?, '…', ?)"
_JOIN = """
    JOIN messages m ON m.id = messages_fts.rowid
    JOIN conversations c ON c.id = m.conversation_id"""
_RANKED = ("SELECT m.id, m.conversation_id, c.title, c.agent_id, m.role, " + _SNIPPET
           + ", messages_fts.rank, m.created_at FROM messages_fts" + _JOIN
           + " WHERE messages_fts MATCH ?{filters} ORDER BY messages_fts.rank LIMIT ?")
# The counting read: only the rowid, and the snippet for the first rows. The
# joins are there only when a filter needs them (they cost ~1 µs per match).
_NEWEST = ("SELECT messages_fts.rowid, CASE WHEN " + _SLOT_FUNCTION + "() THEN " + _SNIPPET
           + " END FROM messages_fts{join} WHERE messages_fts MATCH ?{filters}"
           " ORDER BY messages_fts.rowid DESC LIMIT ?")
_DETAILS = ("SELECT m.id, m.conversation_id, c.title, c.agent_id, m.role, m.created_at"
            " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.id IN ({marks})")


def search_page(connection: sqlite3.Connection, fts_query: str, *, limit: int,
                agent_id: int | None = None, include_archived: bool = True,
                rank_limit: int = RANK_LIMIT) -> SearchPage:
    """The first ``limit`` hits for an FTS5 expression (see ``to_fts_query``)."""
    if limit < 1 or rank_limit < 1:
        raise ValueError("limit and rank_limit must be at least 1")
    filters, filter_params = _filters(agent_id, include_archived)
    snippet_params: list[object] = [HIGHLIGHT_START, HIGHLIGHT_END, SNIPPET_TOKENS]
    shown = 0

    def page_slot() -> bool:
        nonlocal shown
        shown += 1
        return shown <= limit

    connection.create_function(_SLOT_FUNCTION, 0, page_slot)
    newest = connection.execute(
        _NEWEST.format(join=_JOIN if filters else "", filters=filters),
        [*snippet_params, fts_query, *filter_params, rank_limit + 1]).fetchall()
    if len(newest) > rank_limit:
        return SearchPage(hits=_details(connection, newest[:limit]), order="newest",
                          matches=rank_limit, capped=True)
    if not newest:
        return SearchPage(hits=[], order="rank", matches=0, capped=False)
    ranked = connection.execute(_RANKED.format(filters=filters),
                                [*snippet_params, fts_query, *filter_params, limit])
    return SearchPage(hits=[_hit(row[:5], row[5], row[6], row[7]) for row in ranked],
                      order="rank", matches=len(newest), capped=False)


def _details(connection: sqlite3.Connection, page: list[tuple]) -> list[SearchHit]:
    """Hits for (rowid, snippet) rows, newest first, rank 0.0 (not ranked)."""
    marks = ", ".join("?" * len(page))
    rows = {row[0]: row for row in connection.execute(
        _DETAILS.format(marks=marks), [rowid for rowid, _ in page])}
    return [_hit(rows[rowid][:5], snippet, 0.0, rows[rowid][5])
            for rowid, snippet in page if rowid in rows]


def _filters(agent_id: int | None, include_archived: bool) -> tuple[str, list[object]]:
    sql, params = "", []
    if agent_id is not None:
        sql += " AND c.agent_id = ?"
        params.append(agent_id)
    if not include_archived:
        sql += " AND c.archived = 0"
    return sql, params


def _hit(row: Sequence, snippet: str | None, rank: float, created_at: str) -> SearchHit:
    """``row`` is (message id, conversation id, title, agent id, role)."""
    return SearchHit(message_id=row[0], conversation_id=row[1], conversation_title=row[2],
                     agent_id=row[3], role=row[4], snippet=snippet or "", rank=rank,
                     created_at=time_or_damaged(created_at, "time", []))
