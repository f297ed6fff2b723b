"""Knowledge folders for the window: sources and settings through the store's
worker, and indexing runs in the background that outlive the dialog.

One ``KnowledgeService`` per ``StoreBridge`` (``for_bridge``): the agent
dialog's Knowledge tab shows the run of its agent — started there or before
the dialog was last closed — and pauses, resumes or cancels it. A run is
``app.ops.knowledge.reindex`` on the event loop: file reading and chunking on
worker threads, database writes on the store's worker, embedding calls async,
so the window stays responsive (bench/knowledge.py measures the loop's stalls).
"""

from __future__ import annotations

import logging
import weakref
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.domain import AgentSpec
from app.domain.knowledge import IndexProgress, KnowledgeFile, KnowledgeSettings, \
    KnowledgeSource
from app.ops import knowledge as knowledge_ops
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings, SettingsError, load_settings

log = logging.getLogger(__name__)

_services: weakref.WeakKeyDictionary[StoreBridge, KnowledgeService] = \
    weakref.WeakKeyDictionary()


class KnowledgeService(QObject):
    #: IndexProgress of any agent's run (after every file, and when it pauses).
    sig_progress = Signal(object)
    #: (agent id, message): a run could not start (its embedding model is unusable).
    sig_failed = Signal(int, str)

    def __init__(self, bridge: StoreBridge, settings: AppSettings | None = None) -> None:
        super().__init__(bridge)
        self._bridge = bridge
        self._settings = settings
        self._controls: dict[int, knowledge_ops.IndexControl] = {}
        self._progress: dict[int, IndexProgress] = {}

    @classmethod
    def for_bridge(cls, bridge: StoreBridge) -> KnowledgeService:
        service = _services.get(bridge)
        if service is None:
            service = _services[bridge] = cls(bridge)
        return service

    @property
    def settings(self) -> AppSettings:
        if self._settings is None:
            try:
                self._settings = load_settings(str(Path(self._bridge.store.path).parent))
            except SettingsError as exc:
                log.warning("knowledge: settings unreadable, using defaults: %s", exc)
                self._settings = AppSettings()
        return self._settings

    # -- data --------------------------------------------------------------------------
    async def sources(self, agent_id: int) -> list[KnowledgeSource]:
        return await self._bridge.run(partial(knowledge_ops.sources, agent_id=agent_id))

    async def files(self, agent_id: int) -> list[KnowledgeFile]:
        return await self._bridge.run(partial(knowledge_ops.files, agent_id=agent_id))

    async def add_source(self, agent_id: int, path: str) -> KnowledgeSource:
        return await self._bridge.run(partial(knowledge_ops.add_source, agent_id=agent_id,
                                              path=path))

    async def remove_source(self, agent_id: int, source_id: int) -> KnowledgeSource:
        return await self._bridge.run(partial(knowledge_ops.remove_source, agent_id=agent_id,
                                              key=source_id))

    async def get_settings(self, agent_id: int) -> KnowledgeSettings:
        return await self._bridge.run(partial(knowledge_ops.get_settings, agent_id=agent_id))

    async def save_settings(self, settings: KnowledgeSettings) -> KnowledgeSettings:
        return await self._bridge.run(partial(knowledge_ops.save_settings, settings=settings))

    # -- indexing ----------------------------------------------------------------------
    def running(self, agent_id: int) -> bool:
        return agent_id in self._controls

    def paused(self, agent_id: int) -> bool:
        control = self._controls.get(agent_id)
        return control is not None and control.paused

    def progress(self, agent_id: int) -> IndexProgress | None:
        """The latest progress of the agent's current or last run."""
        return self._progress.get(agent_id)

    def start(self, agent: AgentSpec) -> bool:
        """Index the agent's sources in the background (False: one runs already)."""
        assert agent.id is not None
        if agent.id in self._controls:
            return False
        control = self._controls[agent.id] = knowledge_ops.IndexControl()
        self._bridge.spawn(self._run(agent, control), name=f"knowledge-index-{agent.id}")
        return True

    async def _run(self, agent: AgentSpec, control: knowledge_ops.IndexControl) -> None:
        assert agent.id is not None
        try:
            await knowledge_ops.reindex(self._bridge.store.run, agent, self.settings,
                                        control=control, on_progress=self._report)
        except knowledge_ops.EmbedderProblem as exc:
            self.sig_failed.emit(agent.id, str(exc))
        finally:
            self._controls.pop(agent.id, None)
            final = self._progress.get(agent.id)
            if final is not None:
                self.sig_progress.emit(final)

    def _report(self, progress: IndexProgress) -> None:
        self._progress[progress.agent_id] = progress
        self.sig_progress.emit(progress)

    def pause(self, agent_id: int) -> None:
        if agent_id in self._controls:
            self._controls[agent_id].pause()

    def resume(self, agent_id: int) -> None:
        if agent_id in self._controls:
            self._controls[agent_id].resume()

    def cancel(self, agent_id: int) -> None:
        if agent_id in self._controls:
            self._controls[agent_id].cancel()
