"""Full-text search over all message content (FTS5, ranked, with snippets).

The strategy (ranked, or newest first for very frequent terms) is in
``search_query``; ``search_reader`` runs it on its own read-only connection.
"""

import re

from peewee import SqliteDatabase

from app.domain import SearchHit
from app.domain.search import SearchPage
from app.store.search_query import RANK_LIMIT, search_page

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


# Words too common to tell chunks apart in a question (English); the rest are ORed.
_STOPWORDS = frozenset("""a an and are as at be by can could did do does for from had has have
how i if in into is it its me my of on or our so than that the their them then there these
they this to was we were what when where which who whom why will with would you your""".split())
_MAX_ANY_WORDS = 32


def question_words(text: str) -> list[str]:
    """A question's words worth searching for: casefolded, each once, common
    English words and single letters dropped."""
    words: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if word not in _STOPWORDS and word not in words and (len(word) > 1 or word.isdigit()):
            words.append(word)
    return words[:_MAX_ANY_WORDS]


def to_fts_any_query(words: list[str]) -> str | None:
    """An FTS5 query matching *any* of ``words`` (bm25 ranks those with more,
    and rarer, ones first), quoted as in ``to_fts_query``: never FTS syntax."""
    return " OR ".join(f'"{word}"' for word in words) if words else None


class SearchIndex:
    """Search on the store's own connection (the CLI's and tests' synchronous
    path). The window searches through a ``SearchReader`` instead, so a search
    never holds up the store's worker."""

    def __init__(self, db: SqliteDatabase, *, rank_limit: int = RANK_LIMIT) -> None:
        self._db = db
        self.rank_limit = rank_limit

    def search(self, text: str, *, limit: int = 20, agent_id: int | None = None,
               include_archived: bool = True) -> list[SearchHit]:
        """The hits of ``page`` (best first, or newest first for a frequent term)."""
        return self.page(text, limit=limit, agent_id=agent_id,
                         include_archived=include_archived).hits

    def page(self, text: str, *, limit: int = 20, agent_id: int | None = None,
             include_archived: bool = True) -> SearchPage:
        query = to_fts_query(text)
        if query is None:
            return SearchPage(hits=[], order="rank", matches=0, capped=False)
        return search_page(self._db.connection(), query, limit=limit, agent_id=agent_id,
                           include_archived=include_archived, rank_limit=self.rank_limit)
