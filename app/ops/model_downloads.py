"""Downloads of catalogue models for the embedded engine: the named operations
the window, ``agentdesk models pull`` and the coming HTTP API share.

The work is done by ``app.core.models.downloads.DownloadManager`` (one per
models folder and event loop); these functions pick the files of a catalogue
entry, start or await them, and say where a download stands in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.domain import units
from app.core.models.downloads import DownloadManager
from app.domain.model_library import CatalogueEntry, DownloadProgress
from app.settings import AppSettings

MODELS_FOLDER = "models"


def models_dir(settings: AppSettings) -> Path:
    """The models folder: ``<data folder>/models``."""
    return settings.home / MODELS_FOLDER


def open_manager(settings: AppSettings, **options) -> DownloadManager:
    """A download manager on the settings' models folder (call
    ``resume_pending()`` on it once the event loop runs)."""
    return DownloadManager(models_dir(settings), **options)


async def start_entry(manager: DownloadManager, entry: CatalogueEntry) -> list[str]:
    """Start every file of ``entry`` (a vision model's projector too); returns
    the download ids. Raises ``DownloadRefused`` (no space, already there...)."""
    return [await manager.start(file) for file in entry.files]


async def pull(manager: DownloadManager, entry: CatalogueEntry,
               on_progress: Callable[[DownloadProgress], None] | None = None,
               ) -> list[DownloadProgress]:
    """Download ``entry`` and wait for it (the CLI's ``pull``): the final
    progress of each file, ``failed`` ones carrying their reason."""
    unsubscribe = manager.subscribe(on_progress) if on_progress else None
    try:
        ids = await start_entry(manager, entry)
        return [await manager.wait(download_id) for download_id in ids]
    finally:
        if unsubscribe:
            unsubscribe()


def describe(progress: DownloadProgress) -> str:
    """One line for a progress row or the CLI: '120.0 of 253.1 MB, 12.5 MB/s, 11 s left'."""
    if progress.state == "failed":
        return f"{progress.filename}: failed: {progress.error}"
    if progress.state == "paused" and progress.error:   # another process downloads it
        return progress.error
    if progress.state in {"done", "cancelled", "paused", "queued", "verifying"}:
        done = _mb(progress.received)
        total = f" of {_mb(progress.total)}" if progress.total else ""
        return f"{progress.filename}: {progress.state} ({done}{total})"
    text = f"{progress.filename}: {_mb(progress.received)}"
    if progress.total:
        text += f" of {_mb(progress.total)} ({100 * progress.received / progress.total:.0f}%)"
    if progress.bytes_per_s:
        text += f", {progress.bytes_per_s / 1e6:.1f} MB/s"
    if progress.eta_s is not None:
        text += f", {units.duration(progress.eta_s)} left"
    return text


def _mb(count: int) -> str:
    return f"{count / 1e6:,.1f} MB"


