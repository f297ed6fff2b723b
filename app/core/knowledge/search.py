"""Searching an agent's knowledge: keyword, vector, and both fused.

Keyword: FTS5 bm25 over the chunks (any of the question's telling words:
``KnowledgeRepository.keyword_ids``). Vector: cosine over the
chunks embedded with the agent's current model (app/core/knowledge/vectors.py).
Hybrid: reciprocal-rank fusion — each list gives a chunk ``1 / (RRF_K + rank)``
and the sums are ranked — which needs no score calibration between bm25 and
cosine. Without an embedder the keyword ranking is the answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.knowledge.embedders import Embedder
from app.core.knowledge.vectors import VECTORS, StoreRun, VectorCache, top_matches
from app.domain.knowledge import KnowledgeHit
from app.store import Store

RRF_K = 60
CANDIDATES = 4          # each ranking contributes limit * CANDIDATES candidates
MAX_LIMIT = 50


def fuse(keyword: Sequence[int], vector: Sequence[int],
         limit: int) -> list[tuple[int, float, int | None, int | None]]:
    """Reciprocal-rank fusion: (chunk id, score, keyword rank, vector rank), best first."""
    ranks: dict[int, list[int | None]] = {}
    for place, chunk_id in enumerate(keyword, start=1):
        ranks.setdefault(chunk_id, [None, None])[0] = place
    for place, chunk_id in enumerate(vector, start=1):
        ranks.setdefault(chunk_id, [None, None])[1] = place
    scored = [(chunk_id, sum(1.0 / (RRF_K + r) for r in pair if r is not None), pair[0],
               pair[1]) for chunk_id, pair in ranks.items()]
    scored.sort(key=lambda row: (-row[1], row[0]))
    return scored[:limit]


async def search(run: StoreRun, agent_id: int, query: str, *, limit: int = 8,
                 embedder: Embedder | None = None,
                 cache: VectorCache = VECTORS) -> list[KnowledgeHit]:
    """The best ``limit`` chunks of the agent's knowledge for ``query``."""
    limit = max(1, min(limit, MAX_LIMIT))
    wanted = limit * CANDIDATES

    def keyword(store: Store) -> list[int]:
        return store.knowledge.keyword_ids(agent_id, query, wanted)

    keyword_ids = await run(keyword)
    vector_ids: list[int] = []
    if embedder is not None and query.strip():
        ids, matrix = await cache.matrix(run, agent_id, embedder.key)
        if len(ids):
            question = await embedder.embed([query])
            vector_ids = [i for i, _ in top_matches(ids, matrix, question[0], wanted)]
    fused = fuse(keyword_ids, vector_ids, limit)
    found = await run(lambda store: store.knowledge.hits([row[0] for row in fused]))
    hits = []
    for chunk_id, score, keyword_rank, vector_rank in fused:
        hit = found.get(chunk_id)
        if hit is not None:
            hits.append(hit.model_copy(update={"score": score, "keyword_rank": keyword_rank,
                                               "vector_rank": vector_rank}))
    return hits


def sync_run(store: Store) -> StoreRun:
    """A ``StoreRun`` over a synchronous Store (the CLI, tests): runs at once."""
    async def run(work):  # type: ignore[no-untyped-def]
        return work(store)

    return run
