"""Knowledge folders in the database: settings, sources, files, chunks.

Chunks are written in bulk (one ``executemany`` per file, in the same
transaction that replaces the file's row), their text indexed by FTS5
(``knowledge_fts``, kept in sync by triggers, schema v13), their embedding kept
as float32 bytes in ``knowledge_chunks.embedding``: sqlite-vec cannot load on
these machines' Python (no ``enable_load_extension``), so vectors are searched
with numpy in app/core/knowledge/vectors.py. Every write emits a ``knowledge``
notice whose parent is the agent.
"""

from __future__ import annotations

from collections.abc import Sequence

from peewee import IntegrityError, SqliteDatabase

from app.domain.clock import utc_now
from app.domain.knowledge import (
    Chunk,
    KnowledgeFile,
    KnowledgeHit,
    KnowledgeSettings,
    KnowledgeSource,
)
from app.store.codec import time_or_damaged, time_to_db
from app.store.errors import NotFoundError
from app.store.notices import NoticeHub
from app.store.search import question_words, to_fts_any_query

#: A word in more than this share of all chunks is left out of keyword queries.
COMMON_SHARE = 0.05
MIN_COMMON_CHUNKS = 200   # ... but a word in fewer chunks is always kept (cheap to rank)

_KEYWORD = ("SELECT knowledge_fts.rowid, knowledge_fts.rank FROM knowledge_fts"
            " JOIN knowledge_chunks k ON k.id = knowledge_fts.rowid"
            " WHERE knowledge_fts MATCH ? AND k.agent_id = ?"
            " ORDER BY knowledge_fts.rank LIMIT ?")
_CAPPED_COUNT = ("SELECT COUNT(*) FROM (SELECT rowid FROM knowledge_fts WHERE knowledge_fts "
                 "MATCH ? LIMIT ?)")
_HITS = ("SELECT k.id, k.file_id, f.path, k.location, k.page, k.text FROM knowledge_chunks k"
         " JOIN knowledge_files f ON f.id = k.file_id WHERE k.id IN ({marks})")
_FILE_COLUMNS = ("id, source_id, agent_id, path, mtime_ns, size, sha256, status, error, "
                 "embed_model, chunk_count, indexed_at")


