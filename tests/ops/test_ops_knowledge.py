"""app/ops/knowledge.py on a real Store: sources, settings, indexing and search."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.core.knowledge.search import sync_run
from app.domain import AgentSpec, ProviderConfig
from app.ops import knowledge
from app.settings import AppSettings
from app.store import NotFoundError, Store


def test_sources_are_absolute_once_each_and_removable_by_id_or_path(
        store: Store, agent: AgentSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "kb").mkdir()
    monkeypatch.chdir(tmp_path)
    first = knowledge.add_source(store, agent.id, "kb")
    assert first.path == str(tmp_path / "kb")
    assert knowledge.add_source(store, agent.id, str(tmp_path / "kb")).id == first.id
    with pytest.raises(ValueError, match="does not exist"):
        knowledge.add_source(store, agent.id, "missing")
    assert knowledge.source_problem("  ") == "Choose a file or folder first."
    assert knowledge.remove_source(store, agent.id, "kb").id == first.id
    second = knowledge.add_source(store, agent.id, "kb")
    knowledge.remove_source(store, agent.id, second.id)
    with pytest.raises(NotFoundError):
        knowledge.remove_source(store, agent.id, second.id)


def test_a_local_only_agent_never_embeds_with_a_cloud_provider(
        store: Store, agent: AgentSpec, tmp_path: Path) -> None:
    store.providers.create(ProviderConfig(name="cloud", kind="openai",
                                          base_url="https://api.example.com/v1",
                                          is_local=False))
    knowledge.save_settings(store, knowledge.get_settings(store, agent.id).model_copy(
        update={"embed_provider": "cloud", "embed_model": "text-embedding-3-small"}))
    local_only = store.agents.update(agent.model_copy(update={"local_only": True}))
    (tmp_path / "a.md").write_text("# A\nalpha")
    knowledge.add_source(store, agent.id, str(tmp_path / "a.md"))
    with pytest.raises(knowledge.EmbedderProblem, match="local-only"):
        asyncio.run(knowledge.reindex(sync_run(store), local_only, AppSettings()))
    assert knowledge.files(store, agent.id) == []          # nothing was read or sent
    hits = asyncio.run(knowledge.search(sync_run(store), local_only, AppSettings(), "alpha",
                                        keyword_only=True))
    assert hits == []
