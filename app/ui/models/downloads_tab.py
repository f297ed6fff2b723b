"""The Downloads tab: one row per download with its progress bar, speed and
time left, and Pause / Resume / Cancel. Rows come from the service's progress
notices (several downloads at once; those resumed after a restart too)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget)

from app.domain.model_library import DownloadProgress
from app.ui.models import text
from app.ui.plain_text import plain_label

EMPTY_TEXT = "No downloads. Pick a model under Catalogue and press Download."
#: States a row can be paused in / resumed from / cancelled in.
PAUSABLE = {"queued", "running"}
RESUMABLE = {"paused", "failed"}
CANCELLABLE = {"queued", "running", "paused", "failed", "verifying"}


class DownloadRow(QFrame):
    """One download: name, bar, the line under it, its buttons."""

    sig_pause = Signal(str)
    sig_resume = Signal(str)
    sig_cancel = Signal(str)

    def __init__(self, progress: DownloadProgress, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.download_id = progress.id
        self.setObjectName("downloadRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = plain_label(QLabel(text.bounded(progress.filename)))
        self.name.setObjectName("downloadName")
        font = self.name.font()
        font.setBold(True)
        self.name.setFont(font)
        self.bar = QProgressBar()
        self.bar.setObjectName("downloadProgress")
        self.bar.setRange(0, 100)
        self.status = plain_label(QLabel())
        self.status.setObjectName("downloadStatus")
        self.status.setWordWrap(True)
        self.note = plain_label(QLabel())
        self.note.setObjectName("downloadNote")
        self.note.setWordWrap(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseDownload")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("resumeDownload")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelDownload")
        self.pause_button.clicked.connect(lambda: self.sig_pause.emit(self.download_id))
        self.resume_button.clicked.connect(lambda: self.sig_resume.emit(self.download_id))
        self.cancel_button.clicked.connect(lambda: self.sig_cancel.emit(self.download_id))

        top = QHBoxLayout()
        top.addWidget(self.name, 1)
        for button in (self.pause_button, self.resume_button, self.cancel_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.note)
        self.progress = progress
        self.show_progress(progress)

    def show_progress(self, progress: DownloadProgress) -> None:
        self.progress = progress
        self.bar.setValue(100 if progress.state == "done" else text.percent(progress))
        self.status.setText(text.progress_line(progress))
        note = getattr(progress, "note", None)
        self.note.setText(text.bounded(note) if note else "")
        self.note.setVisible(bool(note))
        state = progress.state
        self.pause_button.setVisible(state in PAUSABLE)
        self.resume_button.setVisible(state in RESUMABLE)
        self.cancel_button.setVisible(state in CANCELLABLE)

    def set_busy(self, busy: bool) -> None:
        for button in (self.pause_button, self.resume_button, self.cancel_button):
            button.setEnabled(not busy)


class DownloadsTab(QWidget):
    sig_pause = Signal(str)
    sig_resume = Signal(str)
    sig_cancel = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadsTab")
        self.rows: dict[str, DownloadRow] = {}
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("downloadsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        holder = QWidget()
        self._list = QVBoxLayout(holder)
        self._list.addWidget(self.empty)
        self._list.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("downloadsList")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(holder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def show_progress(self, progress: DownloadProgress) -> None:
        """Add or update the row of ``progress.id``; a cancelled one goes away."""
        row = self.rows.get(progress.id)
        if progress.state == "cancelled":
            if row is not None:
                self.rows.pop(progress.id)
                self._list.removeWidget(row)
                row.deleteLater()
            self.empty.setVisible(not self.rows)
            return
        if row is None:
            row = DownloadRow(progress)
            row.sig_pause.connect(self.sig_pause)
            row.sig_resume.connect(self.sig_resume)
            row.sig_cancel.connect(self.sig_cancel)
            self.rows[progress.id] = row
            self._list.insertWidget(self._list.count() - 1, row)
        else:
            row.show_progress(progress)
        self.empty.setVisible(not self.rows)

    def set_busy(self, download_id: str, busy: bool) -> None:
        row = self.rows.get(download_id)
        if row is not None:
            row.set_busy(busy)

    def active_count(self) -> int:
        return sum(1 for row in self.rows.values() if row.progress.state not in {"done"})
