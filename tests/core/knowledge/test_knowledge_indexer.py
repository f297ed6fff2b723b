"""The indexer on a real database: changes, removals, pause/cancel, embeddings
and their failure, and hybrid search (reciprocal-rank fusion)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from app.core.knowledge.indexer import IndexControl, index_agent
from app.core.knowledge.search import fuse, search, sync_run
from app.domain import AgentSpec
from app.domain.knowledge import IndexProgress
from app.store import Store
from tests.support.knowledge_files import HashEmbedder, hostile_folder, markdown_notes


def _index(store: Store, agent: AgentSpec, **kwargs) -> IndexProgress:
    return asyncio.run(index_agent(sync_run(store), agent.id, **kwargs))


def _folder(tmp_path: Path, count: int = 5) -> Path:
    return markdown_notes(tmp_path / "kb", count)


def test_reindex_reads_only_what_changed_and_drops_what_was_removed(
        store: Store, agent: AgentSpec, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    store.knowledge.add_source(agent.id, str(folder))
    first = _index(store, agent)
    assert (first.indexed, first.failed, first.state) == (5, 0, "finished")
    chunk_ids = {f.path: f.id for f in store.knowledge.files(agent.id)}

    again = _index(store, agent)
    assert (again.indexed, again.unchanged) == (0, 5)

    (folder / "doc1.md").write_text("# Doc 1\n\nNow about kingfishers.\n")
    touched = folder / "doc2.md"                       # newer time, same content
    os.utime(touched, ns=(time.time_ns(), time.time_ns() + 10**9))
    (folder / "doc3.md").unlink()
    third = _index(store, agent)
    assert (third.indexed, third.unchanged, third.removed) == (1, 3, 1)
    files = {f.path: f for f in store.knowledge.files(agent.id)}
    assert str(folder / "doc3.md") not in files
    assert files[str(touched)].id == chunk_ids[str(touched)]          # not rewritten
    assert files[str(touched)].mtime_ns == touched.stat().st_mtime_ns  # time kept up
    hits = asyncio.run(search(sync_run(store), agent.id, "kingfishers"))
    assert [Path(h.path).name for h in hits] == ["doc1.md"]
    assert asyncio.run(search(sync_run(store), agent.id, "topic3")) == []


def test_hostile_files_are_recorded_as_errors_and_the_rest_is_indexed(
        store: Store, agent: AgentSpec, tmp_path: Path) -> None:
    hostile_folder(tmp_path / "kb")
    store.knowledge.add_source(agent.id, str(tmp_path / "kb"))
    progress = _index(store, agent)
    errors = {Path(path).name: reason for path, reason in progress.errors}
    assert {"binary.txt", "bomb.docx", "huge.pdf", "self.txt", "back"} <= set(errors)
    assert progress.indexed >= 3 and progress.state == "finished"
    stored = {Path(f.path).name: f for f in store.knowledge.files(agent.id)}
    assert stored["huge.pdf"].status == "error" and "too large" in stored["huge.pdf"].error
    hits = asyncio.run(search(sync_run(store), agent.id, "what is the falcon code word?"))
    assert hits[0].location == "Guide › Falcons" and "zanzibar-77" in hits[0].text


def test_vectors_are_stored_and_hybrid_search_fuses_both_rankings(
        store: Store, agent: AgentSpec, tmp_path: Path) -> None:
    folder = _folder(tmp_path, 8)
    store.knowledge.add_source(agent.id, str(folder))
    embedder = HashEmbedder()
    progress = _index(store, agent, embedder=embedder)
    assert progress.indexed == 8 and embedder.texts == 8
    assert len(store.knowledge.vectors(agent.id, embedder.key)) == 8
    hits = asyncio.run(search(sync_run(store), agent.id, "topic4 document", embedder=embedder))
    assert Path(hits[0].path).name == "doc4.md"
    assert hits[0].keyword_rank == 1 and hits[0].vector_rank == 1
    # a new embedding model re-embeds every file on the next run
    other = HashEmbedder(128, key="scripted/other")
    assert _index(store, agent, embedder=other).indexed == 8


def test_rrf_ranks_agreement_first() -> None:
    fused = fuse([1, 2, 3], [3, 4, 1], limit=4)
    assert [row[0] for row in fused[:2]] == [1, 3]
    assert fused[0][2:] == (1, 3)


def test_an_embedding_failure_leaves_keyword_search_for_the_rest(
        store: Store, agent: AgentSpec, tmp_path: Path) -> None:
    store.knowledge.add_source(agent.id, str(_folder(tmp_path, 4)))
    progress = _index(store, agent, embedder=HashEmbedder(fail_after=2))
    assert progress.indexed == 4 and progress.state == "finished"
    assert any("embeddings failed" in reason for _, reason in progress.errors)
    files = store.knowledge.files(agent.id)
    assert sorted(bool(f.embed_model) for f in files) == [False, False, True, True]
    # the next run embeds the rest
    assert _index(store, agent, embedder=HashEmbedder()).indexed == 2


def test_pause_holds_the_run_and_cancel_stops_it_keeping_what_was_stored(
        store: Store, agent: AgentSpec, tmp_path: Path) -> None:
    store.knowledge.add_source(agent.id, str(_folder(tmp_path, 10)))
    seen: list[IndexProgress] = []

    async def scenario() -> IndexProgress:
        control = IndexControl()
        embedder = HashEmbedder()
        embedder.gate = asyncio.Event()
        task = asyncio.create_task(index_agent(sync_run(store), agent.id, embedder=embedder,
                                               control=control, on_progress=seen.append))
        while embedder.calls < 1:
            await asyncio.sleep(0.01)
        control.pause()
        embedder.gate.set()
        while not any(p.state == "paused" for p in seen):
            await asyncio.sleep(0.01)
        done_while_paused = seen[-1].done
        await asyncio.sleep(0.2)
        assert seen[-1].done == done_while_paused and not task.done()
        embedder.gate.clear()             # hold the next call: the run is mid-way
        control.resume()
        while embedder.calls < 2:
            await asyncio.sleep(0.01)
        control.cancel()
        embedder.gate.set()
        return await task

    result = asyncio.run(scenario())
    assert result.state == "cancelled"
    assert result.done == 2          # the file being embedded at the cancel is finished
    assert len(store.knowledge.files(agent.id)) == result.done


def test_removing_a_source_or_the_agent_removes_its_chunks(
        store: Store, agent: AgentSpec, tmp_path: Path) -> None:
    source = store.knowledge.add_source(agent.id, str(_folder(tmp_path, 3)))
    _index(store, agent)
    assert store.knowledge.sources(agent.id)[0].chunks == 3
    store.knowledge.remove_source(source.id)
    assert store.knowledge.chunk_count(agent.id) == 0
    assert store.knowledge.keyword_ids(agent.id, "shared", 10) == []
    store.knowledge.add_source(agent.id, str(tmp_path / "kb"))
    _index(store, agent)
    store.agents.delete(agent.id)
    count = store.db.execute_sql("SELECT COUNT(*) FROM knowledge_chunks").fetchone()[0]
    assert count == 0
    store.db.execute_sql("INSERT INTO knowledge_fts(knowledge_fts, rank) "
                         "VALUES ('integrity-check', 1)")


@pytest.mark.parametrize("retrieval", ["auto", "tool"])
def test_settings_round_trip(store: Store, agent: AgentSpec, retrieval: str) -> None:
    settings = store.knowledge.settings(agent.id)
    assert settings.retrieval == "off" and not settings.embeds
    saved = store.knowledge.save_settings(settings.model_copy(update={
        "retrieval": retrieval, "embed_provider": "local", "embed_model": "e"}))
    assert store.knowledge.settings(agent.id) == saved
    assert saved.embed_key == "local/e"
