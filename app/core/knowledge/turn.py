"""An agent's knowledge during one turn: retrieval, numbered references, citations.

Per agent (``KnowledgeSettings.retrieval``):
- ``auto``: the person's message is searched before the first request and the
  best chunks go into the system prompt as numbered excerpts;
- ``tool``: the agent gets a ``knowledge_search`` tool (app/core/tools/knowledge.py)
  and searches when it decides to; the chunks are the tool's result, shown in
  the chat's tool block.
Either way every chunk the model saw gets one number for the whole turn
(``[1]``, ``[2]`` …; a chunk found twice keeps its number), the model is asked
to cite them, and the reply's ``meta["knowledge"]`` lists them (file, page or
section, the chunk's text) so the window shows them under the reply as links
that open the file there (app/ui/chat/citations.py).

A local-only agent embeds only with a local provider (``embedder_for``); if
its embedding model cannot be used, retrieval goes on keyword-only and the
reason is noted with the reply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain import AgentSpec, ChatMessage, ProviderConfig
from app.domain.knowledge import KnowledgeHit, KnowledgeSettings
from app.providers.base import ChatProvider, ProviderError

if TYPE_CHECKING:
    # Search, vectors and embedders import numpy (~90 ms): imported when an
    # agent's knowledge is used, not with the runner at every chat's first
    # send (on the window's thread, that held the event loop up; issue 21).
    from app.core.knowledge.embedders import Embedder
    from app.core.knowledge.vectors import StoreRun

MAX_EXCERPT_CHARS = 1500
MAX_REFERENCES = 40
INSTRUCTIONS = ("Excerpts from the user's own files follow, numbered. Answer from them "
                "when they are relevant and cite each one you use by its number in square "
                "brackets, like [1]. If they do not answer the question, say so.")


@dataclass(frozen=True)
class Reference:
    number: int
    hit: KnowledgeHit

    def to_meta(self) -> dict[str, Any]:
        hit = self.hit
        return {"n": self.number, "path": hit.path, "location": hit.location,
                "page": hit.page, "chunk_id": hit.chunk_id,
                "text": hit.text[:MAX_EXCERPT_CHARS]}


class KnowledgeTurn:
    """Searching an agent's knowledge for one turn, and numbering what was found."""

    def __init__(self, run: StoreRun, agent_id: int, settings: KnowledgeSettings,
                 embedder: Embedder | None, problem: str | None = None) -> None:
        self.run, self.agent_id, self.settings = run, agent_id, settings
        self.embedder, self.problem = embedder, problem
        self.references: list[Reference] = []

    async def find(self, query: str, limit: int | None = None) -> list[Reference]:
        """The best chunks for ``query``, each with its number in this turn.
        A failing embedding model leaves keyword search for the rest of the turn."""
        from app.core.knowledge.search import search

        limit = limit or self.settings.top_k
        try:
            hits = await search(self.run, self.agent_id, query, limit=limit,
                                embedder=self.embedder)
        except ProviderError as exc:
            self.problem = f"knowledge: embeddings failed, keyword search only: {exc}"
            self.embedder = None
            hits = await search(self.run, self.agent_id, query, limit=limit)
        return [self._number(hit) for hit in hits]

    def _number(self, hit: KnowledgeHit) -> Reference:
        for reference in self.references:
            if reference.hit.chunk_id == hit.chunk_id:
                return reference
        reference = Reference(len(self.references) + 1, hit)
        if len(self.references) < MAX_REFERENCES:
            self.references.append(reference)
        return reference

    def meta(self) -> list[dict[str, Any]]:
        return [reference.to_meta() for reference in self.references]


def excerpts(references: Sequence[Reference]) -> str:
    """References as numbered excerpts for the model (a prompt block or a tool result)."""
    if not references:
        return "No excerpts of the user's files match."
    parts = []
    for reference in references:
        hit = reference.hit
        where = f" — {hit.location}" if hit.location else ""
        parts.append(f"[{reference.number}] {Path(hit.path).name}{where}\n"
                     f"{hit.text[:MAX_EXCERPT_CHARS]}")
    return "\n\n".join(parts)


def prompt_block(references: Sequence[Reference]) -> str:
    return f"{INSTRUCTIONS}\n\n{excerpts(references)}" if references else ""


def with_block(system: list[ChatMessage], block: str) -> list[ChatMessage]:
    """The system messages with ``block`` added to the (first) system prompt."""
    if not block:
        return system
    if not system:
        return [ChatMessage(role="system", content=block)]
    first = system[0]
    return [first.model_copy(update={"content": f"{first.content}\n\n{block}"}),
            *system[1:]]


def knowledge_meta(turn: KnowledgeTurn) -> dict[str, Any]:
    """What a reply records of the turn's knowledge: the numbered references
    (``knowledge``) and why retrieval fell back to keywords (``knowledge_problem``)."""
    meta: dict[str, Any] = {}
    if turn.references:
        meta["knowledge"] = turn.meta()
    if turn.problem:
        meta["knowledge_problem"] = turn.problem
    return meta


async def knowledge_turn(run: StoreRun, agent: AgentSpec, configs: Sequence[ProviderConfig],
                         build: Callable[[ProviderConfig], ChatProvider]
                         ) -> KnowledgeTurn | None:
    """The turn's knowledge (None when the agent does not use it or has none)."""
    if agent.id is None:
        return None
    agent_id = agent.id
    settings, chunks = await run(lambda s: (s.knowledge.settings(agent_id),
                                            s.knowledge.has_chunks(agent_id)))
    if settings.retrieval == "off" or not chunks:
        return None
    from app.core.knowledge.embedders import EmbedderProblem, embedder_for

    problem = None
    try:
        embedder = embedder_for(settings, configs, local_only=agent.local_only, build=build)
    except EmbedderProblem as exc:
        embedder, problem = None, f"knowledge: {exc}; keyword search only"
    return KnowledgeTurn(run, agent_id, settings, embedder, problem)
