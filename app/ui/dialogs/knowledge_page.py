"""The agent editor's Knowledge tab: files and folders the agent answers from.

Sources are added and removed at once (like facts on the Memory tab: the
person's data, not an agent setting), and indexing starts in the background
(``KnowledgeService``): progress, Pause/Resume, Cancel and Reindex are here,
and a run goes on when the dialog closes. Retrieval (off, automatic, or the
``knowledge_search`` tool) and the embedding model are saved when changed.
Files that could not be indexed are listed with their reason as plain text.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import AgentSpec, ProviderConfig
from app.domain.knowledge import IndexProgress, KnowledgeSettings
from app.services.knowledge_service import KnowledgeService
from app.store import EXTERNAL, ChangeNotice, StoreError
from app.ui.contrast_style import pad_items
from app.ui.dialogs.memory_editor import Spawn
from app.ui.dialogs.widgets import FieldMessage
from app.ui.file_dialogs import file_dialog
from app.ui.plain_text import tooltip

log = logging.getLogger(__name__)

RETRIEVAL = (("off", "Off"), ("auto", "Automatic: search with every message"),
             ("tool", "Tool: the agent searches when it wants (knowledge_search)"))
KEYWORD_ONLY = "None: keyword search only"
NOTE = ("Files and folders this agent answers from. They are indexed in the background "
        "into this computer's database; answers cite them as [1], [2] … Changes here are "
        "saved at once.")
MAX_SHOWN_ERRORS = 200


def elide(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters in the middle (paths keep both ends)."""
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return f"{text[:half]}…{text[-(limit - 1 - half):]}"