class KnowledgeRepository:
    def __init__(self, db: SqliteDatabase, hub: NoticeHub) -> None:
        self._db, self._hub = db, hub

    def _sql(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return self._db.execute_sql(sql, list(params)).fetchall()

    def _agent_exists(self, agent_id: int) -> None:
        if not self._sql("SELECT 1 FROM agents WHERE id = ?", [agent_id]):
            raise NotFoundError("agent", agent_id)

    # -- settings --------------------------------------------------------------
    def settings(self, agent_id: int) -> KnowledgeSettings:
        rows = self._sql("SELECT retrieval, embed_provider, embed_model, top_k FROM "
                         "knowledge_settings WHERE agent_id = ?", [agent_id])
        if not rows:
            return KnowledgeSettings(agent_id=agent_id)
        retrieval, provider, model, top_k = rows[0]
        if retrieval not in ("off", "auto", "tool"):
            retrieval = "off"
        return KnowledgeSettings(agent_id=agent_id, retrieval=retrieval,
                                 embed_provider=provider, embed_model=model,
                                 top_k=min(max(int(top_k), 1), 20))

    def save_settings(self, settings: KnowledgeSettings) -> KnowledgeSettings:
        self._agent_exists(settings.agent_id)
        self._sql("INSERT INTO knowledge_settings (agent_id, retrieval, embed_provider, "
                  "embed_model, top_k) VALUES (?, ?, ?, ?, ?) ON CONFLICT (agent_id) DO "
                  "UPDATE SET retrieval = excluded.retrieval, embed_provider = "
                  "excluded.embed_provider, embed_model = excluded.embed_model, top_k = "
                  "excluded.top_k",
                  [settings.agent_id, settings.retrieval, settings.embed_provider,
                   settings.embed_model, settings.top_k])
        self._hub.emit("knowledge", "update", [], settings.agent_id)
        return settings

    # -- sources ---------------------------------------------------------------
    def add_source(self, agent_id: int, path: str) -> KnowledgeSource:
        """Add a file or folder (an absolute path); the one already there if added before."""
        self._agent_exists(agent_id)
        existing = self.find_source(agent_id, path)
        if existing is not None:
            return existing
        now = utc_now()
        try:
            cursor = self._db.execute_sql(
                "INSERT INTO knowledge_sources (agent_id, path, added_at) VALUES (?, ?, ?)",
                [agent_id, path, time_to_db(now)])
        except IntegrityError as exc:
            raise NotFoundError("agent", agent_id) from exc
        self._hub.emit("knowledge", "insert", [cursor.lastrowid], agent_id)
        return KnowledgeSource(id=cursor.lastrowid, agent_id=agent_id, path=path, added_at=now)

    def find_source(self, agent_id: int, path: str) -> KnowledgeSource | None:
        return next((s for s in self.sources(agent_id) if s.path == path), None)

    def sources(self, agent_id: int) -> list[KnowledgeSource]:
        """The agent's sources with their file, error and chunk counts."""
        rows = self._sql(
            "SELECT s.id, s.path, s.added_at,"
            " COALESCE(SUM(f.status = 'indexed'), 0), COALESCE(SUM(f.status = 'error'), 0),"
            " COALESCE(SUM(f.chunk_count), 0)"
            " FROM knowledge_sources s LEFT JOIN knowledge_files f ON f.source_id = s.id"
            " WHERE s.agent_id = ? GROUP BY s.id ORDER BY s.id", [agent_id])
        return [KnowledgeSource(id=r[0], agent_id=agent_id, path=r[1],
                                added_at=time_or_damaged(r[2], "added time", []),
                                files=r[3], errors=r[4], chunks=r[5]) for r in rows]

    def remove_source(self, source_id: int) -> KnowledgeSource:
        """Remove a source with its files and chunks; returns what went."""
        rows = self._sql("SELECT agent_id FROM knowledge_sources WHERE id = ?", [source_id])
        if not rows:
            raise NotFoundError("knowledge source", source_id)
        agent_id = rows[0][0]
        gone = next(s for s in self.sources(agent_id) if s.id == source_id)
        with self._db.atomic():
            self._sql("DELETE FROM knowledge_sources WHERE id = ?", [source_id])
        self._hub.emit("knowledge", "delete", [source_id], agent_id)
        return gone

    # -- files -----------------------------------------------------------------
    def files(self, agent_id: int, source_id: int | None = None) -> list[KnowledgeFile]:
        where, params = "agent_id = ?", [agent_id]
        if source_id is not None:
            where += " AND source_id = ?"
            params.append(source_id)
        rows = self._sql(f"SELECT {_FILE_COLUMNS} FROM knowledge_files WHERE {where} "
                         "ORDER BY path", params)
        return [_to_file(row) for row in rows]

    def store_file(self, record: KnowledgeFile, chunks: Sequence[Chunk],
                   vectors: Sequence[bytes | None] | None = None) -> int:
        """Replace what is stored for ``record.path`` by ``record`` and its
        chunks (with ``vectors[i]`` for ``chunks[i]``), in one transaction."""
        embeddings = list(vectors) if vectors is not None else [None] * len(chunks)
        if len(embeddings) != len(chunks):
            raise ValueError("one vector per chunk")
        with self._db.atomic():
            self._sql("DELETE FROM knowledge_files WHERE agent_id = ? AND path = ?",
                      [record.agent_id, record.path])
            cursor = self._db.execute_sql(
                "INSERT INTO knowledge_files (source_id, agent_id, path, mtime_ns, size, "
                "sha256, status, error, embed_model, chunk_count, indexed_at) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [record.source_id, record.agent_id, record.path, record.mtime_ns,
                 record.size, record.sha256, record.status, record.error[:2000],
                 record.embed_model, len(chunks), time_to_db(utc_now())])
            file_id = int(cursor.lastrowid)
            self._db.connection().executemany(
                "INSERT INTO knowledge_chunks (file_id, agent_id, ordinal, location, page, "
                "text, embedding) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(file_id, record.agent_id, c.ordinal, c.location, c.page, c.text, v)
                 for c, v in zip(chunks, embeddings, strict=True)])
        self._hub.emit("knowledge", "update", [file_id], record.agent_id)
        return file_id

    def touch_file(self, file_id: int, mtime_ns: int, size: int) -> None:
        """The file's time changed, its content did not."""
        self._sql("UPDATE knowledge_files SET mtime_ns = ?, size = ? WHERE id = ?",
                  [mtime_ns, size, file_id])

    def remove_files(self, agent_id: int, file_ids: Sequence[int]) -> int:
        if not file_ids:
            return 0
        with self._db.atomic():
            for start in range(0, len(file_ids), 500):
                part = list(file_ids[start:start + 500])
                self._sql(f"DELETE FROM knowledge_files WHERE agent_id = ? AND id IN "
                          f"({', '.join('?' * len(part))})", [agent_id, *part])
        self._hub.emit("knowledge", "delete", list(file_ids), agent_id)
        return len(file_ids)

    # -- searching -------------------------------------------------------------
    def keyword_ids(self, agent_id: int, question: str, limit: int) -> list[int]:
        """Chunk ids holding any of the question's telling words, best (bm25) first.

        A word in more than ``COMMON_SHARE`` of all chunks tells little and
        would make bm25 score nearly every chunk (~1 s per 100,000), so it is
        left out while rarer words remain (with none, the two rarest are searched)."""
        words = question_words(question)
        if not words:
            return []
        total = self._sql("SELECT COALESCE(MAX(id), 0) FROM knowledge_chunks")[0][0]
        common = int(max(COMMON_SHARE * total, MIN_COMMON_CHUNKS))
        # Chunks per word, counted only up to ``common`` + 1: FTS5 reads a
        # doclist lazily, so a common word costs no more than that many rows.
        counts = {word: self._sql(_CAPPED_COUNT, [f'"{word}"', common + 1])[0][0]
                  for word in words}
        by_rarity = sorted(words, key=lambda w: counts[w])
        telling = [w for w in by_rarity if counts[w] <= common]
        query = to_fts_any_query(telling or by_rarity[:2])
        if query is None:
            return []
        return [row[0] for row in self._sql(_KEYWORD, [query, agent_id, limit])]

    def vector_stamp(self, agent_id: int) -> tuple[int, int]:
        """(files, largest file id) of the agent: changes whenever its chunks do
        (a file's chunks are only ever written with a new file row, and go with
        it). Cheap: the files, not the chunks, are counted."""
        row = self._sql("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM knowledge_files "
                        "WHERE agent_id = ?", [agent_id])[0]
        return int(row[0]), int(row[1])

    def has_chunks(self, agent_id: int) -> bool:
        return bool(self._sql("SELECT 1 FROM knowledge_chunks WHERE agent_id = ? LIMIT 1",
                              [agent_id]))

    def vectors(self, agent_id: int, embed_model: str) -> list[tuple[int, bytes]]:
        """(chunk id, embedding bytes) of the agent's chunks embedded with ``embed_model``."""
        return self._sql(
            "SELECT k.id, k.embedding FROM knowledge_chunks k JOIN knowledge_files f "
            "ON f.id = k.file_id WHERE k.agent_id = ? AND f.embed_model = ? "
            "AND k.embedding IS NOT NULL", [agent_id, embed_model])

    def hits(self, chunk_ids: Sequence[int]) -> dict[int, KnowledgeHit]:
        if not chunk_ids:
            return {}
        rows = self._sql(_HITS.format(marks=", ".join("?" * len(chunk_ids))), list(chunk_ids))
        return {r[0]: KnowledgeHit(chunk_id=r[0], file_id=r[1], path=r[2], location=r[3],
                                   page=r[4], text=r[5]) for r in rows}

    def chunk_count(self, agent_id: int) -> int:
        return int(self._sql("SELECT COUNT(*) FROM knowledge_chunks WHERE agent_id = ?",
                             [agent_id])[0][0])


def _to_file(row: tuple) -> KnowledgeFile:
    status = row[7] if row[7] in ("indexed", "error") else "error"
    return KnowledgeFile(id=row[0], source_id=row[1], agent_id=row[2], path=row[3],
                         mtime_ns=row[4], size=row[5], sha256=row[6], status=status,
                         error=row[8], embed_model=row[9], chunk_count=row[10],
                         indexed_at=time_or_damaged(row[11], "indexed time", []))
