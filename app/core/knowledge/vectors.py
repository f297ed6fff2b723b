"""Vector search with numpy over embeddings kept in the database.

sqlite-vec cannot be loaded here (this Python has no
``enable_load_extension``), so the embeddings are float32 BLOBs in
``knowledge_chunks`` and a query is one matrix-vector product. The matrix of
an agent's chunks is read once and kept (``VectorCache``) until the agent's
chunks change (the count and largest id of its files: ``KnowledgeRepository.vector_stamp``).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import numpy as np

from app.store import Store

T = TypeVar("T")
StoreRun = Callable[[Callable[[Store], T]], Awaitable[T]]
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32))


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def top_matches(ids: np.ndarray, matrix: np.ndarray, query: np.ndarray,
                k: int) -> list[tuple[int, float]]:
    """The ``k`` chunk ids whose unit vectors are closest to ``query`` (cosine), best first."""
    if not len(ids) or matrix.shape[1] != query.shape[-1]:
        return []
    scores = matrix @ query.reshape(-1)
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best])]
    return [(int(ids[i]), float(scores[i])) for i in best]


class VectorCache:
    """Each agent's (ids, unit-vector matrix) for one embedding key, per database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, int, str], tuple[tuple[int, int], tuple]] = {}

    async def matrix(self, run: StoreRun, agent_id: int,
                     key: str) -> tuple[np.ndarray, np.ndarray]:
        def read(store: Store) -> tuple[str, tuple[int, int], tuple | None]:
            where = str(store.path)
            stamp = store.knowledge.vector_stamp(agent_id)
            with self._lock:
                entry = self._entries.get((where, agent_id, key))
            if entry is not None and entry[0] == stamp:
                return where, stamp, entry[1]
            return where, stamp, _load(store.knowledge.vectors(agent_id, key))

        where, stamp, loaded = await run(read)
        assert loaded is not None
        with self._lock:
            self._entries[(where, agent_id, key)] = (stamp, loaded)
        return loaded

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _load(rows: list[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return _EMPTY
    dimension = len(rows[0][1]) // 4
    kept = [(i, blob) for i, blob in rows if len(blob) == dimension * 4]
    ids = np.fromiter((i for i, _ in kept), dtype=np.int64, count=len(kept))
    matrix = np.frombuffer(b"".join(blob for _, blob in kept), dtype=np.float32)
    return ids, matrix.reshape(len(kept), dimension)


#: The process's cache (the window, the CLI, the API share it).
VECTORS = VectorCache()
