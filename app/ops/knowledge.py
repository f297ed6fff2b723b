"""Knowledge folders: the named jobs the window, the CLI and the API share.

Synchronous ops take the ``Store`` first (the CLI calls them as they are, the
window schedules them on the store's worker). Indexing and searching are
async and take a ``StoreRun`` instead (``AsyncStore.run`` in the window,
``app.core.knowledge.search.sync_run(store)`` in the CLI): they await the
embedding model between database steps.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.knowledge.embedders import EmbedderProblem, ProviderEmbedder, embedder_for
from app.core.knowledge.indexer import IndexControl, ProgressCallback, index_agent
from app.core.knowledge.search import search as search_chunks
from app.core.knowledge.vectors import StoreRun
from app.core.provider_factory import build_provider, options_from_settings
from app.domain import AgentSpec
from app.domain.knowledge import (
    IndexProgress,
    KnowledgeFile,
    KnowledgeHit,
    KnowledgeSettings,
    KnowledgeSource,
)
from app.settings import AppSettings
from app.store import NotFoundError, Store

__all__ = ["EmbedderProblem", "IndexControl", "add_source", "embedder", "files",
           "get_settings", "reindex", "remove_source", "save_settings", "search",
           "source_problem", "sources"]


def source_problem(path: str) -> str | None:
    """Why ``path`` cannot be added as a knowledge source (None: it can)."""
    if not path.strip():
        return "Choose a file or folder first."
    target = Path(os.path.abspath(os.path.expanduser(path.strip())))
    if not os.path.lexists(target):
        return f"{target} does not exist."
    return None


def add_source(store: Store, agent_id: int, path: str) -> KnowledgeSource:
    """Add a file or folder (made absolute) to the agent's knowledge; the one
    already there when added before. ValueError when it does not exist."""
    problem = source_problem(path)
    if problem is not None:
        raise ValueError(problem)
    absolute = os.path.abspath(os.path.expanduser(path.strip()))
    return store.knowledge.add_source(agent_id, absolute)


def sources(store: Store, agent_id: int) -> list[KnowledgeSource]:
    """The agent's sources with their counts of files, errors and chunks."""
    return store.knowledge.sources(agent_id)


def files(store: Store, agent_id: int) -> list[KnowledgeFile]:
    """Every file found under the agent's sources: indexed, or with its error."""
    return store.knowledge.files(agent_id)


def remove_source(store: Store, agent_id: int, key: str | int) -> KnowledgeSource:
    """Remove a source (its id, or its path as given or made absolute) with its
    chunks. NotFoundError when the agent has no such source."""
    for source in store.knowledge.sources(agent_id):
        if key in (source.id, str(source.id), source.path) or (
                isinstance(key, str) and os.path.abspath(os.path.expanduser(key))
                == source.path):
            assert source.id is not None
            return store.knowledge.remove_source(source.id)
    raise NotFoundError("knowledge source", key)


def get_settings(store: Store, agent_id: int) -> KnowledgeSettings:
    return store.knowledge.settings(agent_id)


def save_settings(store: Store, settings: KnowledgeSettings) -> KnowledgeSettings:
    """Store the agent's retrieval choice and embedding model (NotFoundError: no agent)."""
    return store.knowledge.save_settings(settings)


async def embedder(run: StoreRun, agent: AgentSpec,
                   settings: AppSettings) -> ProviderEmbedder | None:
    """The agent's embedder (None: keyword only); EmbedderProblem when it cannot be used."""
    assert agent.id is not None
    agent_id = agent.id
    own = await run(lambda s: s.knowledge.settings(agent_id))
    configs = await run(lambda s: s.providers.list())
    options = options_from_settings(settings)
    return embedder_for(own, configs, local_only=agent.local_only,
                        build=lambda config: build_provider(config, options))


async def reindex(run: StoreRun, agent: AgentSpec, settings: AppSettings, *,
                  control: IndexControl | None = None,
                  on_progress: ProgressCallback | None = None) -> IndexProgress:
    """Bring the agent's index up to date (see app/core/knowledge/indexer.py).
    Raises EmbedderProblem before indexing when its embedding model cannot be used."""
    assert agent.id is not None
    embed = await embedder(run, agent, settings)
    try:
        return await index_agent(run, agent.id, embedder=embed, control=control,
                                 on_progress=on_progress)
    finally:
        if embed is not None:
            await embed.aclose()


async def search(run: StoreRun, agent: AgentSpec, settings: AppSettings, query: str, *,
                 limit: int = 8, keyword_only: bool = False) -> list[KnowledgeHit]:
    """The best chunks for ``query``: hybrid with the agent's embedding model,
    keyword only without one (or with ``keyword_only``)."""
    assert agent.id is not None
    embed = None if keyword_only else await embedder(run, agent, settings)
    try:
        return await search_chunks(run, agent.id, query, limit=limit, embedder=embed)
    finally:
        if embed is not None:
            await embed.aclose()
