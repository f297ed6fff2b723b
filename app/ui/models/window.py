"""The Model Library window (objectName ``modelLibrary``): Catalogue,
Downloads, Installed and — when such a provider is configured — Ollama and
LM Studio.

A non-modal AsyncDialog: every operation runs as a task owned by the
StoreBridge (file system work in a worker thread), so nothing waits on the UI
thread. Downloads belong to the app's ModelLibraryService, not to the window:
closing it leaves them running, and reopening shows them again.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialogButtonBox, QFileDialog, QMessageBox, QTabWidget, QVBoxLayout, QWidget)

from app.core.models.download_errors import DownloadBusy, DownloadError
from app.domain.model_library import CatalogueEntry, DownloadProgress, InstalledModel
from app.ops import model_catalogue, model_library
from app.services.provider_service import ProviderService
from app.services.store_bridge import StoreBridge
from app.ui.dialogs.async_dialog import AsyncDialog
from app.ui.file_dialogs import file_dialog
from app.ui.models import text
from app.ui.models.catalogue_tab import CatalogueTab
from app.ui.models.downloads_tab import DownloadsTab
from app.ui.models.installed_tab import InstalledTab, info_text
from app.ui.models.service import ModelLibraryService
from app.ui.plain_text import plain_box

if TYPE_CHECKING:
    from app.ui.models.lmstudio_tab import LMStudioTab
    from app.ui.models.ollama_tab import OllamaTab

log = logging.getLogger(__name__)

TITLE = "Model Library"


class ModelLibraryWindow(AsyncDialog):
    def __init__(self, bridge: StoreBridge, service: ModelLibraryService, *,
                 providers: ProviderService | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(bridge, parent)
        self.setObjectName("modelLibrary")
        self.setWindowTitle(TITLE)
        self.setModal(False)
        self.resize(980, 620)
        self.service = service
        self.provider_service = providers
        self.loaded = False
        self.tabs = QTabWidget()
        self.tabs.setObjectName("modelLibraryTabs")
        self.catalogue = CatalogueTab()
        self.downloads = DownloadsTab()
        self.installed = InstalledTab()
        self.ollama: OllamaTab | None = None
        self.lmstudio: LMStudioTab | None = None
        self.tabs.addTab(self.catalogue, "Catalogue")
        self.tabs.addTab(self.downloads, "Downloads")
        self.tabs.addTab(self.installed, "Installed")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

        self.catalogue.sig_download.connect(self.download)
        self.downloads.sig_pause.connect(lambda i: self._download_action("pause", i))
        self.downloads.sig_resume.connect(lambda i: self._download_action("resume", i))
        self.downloads.sig_cancel.connect(self.confirm_cancel)
        self.installed.sig_info.connect(self.show_info)
        self.installed.sig_remove.connect(self.confirm_remove)
        self.installed.sig_import.connect(self.choose_import)
        service.sig_progress.connect(self._on_progress)
        service.sig_models_changed.connect(self.reload_models)
        for progress in service.progress():
            self.downloads.show_progress(progress)
        self._update_downloads_title()
        self.spawn(self._load(), "load")

    # -- loading ---------------------------------------------------------------------------
    async def _load(self) -> None:
        if not self.service.started:
            await self.service.resume_if_pending()
        for progress in self.service.progress():
            self.downloads.show_progress(progress)
        self._update_downloads_title()
        await self._load_models()
        if self.provider_service is not None:
            await self._load_provider_tabs()
        self.loaded = True

    def reload_models(self) -> None:
        self.spawn(self._load_models(), "models")

    async def _load_models(self) -> None:
        folder = self.service.models_dir
        fit, filenames = await asyncio.to_thread(
            lambda: (model_catalogue.machine(folder), model_catalogue.installed_filenames(folder)))
        self.catalogue.set_machine(fit, filenames)
        self._mark_downloading()
        try:
            models = await asyncio.to_thread(model_library.installed, self.service.settings)
        except OSError as exc:
            self.installed.set_error(f"Cannot read the models folder: {exc}")
            return
        self.installed.set_models(models, str(folder))

    async def _load_provider_tabs(self) -> None:
        """The Ollama and LM Studio tabs, each when a provider of its kind exists."""
        assert self.provider_service is not None
        configs = await self.provider_service.list()
        ollama = [c for c in configs if c.kind == "ollama"]
        lmstudio = [c for c in configs if c.kind == "lmstudio"]
        if ollama:
            from app.ui.models.ollama_tab import OllamaTab

            if self.ollama is None:
                self.ollama = OllamaTab(self._bridge, self.spawn, self)
                self.tabs.addTab(self.ollama, "Ollama")
            self.ollama.set_providers(ollama)
        if lmstudio:
            from app.ui.models.lmstudio_tab import LMStudioTab

            if self.lmstudio is None:
                self.lmstudio = LMStudioTab(self._bridge, self.spawn)
                self.tabs.addTab(self.lmstudio, "LM Studio")
            self.lmstudio.set_providers(lmstudio)

    # -- downloads -------------------------------------------------------------------------
    def download(self, entry: CatalogueEntry) -> None:
        async def start() -> None:
            try:
                await self.service.download(entry)
            except DownloadBusy:
                pass    # its row says so: another AgentDesk process downloads it
            except DownloadError as exc:
                self.inform("Cannot download", f"{entry.name}: {exc}", warning=True)
                return
            self.tabs.setCurrentWidget(self.downloads)
        self.spawn(start(), f"download {entry.id}")

    def _download_action(self, action: str, download_id: str) -> None:
        async def run() -> None:
            self.downloads.set_busy(download_id, True)
            try:
                await getattr(self.service, action)(download_id)
            except DownloadBusy:
                pass    # the row shows the reason; its part is left alone
            except DownloadError as exc:
                self.inform("Download", str(exc), warning=True)
            finally:
                self.downloads.set_busy(download_id, False)
        self.spawn(run(), f"{action} {download_id}")

    def confirm_cancel(self, download_id: str) -> None:
        row = self.downloads.rows.get(download_id)
        name = row.progress.filename if row is not None else download_id
        self.confirm("Cancel download", f"Cancel the download of {text.bounded(name)}?",
                     lambda: self._download_action("cancel", download_id),
                     yes_text="Cancel Download",
                     informative="The part downloaded so far is deleted.")

    def _on_progress(self, progress: DownloadProgress) -> None:
        self.downloads.show_progress(progress)
        if progress.state in {"done", "cancelled", "failed", "queued"}:
            self._mark_downloading()
        self._update_downloads_title()

    def _mark_downloading(self) -> None:
        self.catalogue.set_downloading({p.filename for p in self.service.progress()
                                        if p.state not in {"done", "cancelled"}})

    def _update_downloads_title(self) -> None:
        active = self.downloads.active_count()
        index = self.tabs.indexOf(self.downloads)
        self.tabs.setTabText(index, f"Downloads ({active})" if active else "Downloads")

    # -- installed models -------------------------------------------------------------------
    def show_info(self, model: InstalledModel) -> None:
        self.inform(f"{text.bounded(model.name, 80)}", info_text(model))

    def confirm_remove(self, model: InstalledModel) -> None:
        how = ("The link is removed; the file it points to is kept."
               if model.source == "import-link" else "The file is deleted from the disk.")
        self.confirm("Remove model", f"Remove {text.bounded(model.name)}?",
                     lambda: self.spawn(self._remove(model), f"remove {model.name}"),
                     yes_text="Remove", informative=how)

    async def _remove(self, model: InstalledModel) -> None:
        try:
            await asyncio.to_thread(model_library.remove, self.service.settings, model.name)
        except (model_library.LibraryError, OSError) as exc:
            self.inform("Cannot remove", str(exc), warning=True)
            return
        await self._load_models()

    def choose_import(self) -> None:
        picker = file_dialog(self, "Import a GGUF model", str(Path.home()),
                             "GGUF models (*.gguf);;All files (*)")
        picker.setObjectName("importModelPicker")
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.fileSelected.connect(lambda path: self.ask_import_mode(Path(path)))
        picker.open()

    def ask_import_mode(self, path: Path) -> QMessageBox:
        """Copy or link: the person chooses (never blocking)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Import model",
                          f"Import {text.bounded(path.name)}", QMessageBox.StandardButton.Cancel,
                          self)
        box.setObjectName("importModeQuestion")
        box.setInformativeText(
            "Copy: the models folder gets its own copy (uses the disk space again; the "
            "original can be moved or deleted).\nLink: the models folder points to the file "
            "where it is (no extra space; moving or deleting the original breaks it).")
        plain_box(box)
        copy = box.addButton("Copy", QMessageBox.ButtonRole.AcceptRole)
        link = box.addButton("Link", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(copy)

        def finished(_result: int) -> None:
            mode = {copy: "copy", link: "link"}.get(box.clickedButton())
            if mode is not None:
                self.spawn(self._import(path, mode), f"import {path.name}")

        box.finished.connect(finished)
        box.open()
        return box

    async def _import(self, path: Path, mode: str) -> None:
        self.installed.set_error(f"Importing {text.bounded(path.name)}…")
        try:
            model = await asyncio.to_thread(model_library.import_gguf, self.service.settings,
                                            path, mode)
        except (model_library.LibraryError, OSError) as exc:
            self.installed.set_error(f"Not imported: {text.bounded(str(exc), 400)}")
            self.inform("Cannot import", str(exc), warning=True)
            return
        await self._load_models()
        self.installed.select(model.name)
        self.tabs.setCurrentWidget(self.installed)
