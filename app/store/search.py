"""Full-text search over all message content (FTS5, ranked, with snippets)."""

import re

from peewee import SqliteDatabase

from app.domain import SearchHit
from app.domain.search import HIGHLIGHT_END, HIGHLIGHT_START
from app.store.codec import time_from_db

_SNIPPET_TOKENS = 12
# A last word shorter than this (in UTF-8 bytes: one CJK character is three)
# must match whole; see to_fts_query.
_MIN_PREFIX_BYTES = 3
_WORD = re.compile(r"\w+", re.UNICODE)


def to_fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 query.

    Every word becomes a quoted phrase, so FTS5 operators and punctuation in the
    input (``AND``, ``(``, ``"``, ``*``, ``:``) are searched for as words, never
    parsed. Words are ANDed; the last one also matches as a prefix so results
    appear while typing — but only once it has a few letters: a one- or
    two-letter prefix matches a large part of any history, and ranking that
    many rows costs seconds (bench/store_scale.py measured 4.5 s for "t" over a
    million messages). Returns None when there is nothing to search for.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    quoted = [f'"{word}"' for word in words]
    if len(words[-1].encode("utf-8")) >= _MIN_PREFIX_BYTES:
        quoted[-1] += "*"
    return " ".join(quoted)


class SearchIndex:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def search(self, text: str, *, limit: int = 20, agent_id: int | None = None,
               include_archived: bool = True) -> list[SearchHit]:
        query = to_fts_query(text)
        if query is None:
            return []
        filters, params = "", [HIGHLIGHT_START, HIGHLIGHT_END, _SNIPPET_TOKENS, query]
        if agent_id is not None:
            filters += " AND c.agent_id = ?"
            params.append(agent_id)
        if not include_archived:
            filters += " AND c.archived = 0"
        params.append(limit)
        cursor = self._db.execute_sql(
            f"""
            SELECT m.id, m.conversation_id, c.title, c.agent_id, m.role,
                   snippet(messages_fts, 0, ?, ?, '…', ?) AS snip,
                   messages_fts.rank, m.created_at
            FROM messages_fts
            JOIN messages m ON m.id = messages_fts.rowid
            JOIN conversations c ON c.id = m.conversation_id
            WHERE messages_fts MATCH ?{filters}
            ORDER BY messages_fts.rank
            LIMIT ?""",
            params,
        )
        return [
            SearchHit(message_id=row[0], conversation_id=row[1], conversation_title=row[2],
                      agent_id=row[3], role=row[4], snippet=row[5], rank=row[6],
                      created_at=time_from_db(row[7]))
            for row in cursor.fetchall()
        ]
