"""Export and import by menu: chats (one, a selection) and agents, as files.

The same formats as the CLI and drag and drop (app/core/export): a chat as
JSON (imports back), Markdown, HTML or PDF; an agent as its portable JSON file.
Pickers are non-blocking (``open()``, never ``exec()``); reading, rendering
and writing run on the store's worker, except the PDF, which Qt lays out on
this thread. Every write is atomic: a failed export leaves no half file.
app/core/export is imported on first use, not at start.

Importing an agent whose name is taken imports it under a free name
("Helper (2)") rather than refusing: in a window the person can rename it
afterwards, and nothing already there is ever changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from app.domain import AgentSpec, Conversation
from app.ops import exchange
from app.ops.exchange import ExportError
from app.services.data_service import DataService
from app.services.store_bridge import StoreBridge
from app.ui.drag_drop import WindowDropImporter, safe_filename
from app.ui.export_all import choose_export_file, describe_export, export_all
from app.ui.file_dialogs import file_dialog
from app.ui.grant_question import ask_to_grant
from app.ui.open_dialogs import DialogSlot
from app.ui.prompts import inform, warn

log = logging.getLogger(__name__)

IMPORT_FILTER = ("Chat exports (*.json *.md *.markdown *.txt);;"
                 "AgentDesk agent files (*.json);;All files (*)")
AGENT_FILTER = "AgentDesk agent (*.agent.json *.json)"
AGENT_SUFFIX = ".agent.json"


class FileActions(QObject):
    """The window's Export… / Import… commands for chats and agents."""

    #: An export finished: (path, count).
    sig_exported = Signal(object, int)
    #: An agent was imported: the new AgentSpec (the window selects it).
    sig_agent_imported = Signal(object)

    def __init__(self, window: QWidget, bridge: StoreBridge, service: DataService,
                 importer: WindowDropImporter, default_format: Callable[[], str],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._bridge = bridge
        self._service = service
        self._importer = importer
        self._default_format = default_format
        self._picker_slot: DialogSlot[QFileDialog] = DialogSlot()   # deletes itself on close

    # -- chats -------------------------------------------------------------------------
    def export_chats(self, conversations: list[Conversation]) -> QFileDialog | None:
        """Pick a file, then write the chats there (format by suffix or filter)."""
        ids = [c.id for c in conversations if c.id is not None]
        if not ids:
            return None
        fmt = self._default_format()
        name = (safe_filename(conversations[0].title,
                              exchange.FORMAT_SUFFIXES.get(fmt, ".md"))
                if len(ids) == 1 else None)
        title = "Export chat" if len(ids) == 1 else f"Export {len(ids)} chats"
        self.picker = choose_export_file(
            self._window, lambda path, chosen: self._bridge.spawn(
                self._write_chats(ids, chosen, path), name="export-chats"),
            title=title, name=name, default_format=fmt)
        return self.picker

    async def _write_chats(self, ids: list[int], fmt: str, path: Path) -> None:
        try:
            result = await export_all(self._service, path, fmt, ids)
        except ExportError as exc:
            warn(self._window, "Export failed", f"Nothing was exported: {exc}")
            return
        self.sig_exported.emit(result.path, result.conversations)
        inform(self._window, "Export finished", describe_export(result))

    def import_chats(self) -> QFileDialog:
        picker = self._picker("Import chats", str(Path.home()), IMPORT_FILTER, save=False)
        picker.setFileMode(QFileDialog.FileMode.ExistingFiles)
        picker.filesSelected.connect(
            lambda paths: self._importer.import_paths([Path(p) for p in paths]))
        picker.open()
        return picker

    # -- agents ------------------------------------------------------------------------
    def export_agent(self, agent: AgentSpec | None) -> QFileDialog | None:
        if agent is None:
            return None
        name = safe_filename(agent.name, AGENT_SUFFIX)
        picker = self._picker("Export agent", str(Path.home() / name), AGENT_FILTER,
                              save=True)

        def chosen(path: str) -> None:
            try:
                target = exchange.export_agent(Path(path), agent)
            except ExportError as exc:
                warn(self._window, "Export failed", str(exc))
                return
            self.sig_exported.emit(target, 1)
            inform(self._window, "Agent exported", f"Saved “{agent.name}” to {target}.")

        picker.fileSelected.connect(chosen)
        picker.open()
        return picker

    def import_agent_dialog(self) -> QFileDialog:
        picker = self._picker("Import agent", str(Path.home()), AGENT_FILTER, save=False)
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.fileSelected.connect(lambda path: self.import_agent_file(Path(path)))
        picker.open()
        return picker

    def import_agent_file(self, path: Path):  # noqa: ANN201 (the task)
        from app.core.export.agent_file import AgentFileError, read_agent_file

        try:
            spec = read_agent_file(path, source=path.name)
        except AgentFileError as exc:
            warn(self._window, "Agent not imported", str(exc))
            return None

        async def run() -> AgentSpec:
            imported = await self._bridge.run(partial(exchange.import_agent, spec=spec))
            created, missing = imported.agent, imported.missing_providers
            self.sig_agent_imported.emit(created)
            note = f"Imported the agent “{created.name}”."
            if created.name != imported.requested_name:
                note += f" (“{imported.requested_name}” was taken.)"
            if missing:
                note += (f"\nIts provider{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)} {'are' if len(missing) > 1 else 'is'} "
                         "not configured here: add it in Settings › Providers.")
            if (workspace := imported.withheld.workspace_note()) is not None:
                note += f"\n{workspace}"
            if imported.withheld.policies:
                ask_to_grant(self._window, self._bridge, created, imported.withheld,
                             preamble=note)
            else:
                inform(self._window, "Agent imported", note).setTextFormat(
                    Qt.TextFormat.PlainText)
            return created
        return self._bridge.spawn(run(), name="import-agent")

    # -- pickers -------------------------------------------------------------------------
    def _picker(self, title: str, start: str, filters: str, *, save: bool) -> QFileDialog:
        picker = file_dialog(self._window, title, start, filters)
        picker.setObjectName("exportPicker" if save else "importPicker")
        picker.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save
                             else QFileDialog.AcceptMode.AcceptOpen)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.picker = picker
        return picker

    @property
    def picker(self) -> QFileDialog | None:
        """The open file picker (tests drive it); None once it closed and was deleted."""
        return self._picker_slot.get()

    @picker.setter
    def picker(self, picker: QFileDialog | None) -> None:
        self._picker_slot.set(picker)
