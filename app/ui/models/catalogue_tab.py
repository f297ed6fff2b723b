"""The Catalogue tab: the curated models with search and a use-case filter, the
"Recommended for this computer" pick with the reason, and a Download button on
each row (an installed model shows "Installed" instead).

Rows come from ``app.ops.model_catalogue.catalogue_rows``; what the computer
has (memory, free disk) and which files are installed are read off the UI
thread by the window and handed in with ``set_machine``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.domain.model_library import USE_CASES, CatalogueEntry
from app.ops import model_catalogue
from app.ops.model_catalogue import CatalogueRow, MachineFit
from app.ui.models import text
from app.ui.models.widgets import model_tree, wrapped_label
from app.ui.plain_text import tooltip

COLUMNS = ["Name", "Size", "Quantization", "Context", "Licence", "RAM", "Good for", ""]
STATUS_COLUMN = len(COLUMNS) - 1
USE_CASE_LABELS = {"chat": "Chat", "coding": "Coding", "tools": "Tool use", "vision": "Vision",
                   "embedding": "Embedding"}
EntryRole = Qt.ItemDataRole.UserRole


class CatalogueTab(QWidget):
    #: A CatalogueEntry to download.
    sig_download = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("catalogueTab")
        self.fit: MachineFit | None = None
        self.filenames: set[str] = set()
        self.downloading: set[str] = set()
        self.rows: list[CatalogueRow] = []
        self.pick: CatalogueEntry | None = None

        self.search = QLineEdit()
        self.search.setObjectName("catalogueSearch")
        self.search.setPlaceholderText("Search models (name, family, use, licence…)")
        self.search.setClearButtonEnabled(True)
        self.use_case = QComboBox()
        self.use_case.setObjectName("useCaseFilter")
        self.use_case.addItem("All uses", None)
        for case in USE_CASES:
            self.use_case.addItem(USE_CASE_LABELS.get(case, case), case)
        self.recommended = wrapped_label("recommendedLabel",
                                         "Reading this computer's memory and disk…")
        self.download_pick = QPushButton("Download")
        self.download_pick.setObjectName("downloadRecommended")
        self.download_pick.setVisible(False)
        self.download_pick.clicked.connect(
            lambda: self.pick is not None and self.sig_download.emit(self.pick))
        self.list = model_tree("catalogueList", COLUMNS, stretch=COLUMNS.index("Good for"))
        self._row_height = QPushButton("Download").sizeHint().height()
        self.details = wrapped_label("catalogueDetails")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.use_case)
        pick = QHBoxLayout()
        pick.addWidget(self.recommended, 1)
        pick.addWidget(self.download_pick, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(pick)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.details)

        self.search.textChanged.connect(lambda _text: self.refresh())
        self.use_case.currentIndexChanged.connect(lambda _index: self.refresh())
        self.list.currentItemChanged.connect(lambda item, _old: self._show_details(item))

    # -- data ------------------------------------------------------------------------
    def set_machine(self, fit: MachineFit, filenames: set[str]) -> None:
        self.fit = fit
        self.filenames = set(filenames)
        self.refresh()

    def set_downloading(self, filenames: set[str]) -> None:
        """Files being downloaded now: their rows say so instead of offering Download."""
        if filenames != self.downloading:
            self.downloading = set(filenames)
            self.refresh()

    def refresh(self) -> None:
        """Rebuild the rows for the search text and use case."""
        if self.fit is None:
            return
        use_case = self.use_case.currentData()
        self.rows = model_catalogue.catalogue_rows(self.fit, self.filenames,
                                                   self.search.text().strip(), use_case)
        self.pick = model_catalogue.recommended(self.fit, use_case or "chat")
        self._show_pick(use_case)
        current = self.current_entry()
        self.list.clear()
        for row in self.rows:
            item = self._item(row)
            self.list.addTopLevelItem(item)
            status = self._status(row)
            # Every row as tall as a button: labelled rows line up with the others.
            hint = status.sizeHint()
            hint.setHeight(max(hint.height(), self._row_height))
            item.setSizeHint(STATUS_COLUMN, hint)
            self.list.setItemWidget(item, STATUS_COLUMN, status)
            wanted = current if current is not None else self.pick
            if wanted is not None and row.entry.id == wanted.id:
                self.list.setCurrentItem(item)
        if not self.rows:
            self.details.setText("No catalogue model matches.")

    def entries(self) -> list[CatalogueEntry]:
        return [row.entry for row in self.rows]

    def current_entry(self) -> CatalogueEntry | None:
        item = self.list.currentItem()
        return item.data(0, EntryRole) if item is not None else None

    def download_button(self, entry_id: str) -> QPushButton | None:
        for index in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(index)
            if item.data(0, EntryRole).id == entry_id:
                widget = self.list.itemWidget(item, STATUS_COLUMN)
                return widget if isinstance(widget, QPushButton) else None
        return None

    # -- drawing ---------------------------------------------------------------------
    def _item(self, row: CatalogueRow) -> QTreeWidgetItem:
        entry = row.entry
        name = text.bounded(entry.name, 80)
        if row.recommended:
            name = f"★ {name}"
        if not entry.instruction_tuned and "base" not in name.lower():
            name += " (base)"
        values = [name, text.size(entry.size_bytes), text.quantization(entry),
                  text.context(entry.context_length), text.bounded(entry.licence or "—", 40),
                  text.size(entry.ram_bytes), text.bounded(entry.good_for, 160), ""]
        item = QTreeWidgetItem(values)
        item.setData(0, EntryRole, entry)
        item.setToolTip(COLUMNS.index("Good for"), tooltip(text.bounded(entry.good_for, 600)))
        if row.recommended:
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
        return item

    def _status(self, row: CatalogueRow) -> QWidget:
        entry = row.entry
        if row.installed:
            label = QLabel("Installed")
            label.setObjectName("installedBadge")
            return label
        if any(f.filename in self.downloading for f in entry.files):
            label = QLabel("Downloading…")
            label.setObjectName("downloadingBadge")
            return label
        button = QPushButton("Download")
        button.setObjectName("downloadButton")
        button.setToolTip(f"Download {text.size(entry.size_bytes)}")
        button.clicked.connect(lambda: self.sig_download.emit(entry))
        return button

    def _show_pick(self, use_case: str | None) -> None:
        fit, pick = self.fit, self.pick
        assert fit is not None
        what = USE_CASE_LABELS.get(use_case or "chat", "Chat").lower()
        if pick is None:
            self.recommended.setText(f"Recommended for this computer ({what}): none of the "
                                     "catalogue's models fits this computer's memory and disk.")
            self.download_pick.setVisible(False)
            return
        installed = model_catalogue.is_installed(pick, self.filenames)
        reason = text.recommendation_reason(pick, fit.memory_bytes, fit.free_disk_bytes)
        self.recommended.setText(
            f"Recommended for this computer ({what}): {text.bounded(pick.name, 80)}, "
            f"{text.size(pick.size_bytes)}. {reason}"
            + (" Installed." if installed else ""))
        busy = any(f.filename in self.downloading for f in pick.files)
        self.download_pick.setVisible(not installed and not busy)

    def _show_details(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        entry: CatalogueEntry = item.data(0, EntryRole)
        lines = [f"{text.bounded(entry.name, 80)} ({text.bounded(entry.family, 40)}"
                 + (f", {text.bounded(entry.parameters, 20)}" if entry.parameters else "")
                 + ")",
                 "Uses: " + ", ".join(entry.use_cases)
                 + ("; capabilities: " + ", ".join(sorted(entry.capabilities))
                    if entry.capabilities else "")]
        if not entry.instruction_tuned:
            lines.append("A base model: it completes text, it does not chat.")
        lines.append("Sources: " + "; ".join(text.bounded(s, 120) for s in entry.sources[:4]))
        if entry.unconfirmed:
            lines.append("Not confirmed by a source: " + ", ".join(entry.unconfirmed)
                         + " (the download is checked against the server's checksum).")
        self.details.setText("\n".join(lines))
