"""CompareSession: the Qt side of a running compare (app/core/compare.py).

``start`` reads the providers through the store's worker and runs a
``CompareRun`` as a task owned by the StoreBridge (a shutdown cancels it);
every ``ColumnEvent`` is re-emitted as ``sig_event(column, event)`` in
arrival order. ``stop`` stops every column (each ends ``cancelled`` with
what it had). ``keep`` records the chosen column through
``app/ops/compare.keep`` on the store's worker. One compare runs at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import aclosing
from functools import partial

from PySide6.QtCore import QObject, Signal

from app.core.compare import ColumnOutcome, CompareColumn, CompareRun
from app.core.fallback import ProviderSource
from app.ops import compare as compare_ops
from app.services.store_bridge import StoreBridge
from app.services.task_session import TaskSession
from app.settings import AppSettings

log = logging.getLogger(__name__)


class CompareSession(TaskSession):
    sig_started = Signal()
    #: column index, a run event or Attempt (app/core/compare.py)
    sig_event = Signal(int, object)
    sig_finished = Signal()

    def __init__(self, bridge: StoreBridge, settings: AppSettings, *,
                 providers: ProviderSource | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(bridge, settings, providers=providers, parent=parent)
        self._run: CompareRun | None = None
        self.message = ""

    @property
    def outcomes(self) -> list[ColumnOutcome]:
        return list(self._run.outcomes) if self._run is not None else []

    def start(self, columns: Sequence[CompareColumn], message: str) -> None:
        if self.running:
            raise RuntimeError("a compare is already running")
        self.message = message
        self._run = None
        self._spawn(self._go(list(columns), message), "compare")

    async def _go(self, columns: list[CompareColumn], message: str) -> None:
        try:
            configs = await self._bridge.run(compare_ops.provider_configs)
            run = CompareRun(columns, message, configs, self._settings,
                             providers=self._providers)
            self._run = run
            self.sig_started.emit()
            async with aclosing(run.events()) as events:
                async for item in events:
                    self.sig_event.emit(item.column, item.event)
        finally:
            self.sig_finished.emit()

    def stop(self) -> bool:
        """Stop every column still answering (each ends ``cancelled`` with what
        it had); before the run exists, cancel the task."""
        if self._run is not None:
            self._run.stop()
            return self.running
        return super().stop()

    async def keep(self, chosen: int) -> compare_ops.KeptCompare:
        """Record the finished compare with column ``chosen`` as the reply."""
        outcomes = self.outcomes
        return await self._bridge.run(partial(compare_ops.keep, message=self.message,
                                              outcomes=outcomes, chosen=chosen))
