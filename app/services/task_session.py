"""TaskSession: the part every window session shares that owns one task at a
time (a chat turn, a workflow run): the task is spawned on the StoreBridge (so
a shutdown cancels and awaits it), ``running`` says whether it is still going,
and ``stop`` cancels it, the subclass's task keeping what was written so far."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject

from app.core.fallback import ProviderSource
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings

T = TypeVar("T")


class TaskSession(QObject):
    """Owns at most one running task; see the module docstring."""

    def __init__(self, bridge: StoreBridge, settings: AppSettings, *,
                 providers: ProviderSource | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._settings = settings
        self._providers = providers
        self._task: asyncio.Task[Any] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _spawn(self, work: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run ``work`` as this session's task (the caller checked ``running``)."""
        task = self._bridge.spawn(work, name=name)
        self._task = task
        return task

    def stop(self) -> bool:
        """Cancel the running task; False when nothing runs."""
        if self._task is None or self._task.done():
            return False
        self._task.cancel()
        return True
