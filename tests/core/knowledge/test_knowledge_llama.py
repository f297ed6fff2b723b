"""Knowledge against the REAL llama.cpp server (Gemma 3 270M with ``--embedding``):
chunks embedded through its ``/v1/embeddings``, hybrid retrieval, and a chat
turn whose prompt carries the numbered excerpts and whose reply records the
references. The model is tiny: protocol and behaviour, never wording."""

from __future__ import annotations

from pathlib import Path

from app.core.fallback import ProviderPool
from app.core.knowledge.embedders import embedder_for
from app.core.knowledge.indexer import index_agent
from app.core.knowledge.search import search
from app.core.provider_factory import build_provider
from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.domain import AgentSpec, Done, ProviderConfig
from app.settings import AppSettings
from tests.support.turn_helpers import collect, run_with_setup


def test_index_embed_retrieve_and_chat_with_citations(tmp_path: Path,
                                                      llama_embedding_server) -> None:
    llama = ProviderConfig(name="llama", kind="llamacpp",
                           base_url=llama_embedding_server.base_url)
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "falcons.md").write_text("# Falcons\n\nThe falcon code word is zanzibar.\n")
    (folder / "otters.md").write_text("# Otters\n\nOtters sleep holding hands.\n")
    (folder / "taxes.txt").write_text("Quarterly tax forms are due in April.\n")
    agent = AgentSpec(name="reader", provider="llama", model="gemma3", max_tokens=24,
                      temperature=0.0, local_only=True)

    async def body(setup):
        def configure(store):
            store.knowledge.add_source(setup.agent.id, str(folder))
            store.knowledge.save_settings(store.knowledge.settings(setup.agent.id).model_copy(
                update={"retrieval": "auto", "embed_provider": "llama",
                        "embed_model": "gemma3", "top_k": 2}))
            return store.knowledge.settings(setup.agent.id), store.providers.list()

        settings, configs = await setup.store.run(configure)
        providers = ProviderPool(build_provider)
        try:
            embedder = embedder_for(settings, configs, local_only=True, build=providers)
            assert embedder is not None
            progress = await index_agent(setup.store.run, setup.agent.id, embedder=embedder)
            assert progress.indexed == 3 and progress.errors == []
            vectors = await setup.store.run(
                lambda s: s.knowledge.vectors(setup.agent.id, "llama/gemma3"))
            assert len(vectors) == 3 and len(vectors[0][1]) == 640 * 4
            hits = await search(setup.store.run, setup.agent.id, "falcon code word",
                                embedder=embedder)
            assert Path(hits[0].path).name == "falcons.md"
            assert hits[0].keyword_rank == 1 and hits[0].vector_rank is not None

            runner = AgentRunner(
                RunnerDeps(setup.store, AppSettings(stream_flush_seconds=0.05, home=tmp_path),
                           providers=providers),
                RunConfig(setup.agent, setup.conversation_id, "What is the falcon code word?"))
            events = await collect(runner.events())
        finally:
            await providers.aclose()
        return runner.result, events

    result, events = run_with_setup(tmp_path, agent, [llama], body)
    assert isinstance(events[-1], Done)
    system = result.requests[0].messages[0].content
    assert "[1] falcons.md — Falcons" in system and "zanzibar" in system
    references = result.final.meta["knowledge"]
    assert references[0]["n"] == 1 and references[0]["path"].endswith("falcons.md")
    assert "knowledge_problem" not in result.final.meta