class KnowledgePage(QWidget):
    #: Sources, files and settings were (re)loaded (tests wait on this).
    sig_loaded = Signal()

    def __init__(self, service: KnowledgeService, spawn: Spawn,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("knowledgePage")
        self._service = service
        self._spawn = spawn
        self._agent: AgentSpec | None = None
        self._settings: KnowledgeSettings | None = None
        self._loading = False
        self._build()
        service.sig_progress.connect(self._on_progress)
        service.sig_failed.connect(self._on_failed)

    # -- construction -------------------------------------------------------------------
    def _build(self) -> None:
        note = QLabel(NOTE)
        note.setWordWrap(True)
        self.retrieval = QComboBox()
        self.retrieval.setObjectName("knowledgeRetrieval")
        for key, label in RETRIEVAL:
            self.retrieval.addItem(label, key)
        self.embed_provider = QComboBox()
        self.embed_provider.setObjectName("knowledgeEmbedProvider")
        self.embed_model = QLineEdit()
        self.embed_model.setObjectName("knowledgeEmbedModel")
        self.embed_model.setPlaceholderText("e.g. nomic-embed-text")
        form = QFormLayout()
        form.addRow("&Retrieval:", self.retrieval)
        form.addRow("&Embeddings:", self.embed_provider)
        form.addRow("Embedding &model:", self.embed_model)

        self.sources = QListWidget()
        self.sources.setObjectName("knowledgeSources")
        self.sources.setAccessibleName("Knowledge sources")
        pad_items(self.sources, 6, 4)
        self.add_files = QPushButton("Add &files…")
        self.add_files.setObjectName("knowledgeAddFiles")
        self.add_folder = QPushButton("Add f&older…")
        self.add_folder.setObjectName("knowledgeAddFolder")
        self.remove = QPushButton("&Remove")
        self.remove.setObjectName("knowledgeRemove")
        self.reindex = QPushButton("Re&index")
        self.reindex.setObjectName("knowledgeReindex")
        self.pause = QPushButton("&Pause")
        self.pause.setObjectName("knowledgePause")
        self.cancel = QPushButton("&Stop")
        self.cancel.setObjectName("knowledgeCancel")
        buttons = QHBoxLayout()
        for button in (self.add_files, self.add_folder, self.remove):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.reindex, self.pause, self.cancel):
            buttons.addWidget(button)

        self.progress = QProgressBar()
        self.progress.setObjectName("knowledgeProgress")
        self.status = QLabel("")
        self.status.setObjectName("knowledgeStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.errors = QListWidget()
        self.errors.setObjectName("knowledgeErrors")
        self.errors.setAccessibleName("Files that could not be indexed")
        self.errors.setMaximumHeight(110)
        self.errors.setWordWrap(True)
        self.message = FieldMessage("knowledgeMessage")

        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.sources, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.errors)
        layout.addWidget(self.message)

        self.retrieval.currentIndexChanged.connect(lambda _i: self._settings_changed())
        self.embed_provider.currentIndexChanged.connect(lambda _i: self._settings_changed())
        self.embed_model.editingFinished.connect(self._settings_changed)
        self.add_files.clicked.connect(lambda: self._pick(folder=False))
        self.add_folder.clicked.connect(lambda: self._pick(folder=True))
        self.remove.clicked.connect(self._remove_selected)
        self.reindex.clicked.connect(self.start_indexing)
        self.pause.clicked.connect(self._pause_clicked)
        self.cancel.clicked.connect(self._cancel_clicked)
        self.sources.currentRowChanged.connect(lambda _r: self._update_buttons())
        self._update_buttons()

    # -- state ---------------------------------------------------------------------------
    def set_agent(self, agent: AgentSpec | None, providers: list[ProviderConfig]) -> None:
        """Show ``agent``'s knowledge (None: an unsaved agent, nothing to show yet)."""
        self._agent = agent
        self._loading = True
        self.embed_provider.clear()
        self.embed_provider.addItem(KEYWORD_ONLY, "")
        for config in providers:
            self.embed_provider.addItem(config.name, config.name)
        self._loading = False
        self._update_buttons()
        if agent is not None and agent.id is not None:
            self._on_progress(self._service.progress(agent.id))
            self.reload()

    def _agent_id(self) -> int | None:
        return self._agent.id if self._agent is not None else None

    def _update_buttons(self) -> None:
        agent_id = self._agent_id()
        saved = agent_id is not None
        running = saved and self._service.running(agent_id)
        for widget in (self.add_files, self.add_folder, self.retrieval, self.embed_provider,
                       self.embed_model):
            widget.setEnabled(saved)
        self.remove.setEnabled(saved and self.sources.currentItem() is not None)
        self.reindex.setEnabled(saved and not running and self.sources.count() > 0)
        self.pause.setEnabled(bool(running))
        self.cancel.setEnabled(bool(running))
        self.pause.setText("&Resume" if saved and self._service.paused(agent_id) else "&Pause")

    def on_notice(self, notice: ChangeNotice) -> None:
        """Reload when another process changed this agent's knowledge."""
        if notice.entity == EXTERNAL and self._agent_id() is not None:
            self.reload()

    def reload(self) -> None:
        self._spawn(self._load(), "knowledge")

    async def _load(self) -> None:
        agent_id = self._agent_id()
        if agent_id is None:
            return
        settings = await self._service.get_settings(agent_id)
        sources = await self._service.sources(agent_id)
        files = await self._service.files(agent_id)
        self._show(settings, sources, files)

    def _show(self, settings: KnowledgeSettings, sources, files) -> None:  # type: ignore[no-untyped-def]
        self._loading = True
        self._settings = settings
        self.retrieval.setCurrentIndex(max(self.retrieval.findData(settings.retrieval), 0))
        index = self.embed_provider.findData(settings.embed_provider)
        if index < 0 and settings.embed_provider:
            self.embed_provider.addItem(f"{settings.embed_provider} (not configured)",
                                        settings.embed_provider)
            index = self.embed_provider.count() - 1
        self.embed_provider.setCurrentIndex(max(index, 0))
        self.embed_model.setText(settings.embed_model)
        self._loading = False
        current = self.sources.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.sources.clear()
        for source in sources:
            errors = f", {source.errors} not indexed" if source.errors else ""
            item = QListWidgetItem(f"{elide(source.path, 90)}\n{source.files} files, "
                                   f"{source.chunks} chunks{errors}")
            item.setData(Qt.ItemDataRole.UserRole, source.id)
            item.setToolTip(tooltip(source.path))
            self.sources.addItem(item)
            if source.id == keep:
                self.sources.setCurrentItem(item)
        self.errors.clear()
        failed = [f for f in files if f.status == "error"][:MAX_SHOWN_ERRORS]
        for file in failed:
            item = QListWidgetItem(f"{Path(file.path).name} — {elide(file.error, 200)}")
            item.setToolTip(tooltip(f"{file.path}\n{file.error}"))
            self.errors.addItem(item)
        self.errors.setVisible(bool(failed))
        self._update_buttons()
        self.sig_loaded.emit()

    # -- settings ------------------------------------------------------------------------
    def _settings_changed(self) -> None:
        agent_id = self._agent_id()
        if self._loading or agent_id is None or self._settings is None:
            return
        provider = self.embed_provider.currentData() or ""
        model = self.embed_model.text().strip() if provider else ""
        try:
            wanted = self._settings.model_copy(update={
                "retrieval": self.retrieval.currentData(), "embed_provider": provider,
                "embed_model": model})
            KnowledgeSettings.model_validate(wanted.model_dump())
        except ValidationError as exc:
            self.message.show_problem(f"Cannot use these settings: {exc.errors()[0]['msg']}")
            return
        if provider and not model:
            self.message.show_problem("Name the embedding model too (keyword search until then).")
            return
        if wanted == self._settings:
            return
        self.message.show_problem(None)
        self._settings = wanted
        self._spawn(self._save_settings(wanted), "knowledge-settings")

    async def _save_settings(self, settings: KnowledgeSettings) -> None:
        try:
            await self._service.save_settings(settings)
        except StoreError as exc:
            self.message.show_problem(f"Cannot save: {exc}")

    # -- sources -------------------------------------------------------------------------
    def _pick(self, *, folder: bool) -> None:
        picker = file_dialog(self, "Add a folder" if folder else "Add files")
        picker.setObjectName("knowledgePicker")
        if folder:
            picker.setFileMode(QFileDialog.FileMode.Directory)
            picker.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            picker.setFileMode(QFileDialog.FileMode.ExistingFiles)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.filesSelected.connect(self.add_paths)
        picker.open()

    def add_paths(self, paths: list[str]) -> None:
        """Add files or folders and index them."""
        if self._agent_id() is not None and paths:
            self._spawn(self._add(list(paths)), "knowledge-add")

    async def _add(self, paths: list[str]) -> None:
        agent_id = self._agent_id()
        assert agent_id is not None
        for path in paths:
            try:
                await self._service.add_source(agent_id, path)
            except (ValueError, StoreError) as exc:
                self.message.show_problem(str(exc))
                return
        self.message.show_problem(None)
        await self._load()
        self.start_indexing()

    def _remove_selected(self) -> None:
        item = self.sources.currentItem()
        agent_id = self._agent_id()
        if item is not None and agent_id is not None:
            self._spawn(self._remove(agent_id, item.data(Qt.ItemDataRole.UserRole)),
                        "knowledge-remove")

    async def _remove(self, agent_id: int, source_id: int) -> None:
        try:
            await self._service.remove_source(agent_id, source_id)
        except StoreError as exc:
            self.message.show_problem(str(exc))
        await self._load()

    # -- indexing ------------------------------------------------------------------------
    def start_indexing(self) -> None:
        if self._agent is not None and self._agent.id is not None:
            self._service.start(self._agent)
            self._update_buttons()

    def _pause_clicked(self) -> None:
        agent_id = self._agent_id()
        if agent_id is None:
            return
        if self._service.paused(agent_id):
            self._service.resume(agent_id)
        else:
            self._service.pause(agent_id)
        self._update_buttons()

    def _cancel_clicked(self) -> None:
        agent_id = self._agent_id()
        if agent_id is not None:
            self._service.cancel(agent_id)

    def _on_failed(self, agent_id: int, message: str) -> None:
        if agent_id == self._agent_id():
            self.message.show_problem(f"Cannot index: {message}")
            self._update_buttons()

    def _on_progress(self, progress: IndexProgress | None) -> None:
        if progress is None or progress.agent_id != self._agent_id():
            return
        self.progress.setMaximum(max(progress.total, 1))
        self.progress.setValue(progress.done)
        state = {"scanning": "Looking for files…", "indexing": "Indexing",
                 "paused": "Paused", "cancelled": "Stopped", "finished": "Up to date"}
        text = (f"{state[progress.state]}: {progress.done} of {progress.total} files "
                f"({progress.indexed} indexed, {progress.unchanged} unchanged, "
                f"{progress.removed} removed, {progress.failed} not indexed)")
        if progress.current and progress.state == "indexing":
            text += f"\n{elide(progress.current, 100)}"
        self.status.setText(text)
        if progress.state in ("finished", "cancelled") and not \
                self._service.running(progress.agent_id):
            self.reload()
        self._update_buttons()
