"""Full-text search results."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

# Markers around matched terms inside SearchHit.snippet. Control characters so
# they can never collide with message text; views replace them with their own
# highlighting (bold in Qt, brackets on a terminal).
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"


class SearchHit(BaseModel):
    message_id: int
    conversation_id: int
    conversation_title: str
    agent_id: int
    role: str
    snippet: str
    rank: float  # bm25, more negative is better; 0.0 when the page is newest-first
    created_at: datetime

    def snippet_with(self, start: str, end: str) -> str:
        """The snippet with matches wrapped in ``start``/``end``."""
        return self.snippet.replace(HIGHLIGHT_START, start).replace(HIGHLIGHT_END, end)

    @property
    def plain_snippet(self) -> str:
        return self.snippet_with("", "")


#: How a page of hits is ordered: best matches first (bm25), or newest first
#: when the query matches too many messages to rank them quickly.
SearchOrder = Literal["rank", "newest"]


class SearchPage(BaseModel):
    """The first page of a search and how it was ordered.

    ``matches`` is exact when ``capped`` is false; otherwise more than
    ``matches`` messages match (the count stopped there) and ``order`` is
    ``"newest"``.
    """

    hits: list[SearchHit]
    order: SearchOrder
    matches: int
    capped: bool
