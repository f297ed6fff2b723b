"""Indexing an agent's knowledge: find, read, chunk, embed, store — in the background.

One run (``index_agent``) walks every source of the agent (on a thread), drops
the files that are gone, and brings each file up to date:

- same modification time and size as stored, indexed with the agent's current
  embedding model: unchanged, not even read;
- otherwise read and hashed: same SHA-256 as stored: only the time is updated;
- otherwise cut into chunks, embedded (if the agent has an embedding model)
  and stored in one transaction (the file's old chunks go in the same one).

A file that cannot be indexed is stored as an error row with its reason; the
run goes on. If the embedding model fails, the run reports it once and goes
on keyword-only (those files are embedded on a later run).

Reading and chunking run on worker threads one file ahead of the embedding
calls (a bounded queue), and a file's write runs on the store's worker while
the next file is embedded, so the embedding calls are the floor of a run's
time (bench/knowledge.py measures how close). ``IndexControl`` pauses, resumes
and cancels a run between files and between embedding batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from app.core.knowledge.chunking import chunk_sections
from app.core.knowledge.embedders import Embedder
from app.core.knowledge.files import FileProblem, Found, Unusable, read_file, sections_of, \
    walk_source
from app.core.knowledge.vectors import StoreRun, to_blob
from app.domain.knowledge import Chunk, IndexProgress, KnowledgeFile, KnowledgeSource
from app.providers.base import ProviderError

EMBED_BATCH = 32
MAX_REPORTED_ERRORS = 200
ProgressCallback = Callable[[IndexProgress], None]


class IndexCancelled(Exception):
    """The run was cancelled (what was stored so far stays)."""


class IndexControl:
    """Pause, resume and cancel a run from another task (the window's buttons)."""

    def __init__(self) -> None:
        self._running = asyncio.Event()
        self._running.set()
        self.cancelled = False

    @property
    def paused(self) -> bool:
        return not self._running.is_set() and not self.cancelled

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self.cancelled = True
        self._running.set()

    async def checkpoint(self, paused: Callable[[bool], None] | None = None) -> None:
        """Wait while paused; raise IndexCancelled once cancelled."""
        if not self._running.is_set():
            if paused is not None:
                paused(True)
            await self._running.wait()
            if paused is not None and not self.cancelled:
                paused(False)
        if self.cancelled:
            raise IndexCancelled


@dataclass
class _Work:
    """One file, read and cut (or why not), ready to embed and store."""

    source_id: int
    path: str
    mtime_ns: int = 0
    size: int = 0
    sha256: str = ""
    chunks: list[Chunk] = field(default_factory=list)
    problem: str | None = None
    touch_id: int | None = None      # unchanged content: only the time is updated
    unchanged: bool = False


def scan(sources: list[KnowledgeSource]) -> list[tuple[int, Found | Unusable]]:
    """Every file (or problem) of every source, each path once (blocking)."""
    seen: set[str] = set()
    out: list[tuple[int, Found | Unusable]] = []
    for source in sources:
        assert source.id is not None
        for item in walk_source(source.path):
            if item.path not in seen:
                seen.add(item.path)
                out.append((source.id, item))
    return out


def prepare(source_id: int, found: Found, known: KnowledgeFile | None, key: str) -> _Work:
    """Read, hash and chunk one file, unless it is unchanged (blocking)."""
    work = _Work(source_id, found.path, found.mtime_ns, found.size)
    fresh = known is not None and known.status == "indexed" and known.embed_model == key
    if fresh and known.mtime_ns == found.mtime_ns and known.size == found.size:
        work.unchanged = True
        return work
    try:
        data, work.sha256 = read_file(found.path)
        if fresh and known.sha256 == work.sha256:
            work.touch_id, work.unchanged = known.id, True
            return work
        work.chunks = chunk_sections(sections_of(found.path, data))
    except FileProblem as exc:
        work.problem = str(exc)
    return work


async def index_agent(run: StoreRun, agent_id: int, *, embedder: Embedder | None = None,
                      control: IndexControl | None = None,
                      on_progress: ProgressCallback | None = None) -> IndexProgress:
    """Bring the agent's index up to date with its sources; returns the final
    progress (``state`` "finished" or "cancelled")."""
    control = control or IndexControl()
    progress = IndexProgress(agent_id=agent_id)
    report = on_progress or (lambda _p: None)
    sources = await run(lambda s: s.knowledge.sources(agent_id))
    known = {f.path: f for f in await run(lambda s: s.knowledge.files(agent_id))}
    report(progress.model_copy())
    items = await asyncio.to_thread(scan, sources)
    present = {item.path for _, item in items}
    gone = [f.id for path, f in known.items() if path not in present and f.id is not None]
    if gone:
        progress.removed = await run(lambda s: s.knowledge.remove_files(agent_id, gone))
    progress.total, progress.state = len(items), "indexing"
    report(progress.model_copy())
    state = _Run(run, agent_id, embedder, control, progress, report)
    try:
        await state.go(items, known)
        progress.state = "finished"
    except IndexCancelled:
        progress.state = "cancelled"
    progress.current = ""
    report(progress.model_copy())
    return progress


class _Run:
    """The pipeline of one run: a reader task ahead of the embed-and-store loop."""

    def __init__(self, run: StoreRun, agent_id: int, embedder: Embedder | None,
                 control: IndexControl, progress: IndexProgress,
                 report: ProgressCallback) -> None:
        self.run, self.agent_id, self.embedder = run, agent_id, embedder
        self.control, self.progress, self.report = control, progress, report
        self.key = embedder.key if embedder is not None else ""

    def _paused(self, paused: bool) -> None:
        self.progress.state = "paused" if paused else "indexing"
        self.report(self.progress.model_copy())

    async def go(self, items: list[tuple[int, Found | Unusable]],
                 known: dict[str, KnowledgeFile]) -> None:
        queue: asyncio.Queue[_Work | None] = asyncio.Queue(maxsize=4)
        reader = asyncio.create_task(self._read_ahead(items, known, queue))
        writing: asyncio.Task | None = None
        try:
            while (work := await queue.get()) is not None:
                await self.control.checkpoint(self._paused)
                self.progress.current = work.path
                record, chunks, vectors = await self._finish(work)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(self._store(work, record, chunks, vectors))
            if writing is not None:
                await writing
            await reader
            if self.control.cancelled:       # the reader stopped early
                raise IndexCancelled
        finally:
            reader.cancel()
            if writing is not None and not writing.done():
                await asyncio.shield(writing)   # a started write completes

    async def _read_ahead(self, items: list[tuple[int, Found | Unusable]],
                          known: dict[str, KnowledgeFile],
                          queue: asyncio.Queue[_Work | None]) -> None:
        for source_id, item in items:
            if self.control.cancelled:
                break
            if isinstance(item, Unusable):
                await queue.put(_Work(source_id, item.path, problem=item.reason))
                continue
            await queue.put(await asyncio.to_thread(prepare, source_id, item,
                                                    known.get(item.path), self.key))
        await queue.put(None)

    async def _finish(self, work: _Work) -> tuple[KnowledgeFile | None, list[Chunk],
                                                  list[bytes | None] | None]:
        """The row to store for ``work`` (None: nothing to store) with its vectors."""
        if work.unchanged:
            return None, [], None
        record = KnowledgeFile(source_id=work.source_id, agent_id=self.agent_id,
                               path=work.path, mtime_ns=work.mtime_ns, size=work.size,
                               sha256=work.sha256)
        if work.problem is not None:
            return record.model_copy(update={"status": "error", "error": work.problem}), \
                [], None
        vectors = await self._embed(work.chunks)
        if vectors is not None:
            record.embed_model = self.key
        return record, work.chunks, vectors

    async def _embed(self, chunks: list[Chunk]) -> list[bytes | None] | None:
        if self.embedder is None or not chunks:
            return None
        blobs: list[bytes | None] = []
        try:
            for start in range(0, len(chunks), EMBED_BATCH):
                await self.control.checkpoint(self._paused)
                batch = [c.text for c in chunks[start:start + EMBED_BATCH]]
                blobs.extend(to_blob(row) for row in await self.embedder.embed(batch))
        except ProviderError as exc:
            self._error("(embedding model)", f"embeddings failed, keyword search only "
                        f"for the rest of this run: {exc}")
            self.embedder, self.key = None, ""
            return None
        return blobs

    async def _store(self, work: _Work, record: KnowledgeFile | None, chunks: list[Chunk],
                     vectors: list[bytes | None] | None) -> None:
        progress = self.progress
        if record is not None:
            await self.run(lambda s: s.knowledge.store_file(record, chunks, vectors))
            if record.status == "error":
                progress.failed += 1
                self._error(work.path, record.error)
            else:
                progress.indexed += 1
        else:
            if work.touch_id is not None:
                touch_id = work.touch_id
                await self.run(lambda s: s.knowledge.touch_file(touch_id, work.mtime_ns,
                                                                work.size))
            progress.unchanged += 1
        progress.done += 1
        self.report(progress.model_copy())

    def _error(self, path: str, reason: str) -> None:
        if len(self.progress.errors) < MAX_REPORTED_ERRORS:
            self.progress.errors.append((path, reason))
