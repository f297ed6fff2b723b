"""Settings > Data: where the data lives, Backup now, Restore (at next start),
Export all.

Backup, restore and export are app/ops/data.py and app/ops/exchange.py (the
restore design and the export's atomic write are described there), scheduled
off the UI thread by app/services/data_service.py. "Export all…" writes every
conversation, archived ones too, as JSON (imports back), Markdown, HTML or PDF
through app/core/export — the same export as ``agentdesk conversations export
--all``; the format follows the file name's suffix or the chosen filter. It
runs on the store's worker with the spinner turning and the button disabled,
then the status line says how many conversations went where, or why not.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.wording import plural
from app.ops.data import BackupError, BackupInfo, inspect_backup
from app.ops.exchange import ExportError
from app.services.data_service import DataService
from app.ui.dialogs.widgets import Spinner, error_color
from app.ui.export_all import choose_export_file, describe_export, export_all
from app.ui.file_dialogs import file_dialog
from app.ui.plain_text import tooltip


def describe_backup(info: BackupInfo) -> str:
    return (f"{plural(info.agents, 'agent')}, {plural(info.conversations, 'conversation')}, "
            f"{plural(info.messages, 'message')} (schema {info.schema_version})")


class DataPage(QWidget):
    def __init__(self, service: DataService, spawn, confirm,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._spawn = spawn
        self._confirm = confirm
        self.folder = QLabel(str(service.home))
        self.folder.setObjectName("dataFolderLabel")
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open folder")
        self.open_button.setObjectName("openDataFolderButton")
        self.backup_button = QPushButton("Back up now…")
        self.backup_button.setObjectName("backupButton")
        self.restore_button = QPushButton("Restore from backup…")
        self.restore_button.setObjectName("restoreButton")
        self.cancel_restore_button = QPushButton("Cancel the restore")
        self.cancel_restore_button.setObjectName("cancelRestoreButton")
        self.export_button = QPushButton("Export all…")
        self.export_button.setObjectName("exportAllButton")
        self.export_button.setToolTip("Write every conversation to one file: JSON "
                                      "(imports back), Markdown, HTML or PDF")
        self.spinner = Spinner()
        self.status = QLabel()
        self.status.setObjectName("dataStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.open_button)
        form = QFormLayout()
        form.addRow("Data folder", folder_row)
        actions = QHBoxLayout()
        for button in (self.backup_button, self.restore_button, self.cancel_restore_button,
                       self.export_button):
            actions.addWidget(button)
        actions.addStretch(1)
        status_row = QHBoxLayout()
        status_row.addWidget(self.spinner, 0, Qt.AlignmentFlag.AlignTop)
        status_row.addWidget(self.status, 1)
        note = QLabel("A backup is a complete copy of the database, made while AgentDesk "
                      "runs. A restore is checked now and applied the next time AgentDesk "
                      "starts; the current database is kept beside it. Export all writes "
                      "every conversation to one file (JSON imports back; Markdown, HTML "
                      "and PDF are for reading).")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addLayout(actions)
        layout.addLayout(status_row)
        layout.addStretch(1)

        self.open_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(service.home))))
        self.backup_button.clicked.connect(self._choose_backup_file)
        self.restore_button.clicked.connect(self._choose_restore_file)
        self.cancel_restore_button.clicked.connect(self._cancel_restore)
        self.export_button.clicked.connect(
            lambda: choose_export_file(self, self.start_export))
        self._show_pending()

    # -- backup --------------------------------------------------------------------------
    def _choose_backup_file(self) -> None:
        stamp = datetime.now().strftime("%Y-%m-%d-%H%M")
        suggested = str(Path.home() / f"agentdesk-backup-{stamp}.db")
        picker = file_dialog(self, "Back up to", suggested, "AgentDesk database (*.db)")
        picker.setObjectName("backupPicker")
        picker.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        picker.setDefaultSuffix("db")
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.fileSelected.connect(lambda path: self.start_backup(Path(path)))
        picker.open()

    def start_backup(self, destination: Path) -> None:
        if destination.resolve() == (self._service.home / "agentdesk.db").resolve():
            self._show("Choose another file: that one is the live database.", error=True)
            return
        self.spinner.start()
        self.backup_button.setEnabled(False)
        self._show(f"Backing up to {destination}…")
        self._spawn(self._backup(destination), "backup")

    async def _backup(self, destination: Path) -> None:
        try:
            info = await self._service.backup(destination)
        except BackupError as exc:
            self._show(str(exc), error=True)
            return
        finally:
            self.spinner.stop()
            self.backup_button.setEnabled(True)
        self._show(f"Backed up to {destination}: {describe_backup(info)}.")

    # -- export all ------------------------------------------------------------------------
    def start_export(self, destination: Path, fmt: str) -> None:
        self.spinner.start()
        self.export_button.setEnabled(False)
        self._show(f"Exporting all conversations to {destination}…")
        self._spawn(self._export(destination, fmt), "export-all")

    async def _export(self, destination: Path, fmt: str) -> None:
        try:
            result = await export_all(self._service, destination, fmt)
        except ExportError as exc:
            self._show(f"Nothing was exported: {exc}", error=True)
            return
        finally:
            self.spinner.stop()
            self.export_button.setEnabled(True)
        self._show(describe_export(result))

    # -- restore ----------------------------------------------------------------------------
    def _choose_restore_file(self) -> None:
        picker = file_dialog(self, "Restore from", str(Path.home()),
                             "AgentDesk database (*.db);;All files (*)")
        picker.setObjectName("restorePicker")
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.fileSelected.connect(lambda path: self.choose_restore(Path(path)))
        picker.open()

    def choose_restore(self, source: Path) -> None:
        """Verify ``source`` and, after confirmation, schedule it for next start."""
        try:
            info = inspect_backup(source)
        except BackupError as exc:
            self._show(str(exc), error=True)
            return
        self._confirm("Restore from backup",
                      f"Replace all agents and conversations with “{source.name}”?",
                      lambda: self._schedule(source), yes_text="Restore at next start",
                      informative=f"The backup holds {describe_backup(info)}. It replaces "
                                  "the current data when AgentDesk next starts; the current "
                                  "database is kept in the data folder.")

    def _schedule(self, source: Path) -> None:
        try:
            self._service.request_restore(source)
        except (BackupError, OSError) as exc:
            self._show(str(exc), error=True)
            return
        self._show_pending()

    def _cancel_restore(self) -> None:
        self._service.cancel_restore()
        self._show_pending()
        self._show("The restore was cancelled.")

    def _show_pending(self) -> None:
        pending = self._service.pending_restore()
        self.cancel_restore_button.setVisible(pending is not None)
        if pending is not None:
            self._show(f"{pending.name} will be restored when AgentDesk next starts.")

    def _show(self, text: str, *, error: bool = False) -> None:
        body = html.escape(text)
        self.status.setText(f"<span style='color:{error_color(self)}'>{body}</span>"
                            if error else body)
        self.status.setToolTip(tooltip(text))
