"""The embedding model an agent's knowledge uses, as one small interface.

``Embedder.embed(texts)`` answers an (n, d) float32 array of unit vectors
(so a dot product is the cosine). ``ProviderEmbedder`` asks a configured
provider (Ollama ``/api/embed``, an OpenAI-compatible ``/v1/embeddings``, the
embedded engine) in batches. A local-only agent never embeds with a provider
that is not local: ``embedder_for`` refuses it before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from app.domain import ProviderConfig
from app.domain.knowledge import KnowledgeSettings
from app.providers.base import ChatProvider
from app.providers.embeddings import MAX_BATCH


class EmbedderProblem(Exception):
    """The agent's embedding model cannot be used; the message says why."""


class Embedder(Protocol):
    key: str

    async def embed(self, texts: list[str]) -> np.ndarray: ...


def unit_rows(vectors: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero), float32."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        matrix = matrix.reshape(len(matrix), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class ProviderEmbedder:
    """Embeddings from ``model`` of a provider, ``batch`` texts per request."""

    def __init__(self, provider: ChatProvider, model: str, key: str, *,
                 batch: int = MAX_BATCH) -> None:
        self.provider, self.model, self.key = provider, model, key
        self.batch = max(1, min(batch, MAX_BATCH))

    async def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch):
            rows.extend(await self.provider.embed(self.model, texts[start:start + self.batch]))
        return unit_rows(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    async def aclose(self) -> None:
        await self.provider.aclose()


def embedder_for(settings: KnowledgeSettings, configs: Sequence[ProviderConfig], *,
                 local_only: bool,
                 build: Callable[[ProviderConfig], ChatProvider]) -> ProviderEmbedder | None:
    """The agent's embedder (None: keyword search only). Raises EmbedderProblem
    for a provider that is gone, switched off, or not local for a local-only agent."""
    if not settings.embeds:
        return None
    name = settings.embed_provider.lower()
    config = next((c for c in configs if c.name.lower() == name), None)
    if config is None:
        raise EmbedderProblem(f"the embedding provider {settings.embed_provider!r} is not "
                              "configured")
    if not config.enabled:
        raise EmbedderProblem(f"the embedding provider {config.name!r} is switched off")
    if local_only and not config.is_local:
        raise EmbedderProblem(f"this agent is local-only and {config.name!r} is not a local "
                              "provider: its knowledge is not embedded there")
    return ProviderEmbedder(build(config), settings.embed_model, settings.embed_key)
