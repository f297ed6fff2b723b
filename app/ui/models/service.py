"""The model downloads of one application lifetime, for the window.

``ModelLibraryService`` owns the one ``DownloadManager`` of the app (made on
first use by ``app.ops.model_downloads.open_manager``): the Model Library
window comes and goes, the downloads go on. Progress reaches Qt as
``sig_progress`` (the manager calls back on the event loop's thread, which
under qasync is the UI thread).

The manager's life is a task owned by the StoreBridge (``_keep``): it picks up
the downloads of an earlier run (``resume_pending``) and, when the bridge shuts
down at exit, stops the transfers with their state saved (``aclose``), so the
next start resumes them. ``resume_if_pending`` starts it at app start only when
an earlier run left downloads behind.

``service_for(bridge, settings)`` gives the one service of an application
lifetime: it is a child of the StoreBridge (made once by run_app), so the
window, its reopenings and the start-up resume all share it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.models.downloads import DownloadManager
from app.domain.model_library import CatalogueEntry, DownloadProgress
from app.ops import model_downloads
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings

log = logging.getLogger(__name__)

STATE_FOLDER = ".downloads"
SERVICE_NAME = "modelLibraryService"


class ModelLibraryService(QObject):
    #: A DownloadProgress: a download changed (bytes, state).
    sig_progress = Signal(object)
    #: The models folder changed (a download finished, a model was removed or imported).
    sig_models_changed = Signal()

    def __init__(self, bridge: StoreBridge, settings: AppSettings,
                 parent: QObject | None = None, **manager_options: Any) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.settings = settings
        #: Passed to DownloadManager (tests: progress_interval, retries...).
        self.manager_options: dict[str, Any] = dict(manager_options)
        self._manager: DownloadManager | None = None
        self._ready: asyncio.Event | None = None

    @property
    def models_dir(self) -> Path:
        return model_downloads.models_dir(self.settings)

    @property
    def started(self) -> bool:
        return self._manager is not None

    def manager(self) -> DownloadManager:
        """The download manager (made, and earlier downloads picked up, on first use)."""
        if self._manager is None:
            self._manager = model_downloads.open_manager(self.settings, **self.manager_options)
            self._manager.subscribe(self._on_progress)
            self._ready = asyncio.Event()
            self._bridge.spawn(self._keep(self._manager, self._ready), name="model-downloads")
        return self._manager

    async def ready(self) -> DownloadManager:
        """The manager once the downloads of an earlier run are listed."""
        manager = self.manager()
        assert self._ready is not None
        await self._ready.wait()
        return manager

    async def resume_if_pending(self) -> bool:
        """Start the manager when an earlier run left downloads (state files)."""
        folder = self.models_dir / STATE_FOLDER
        pending = await asyncio.to_thread(lambda: folder.is_dir() and any(folder.glob("*.json")))
        if pending:
            await self.ready()
        return bool(pending)

    def progress(self) -> list[DownloadProgress]:
        return self._manager.progress() if self._manager is not None else []

    # -- actions (awaited in tasks the window spawns) ----------------------------------------
    async def download(self, entry: CatalogueEntry) -> list[str]:
        """Start every file of ``entry``; raises DownloadRefused with the reason."""
        manager = await self.ready()
        return await model_downloads.start_entry(manager, entry)

    async def pause(self, download_id: str) -> None:
        await (await self.ready()).pause(download_id)

    async def resume(self, download_id: str) -> None:
        await (await self.ready()).resume(download_id)

    async def cancel(self, download_id: str) -> None:
        await (await self.ready()).cancel(download_id)

    # -- inside ------------------------------------------------------------------------------
    def _on_progress(self, progress: DownloadProgress) -> None:
        self.sig_progress.emit(progress)
        if progress.state == "done":
            self.sig_models_changed.emit()

    async def _keep(self, manager: DownloadManager, ready: asyncio.Event) -> None:
        """Hold the manager for the app's lifetime (see the module docstring)."""
        try:
            resumed = await manager.resume_pending()
            if resumed:
                log.info("resumed %d model download(s) of an earlier run", len(resumed))
            for busy in manager.busy_elsewhere():   # their rows say why
                log.info("not resumed: %s", busy.error)
            ready.set()
            await asyncio.Event().wait()   # until the bridge shuts down
        finally:
            ready.set()
            await manager.aclose()


def service_for(bridge: StoreBridge, settings: AppSettings) -> ModelLibraryService:
    """The bridge's ModelLibraryService (made on first use)."""
    found = bridge.findChild(ModelLibraryService, SERVICE_NAME)
    if found is not None:
        return found
    service = ModelLibraryService(bridge, settings, parent=bridge)
    service.setObjectName(SERVICE_NAME)
    return service
