"""Knowledge folders: what an agent may answer from (files and folders the
person added), how it retrieves, and what a search finds.

The indexing itself is in app/core/knowledge; the tables in app/store/knowledge.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.domain.clock import utc_now

#: off: the agent does not use its knowledge; auto: every turn searches it
#: with the person's message and the hits go into the system prompt; tool:
#: the agent gets a ``knowledge_search`` tool and decides when to search.
Retrieval = Literal["off", "auto", "tool"]
FileStatus = Literal["indexed", "error"]


class KnowledgeSettings(BaseModel):
    """An agent's retrieval choice and embedding model (none: keyword search only)."""

    agent_id: int
    retrieval: Retrieval = "off"
    embed_provider: str = Field(default="", max_length=255)
    embed_model: str = Field(default="", max_length=255)
    top_k: int = Field(default=5, ge=1, le=20)

    @property
    def embeds(self) -> bool:
        return bool(self.embed_provider and self.embed_model)

    @property
    def embed_key(self) -> str:
        """What names the vectors' space: chunks embedded under another key
        are embedded again (empty: no vectors)."""
        return f"{self.embed_provider}/{self.embed_model}" if self.embeds else ""


class KnowledgeSource(BaseModel):
    """A file or folder the person added to an agent's knowledge."""

    id: int | None = None
    agent_id: int
    path: str
    added_at: datetime = Field(default_factory=utc_now)
    files: int = 0            # indexed files under it
    errors: int = 0           # files that could not be indexed
    chunks: int = 0


class KnowledgeFile(BaseModel):
    """One file found under a source: indexed, or why not."""

    id: int | None = None
    source_id: int
    agent_id: int
    path: str
    mtime_ns: int = 0
    size: int = 0
    sha256: str = ""
    status: FileStatus = "indexed"
    error: str = ""
    embed_model: str = ""
    chunk_count: int = 0
    indexed_at: datetime = Field(default_factory=utc_now)


class Chunk(BaseModel):
    """A piece of a file's text and where it is (a page, a heading path)."""

    ordinal: int
    text: str
    location: str = ""
    page: int | None = None


class KnowledgeHit(BaseModel):
    """A chunk a search found, with its file and where in it."""

    chunk_id: int
    file_id: int
    path: str
    location: str = ""
    page: int | None = None
    text: str
    score: float = 0.0
    keyword_rank: int | None = None   # 1-based place in the keyword ranking
    vector_rank: int | None = None    # 1-based place in the vector ranking


class IndexProgress(BaseModel):
    """Where a run of the indexer is (reported after every file)."""

    agent_id: int
    total: int = 0
    done: int = 0
    indexed: int = 0          # files (re)indexed this run
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    current: str = ""
    state: Literal["scanning", "indexing", "paused", "cancelled", "finished"] = "scanning"
    errors: list[tuple[str, str]] = Field(default_factory=list)   # (path, reason)
