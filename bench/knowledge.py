"""Knowledge folders: indexing rate against the embedding floor, hybrid query
latency at 100,000 chunks, recall@5 on planted answers, and the window's
event-loop stalls while indexing.

Usage (from the repository root)::

    .venv/bin/python bench/knowledge.py                 # the issue's sizes (~3 min)
    .venv/bin/python bench/knowledge.py --docs 200 --chunks 10000 --embed-ms 1   # quick

What is measured, in one run (see docs/PERFORMANCE.md, "Knowledge folders"):

1. **Indexing vs the embedding floor.** A generated corpus of ``--docs``
   Markdown files (~10 KB each: ~20 MB for 2,000) with planted facts is
   indexed by ``index_agent`` on an ``AsyncStore`` (the window's set-up), with
   a scripted embedding model that stands for a remote embedding server: each
   call takes ``--embed-ms`` per text (an asyncio sleep, like waiting for the
   server) while a 384-number bag-of-words vector per text is computed on a
   worker thread (the server's work is not on the caller's loop). The *floor* is the
   same embedder called on exactly the chunk texts the indexer produced, in
   the same batches, with nothing else. Overhead = indexer time / floor − 1
   (goal ≤ 20 %).
2. **Recall@5.** One question per planted fact ("What is the access code of
   project Quillmere?"): is the chunk holding the answer in the top 5?
   Keyword only, and hybrid (keyword + the scripted vectors, RRF).
3. **Query latency at scale.** ``--chunks`` chunks (default 100,000) with
   384-number vectors in a second database; hybrid top-8 over 200 questions
   (the vector matrix cached after the first query, as in the app), median
   and p95; also keyword only, and the first (cold) query.
4. **Window stall.** The corpus indexed again from scratch inside a qasync
   Qt event loop (offscreen) with a 10 ms heartbeat timer: the longest gap
   beyond the interval (goal: never over 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.knowledge.chunking import chunk_sections
from app.core.knowledge.files import read_file, sections_of
from app.core.knowledge.indexer import EMBED_BATCH, index_agent
from app.core.knowledge.search import search, sync_run
from app.core.knowledge.vectors import VectorCache, to_blob
from app.domain import AgentSpec
from app.domain.knowledge import Chunk, KnowledgeFile
from app.store import AsyncStore, Store
from tests.support.knowledge_files import HashEmbedder

DIMENSIONS = 384
GOAL_OVERHEAD = 0.20
GOAL_LATENCY_MS = 50.0
GOAL_STALL_MS = 50.0
HEARTBEAT_MS = 10
BASELINE_S = 10.0     # the heartbeat alone, before indexing (the machine's own stalls)

WORDS = ("system data report team project market value process design model service "
         "quality network energy policy budget schedule customer review account level "
         "result support control region product history member signal storage method "
         "window engine summer winter garden river mountain harbour station village "
         "letter record access code number office manager plan meeting detail").split()
SYLLABLES = ("qu il mere bra ven tor lis ka dor fen gri mo sal vex tha run pel zor "
             "ami cor dus ely fa gol hin").split()


class ServerLikeEmbedder(HashEmbedder):
    """HashEmbedder that stands for a remote server: the caller waits
    ``per_text_s`` per text, and the vectors are computed off the caller's
    event loop (a real server's work is in another process, not on the loop)."""

    def __init__(self, per_text_s: float) -> None:
        super().__init__(DIMENSIONS, key="bench/server-like")
        self.per_text_s = per_text_s

    async def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.calls += 1
        self.texts += len(texts)
        wait = asyncio.sleep(self.per_text_s * len(texts))
        vectors, _ = await asyncio.gather(asyncio.to_thread(self.vectors, texts), wait)
        return vectors


def name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."


def make_corpus(folder: Path, docs: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """``docs`` Markdown files of ~10 KB; returns (question, answer, file) per planted fact."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    facts: list[tuple[str, str, str]] = []
    taken: set[str] = set()
    for number in range(docs):
        lines = [f"# Report {number}\n"]
        for section in range(6):
            lines.append(f"\n## Section {section}\n\n")
            paragraph = " ".join(sentence(rng) for _ in range(22))
            if section == 3 and number % 10 == 0:   # one fact in every tenth document
                project = name(rng)
                while project in taken:
                    project = name(rng)
                taken.add(project)
                code = str(rng.randint(10000, 99999))
                paragraph += (f" The access code of project {project} is {code}. "
                              + " ".join(sentence(rng) for _ in range(3)))
                facts.append((f"What is the access code of project {project}?", code,
                              f"doc{number:05}.md"))
            lines.append(paragraph + "\n")
        (folder / f"doc{number:05}.md").write_text("".join(lines))
    return facts


async def index_and_floor(folder: Path, db: Path, embed_s: float,
                          make_embedder=None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Index ``folder`` and measure the embedding floor; ``make_embedder()``
    gives the embedder (default: the server-like scripted one)."""
    make_embedder = make_embedder or (lambda: ServerLikeEmbedder(embed_s))
    store = await AsyncStore.open(db)
    try:
        agent = await store.run(lambda s: s.agents.create(AgentSpec(name="bench")))
        await store.run(lambda s: s.knowledge.add_source(agent.id, str(folder)))
        # The floor: the same texts, the same batches, only the embedding calls;
        # measured before and after the indexer (the machine's load drifts).
        texts: list[list[str]] = []
        for path in sorted(folder.iterdir()):
            data, _ = read_file(str(path))
            texts.append([c.text for c in chunk_sections(sections_of(str(path), data))])

        async def floor_run() -> float:
            floor = make_embedder()
            started = time.perf_counter()
            for chunks in texts:
                for start in range(0, len(chunks), EMBED_BATCH):
                    await floor.embed(chunks[start:start + EMBED_BATCH])
            return time.perf_counter() - started

        floor_before = await floor_run()
        started = time.perf_counter()
        progress = await index_agent(store.run, agent.id, embedder=make_embedder())
        indexed_s = time.perf_counter() - started
        assert progress.failed == 0 and progress.indexed == progress.total, progress
        floor_after = await floor_run()
        floor_s = (floor_before + floor_after) / 2
        size = sum(p.stat().st_size for p in folder.iterdir())
        return {"agent": agent.id, "docs": progress.indexed, "mb": size / 1e6,
                "chunks": sum(len(t) for t in texts), "index_s": indexed_s,
                "floor_s": floor_s, "floor_before_s": floor_before,
                "floor_after_s": floor_after, "docs_per_s": progress.indexed / indexed_s,
                "floor_docs_per_s": progress.indexed / floor_s,
                "overhead": indexed_s / floor_s - 1}
    finally:
        await store.close()


def recall(db: Path, agent_id: int, facts: list[tuple[str, str, str]]) -> dict[str, float]:
    found = {"keyword": 0, "hybrid": 0}
    with Store(db) as store:
        run = sync_run(store)
        embedder = ServerLikeEmbedder(0.0)
        for question, answer, _file in facts:
            for mode, embed in (("keyword", None), ("hybrid", embedder)):
                hits = asyncio.run(search(run, agent_id, question, limit=5, embedder=embed))
                found[mode] += any(answer in hit.text for hit in hits)
    return {mode: count / len(facts) for mode, count in found.items()}


def build_scale(db: Path, chunks: int, seed: int = 11) -> tuple[int, list[str]]:
    """``chunks`` chunks (50 per file) with vectors; returns the agent and questions."""
    rng = random.Random(seed)
    embedder = HashEmbedder(DIMENSIONS, key="bench/server-like")
    questions: list[str] = []
    with Store(db) as store:
        agent = store.agents.create(AgentSpec(name="scale"))
        source = store.knowledge.add_source(agent.id, "/bench")
        for file_number in range(chunks // 50):
            texts = [" ".join(sentence(rng) for _ in range(10)) for _ in range(50)]
            if file_number % 5 == 0:
                project = name(rng) + str(file_number)
                texts[7] += f" The access code of project {project} is {file_number}."
                questions.append(f"What is the access code of project {project}?")
            vectors = embedder.vectors(texts)
            record = KnowledgeFile(source_id=source.id, agent_id=agent.id,
                                   path=f"/bench/f{file_number}.md", embed_model=embedder.key)
            store.knowledge.store_file(record, [Chunk(ordinal=i, text=t) for i, t in
                                                enumerate(texts)],
                                       [to_blob(v) for v in vectors])
    return agent.id, questions[:200]


def latency(db: Path, agent_id: int, questions: list[str]) -> dict[str, float]:
    cache = VectorCache()
    embedder = ServerLikeEmbedder(0.0)
    out: dict[str, float] = {}
    with Store(db) as store:
        run = sync_run(store)
        started = time.perf_counter()
        asyncio.run(search(run, agent_id, questions[0], limit=8, embedder=embedder,
                           cache=cache))
        out["cold_ms"] = (time.perf_counter() - started) * 1000
        for mode, embed in (("hybrid", embedder), ("keyword", None)):
            times, cpu = [], []
            for question in questions:
                started, cpu_started = time.perf_counter(), time.process_time()
                asyncio.run(search(run, agent_id, question, limit=8, embedder=embed,
                                   cache=cache))
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            times.sort()
            out[f"{mode}_median_ms"] = statistics.median(times)
            out[f"{mode}_p95_ms"] = times[int(len(times) * 0.95) - 1]
            out[f"{mode}_cpu_median_ms"] = statistics.median(cpu)
    return out


def window_stall(folder: Path, db: Path, embed_s: float) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    gaps: list[float] = []
    baseline: list[float] = []

    async def main() -> dict[str, float]:
        store = await AsyncStore.open(db)
        try:
            agent = await store.run(lambda s: s.agents.create(AgentSpec(name="window")))
            await store.run(lambda s: s.knowledge.add_source(agent.id, str(folder)))
            clock = QElapsedTimer()
            beat = QTimer()
            beat.setInterval(HEARTBEAT_MS)
            beat.timeout.connect(lambda: gaps.append(clock.restart() - HEARTBEAT_MS))
            clock.start()
            beat.start()
            await asyncio.sleep(BASELINE_S)          # the loop with nothing to do
            baseline.extend(gaps)
            gaps.clear()
            started = time.perf_counter()
            await index_agent(store.run, agent.id, embedder=ServerLikeEmbedder(embed_s))
            beat.stop()
            return {"seconds": time.perf_counter() - started}
        finally:
            await store.close()

    with loop:
        result = loop.run_until_complete(main())
    gaps.sort()
    result.update(stall_max_ms=max(gaps, default=0.0),
                  stall_p99_ms=gaps[int(len(gaps) * 0.99) - 1] if gaps else 0.0,
                  stalls_over_50_ms=sum(g > GOAL_STALL_MS for g in gaps),
                  heartbeats=len(gaps), idle_max_ms=max(baseline, default=0.0),
                  idle_over_50_ms=sum(g > GOAL_STALL_MS for g in baseline),
                  idle_heartbeats=len(baseline))
    return result


def real_floor(docs: int) -> None:
    """Indexer vs floor with real embeddings: the embedded engine (llama.cpp in
    process, Gemma 3 270M, mean pooling), ``docs`` documents of the corpus."""
    from app.core.knowledge.embedders import ProviderEmbedder
    from app.domain import ProviderConfig
    from app.providers.embedded import EmbeddedProvider
    from tests.support.llama_server import gemma_model_path

    provider = EmbeddedProvider(ProviderConfig(name="embedded", kind="embedded",
                                               model_path=str(gemma_model_path())))
    with tempfile.TemporaryDirectory(prefix="knowledge-real-") as tmp:
        root = Path(tmp)
        make_corpus(root / "corpus", docs)
        asyncio.run(provider.embed("gemma", ["warm up"]))         # load the model first
        result = asyncio.run(index_and_floor(
            root / "corpus", root / "index.db", 0.0,
            lambda: ProviderEmbedder(provider, "gemma", "embedded/gemma")))
    print(f"real embeddings (embedded Gemma 3 270M): {result['docs']} docs, "
          f"{result['chunks']} chunks in {result['index_s']:.1f} s = "
          f"{result['docs_per_s']:.2f} docs/s; floor {result['floor_s']:.1f} s (before "
          f"{result['floor_before_s']:.1f}, after {result['floor_after_s']:.1f}) = "
          f"{result['floor_docs_per_s']:.2f} docs/s; overhead {result['overhead'] * 100:.1f} %",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--embed-ms", type=float, default=2.0,
                        help="simulated embedding cost per text (ms)")
    parser.add_argument("--stall-docs", type=int, default=500,
                        help="documents indexed inside the Qt loop")
    parser.add_argument("--parts", default="index,query,stall",
                        help="which parts to run (index includes recall)")
    parser.add_argument("--real-docs", type=int, default=0,
                        help="also index this many documents with the embedded engine's "
                             "real Gemma 3 270M embeddings (needs the local extra)")
    args = parser.parse_args()
    if args.real_docs:
        real_floor(args.real_docs)
        return
    with tempfile.TemporaryDirectory(prefix="knowledge-bench-") as tmp:
        root = Path(tmp)
        facts = make_corpus(root / "corpus", args.docs)
        print(f"corpus: {args.docs} documents, {len(facts)} planted facts", flush=True)
        parts = set(args.parts.split(","))
        if "index" in parts:
            index_part(root, facts, args)
        if "query" in parts:
            query_part(root, args)
        if "stall" in parts:
            stall_part(root, args)


def index_part(root: Path, facts: list[tuple[str, str, str]], args: argparse.Namespace) -> None:
    indexing = index_and_floor(root / "corpus", root / "index.db", args.embed_ms / 1000)
    result = asyncio.run(indexing)
    print(f"indexing: {result['docs']} docs, {result['mb']:.1f} MB, {result['chunks']} "
          f"chunks in {result['index_s']:.1f} s = {result['docs_per_s']:.1f} docs/s; "
          f"embedding floor {result['floor_s']:.1f} s (before {result['floor_before_s']:.1f}"
          f" s, after {result['floor_after_s']:.1f} s) = "
          f"{result['floor_docs_per_s']:.1f} docs/s; overhead "
          f"{result['overhead'] * 100:.1f} % (goal <= {GOAL_OVERHEAD * 100:.0f} %: "
          f"{'met' if result['overhead'] <= GOAL_OVERHEAD else 'NOT met'})", flush=True)
    rates = recall(root / "index.db", int(result["agent"]), facts)
    print(f"recall@5 on {len(facts)} questions: keyword {rates['keyword']:.3f}, hybrid "
          f"{rates['hybrid']:.3f} (goal keyword >= 0.9: "
          f"{'met' if rates['keyword'] >= 0.9 else 'NOT met'}; hybrid >= keyword: "
          f"{'met' if rates['hybrid'] >= rates['keyword'] else 'NOT met'})", flush=True)


def query_part(root: Path, args: argparse.Namespace) -> None:
    agent_id, questions = build_scale(root / "scale.db", args.chunks)
    timing = latency(root / "scale.db", agent_id, questions)
    print(f"query over {args.chunks} chunks ({len(questions)} questions): hybrid top-8 "
          f"median {timing['hybrid_median_ms']:.1f} ms, p95 {timing['hybrid_p95_ms']:.1f}"
          f" ms (goal median <= {GOAL_LATENCY_MS:.0f} ms: "
          f"{'met' if timing['hybrid_median_ms'] <= GOAL_LATENCY_MS else 'NOT met'}); "
          f"keyword median {timing['keyword_median_ms']:.1f} ms, p95 "
          f"{timing['keyword_p95_ms']:.1f} ms; first (cold) query "
          f"{timing['cold_ms']:.0f} ms; CPU time per query (median) hybrid "
          f"{timing['hybrid_cpu_median_ms']:.1f} ms, keyword "
          f"{timing['keyword_cpu_median_ms']:.1f} ms; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)


def stall_part(root: Path, args: argparse.Namespace) -> None:
    stall_folder = root / "stall"
    stall_folder.mkdir()
    for path in sorted((root / "corpus").iterdir())[:args.stall_docs]:
        (stall_folder / path.name).write_bytes(path.read_bytes())
    stall = window_stall(stall_folder, root / "stall.db", args.embed_ms / 1000)
    print(f"window: {args.stall_docs} docs indexed in {stall['seconds']:.1f} s inside the "
          f"Qt loop; heartbeat gap max {stall['stall_max_ms']:.0f} ms, p99 "
          f"{stall['stall_p99_ms']:.0f} ms, {stall['stalls_over_50_ms']} over 50 ms "
          f"(goal none: {'met' if stall['stalls_over_50_ms'] == 0 else 'NOT met'}); the "
          f"idle loop before it ({BASELINE_S:.0f} s): max {stall['idle_max_ms']:.0f} ms, "
          f"{stall['idle_over_50_ms']} over 50 ms of {stall['idle_heartbeats']}; load "
          f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)


if __name__ == "__main__":
    main()
