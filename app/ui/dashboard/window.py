"""The Dashboard window (View › Dashboard; objectName ``dashboardWindow``).

Figures come from ``app.ops.usage.dashboard`` run on the store's worker
(never the UI thread), for the chosen date range and agent. The window
follows the store: a new reply, a deleted chat, a CLI write (``external``) or
a saved price table recomputes the figures a moment later (one refresh per
burst of notices). Text from the store (agent, model and provider names) is
drawn as plain text.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from functools import partial
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialogButtonBox, QFileDialog, QGridLayout, QHBoxLayout,
    QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget)

from app.domain.usage import UsageFilter
from app.ops import usage
from app.ops.exchange import ExportError
from app.ops.usage_csv import export_usage_csv
from app.services.store_bridge import StoreBridge
from app.store import ChangeNotice
from app.ui.dashboard.charts import BarChart, HBarChart, ShareBar, chart_data
from app.ui.dashboard.figures import summary_texts
from app.ui.dialogs.async_dialog import AsyncDialog
from app.ui.file_dialogs import file_dialog
from app.ui.open_dialogs import DialogSlot

log = logging.getLogger(__name__)

TITLE = "Dashboard"
#: Notices after which the figures may have changed.
_WATCHED = frozenset({"message", "conversation", "agent", "provider", "usage_prices",
                      "external"})
REFRESH_DELAY_MS = 300
_CARDS = ("tokensIn", "tokensOut", "replies", "ttftMean", "tpsMean", "toolCalls",
          "localShare", "cloudCost", "savedCost")


class DashboardWindow(AsyncDialog):
    #: Emitted each time new figures are shown (tests wait on it).
    sig_loaded = Signal(object)

    def __init__(self, bridge: StoreBridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, parent)
        self.setObjectName("dashboardWindow")
        self.setWindowTitle(TITLE)
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.resize(1040, 760)
        self.report: usage.UsageReport | None = None
        self._generation = 0
        self._picker_slot = DialogSlot()
        self._prices_slot = DialogSlot()
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)

        layout = QVBoxLayout(self)
        layout.addLayout(self._filters())
        layout.addLayout(self._cards())
        self.note = QLabel(objectName="pricesNote", wordWrap=True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.note)
        layout.addWidget(self._charts(), 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        bridge.sig_changed.connect(self._on_notice)
        self.refresh()

    # -- layout ----------------------------------------------------------------------------
    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.all_dates = QCheckBox("All dates", objectName="allDates", checked=True)
        today = QDate.currentDate()
        self.start_edit = QDateEdit(today.addDays(-29), objectName="startDate",
                                    calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.end_edit = QDateEdit(today, objectName="endDate", calendarPopup=True,
                                  displayFormat="yyyy-MM-dd")
        self.agent_combo = QComboBox(objectName="agentFilter")
        self.agent_combo.addItem("All agents", None)
        self.export_button = QPushButton("Export CSV…", objectName="exportCsvButton")
        self.prices_button = QPushButton("Prices…", objectName="pricesButton")
        for widget in (self.all_dates, QLabel("From"), self.start_edit, QLabel("to"),
                       self.end_edit, QLabel("Agent"), self.agent_combo):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.prices_button)
        row.addWidget(self.export_button)
        self.all_dates.toggled.connect(self._dates_toggled)
        self._dates_toggled(True)
        for signal in (self.start_edit.dateChanged, self.end_edit.dateChanged,
                       self.agent_combo.activated):
            signal.connect(self.refresh)
        self.export_button.clicked.connect(self.choose_csv)
        self.prices_button.clicked.connect(self.open_prices)
        return row

    def _cards(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        self.cards: dict[str, QLabel] = {}
        for column, name in enumerate(_CARDS):
            caption = QLabel(objectName=f"{name}Caption")
            value = QLabel("…", objectName=f"{name}Value")
            value.setTextFormat(Qt.TextFormat.PlainText)
            font = value.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            font.setBold(True)
            value.setFont(font)
            grid.addWidget(caption, 0, column)
            grid.addWidget(value, 1, column)
            self.cards[name] = value
            self.cards[f"{name}Caption"] = caption
        return grid

    def _charts(self) -> QScrollArea:
        self.per_day = BarChart("Tokens per day (UTC)")
        self.per_day.setObjectName("tokensPerDayChart")
        self.per_agent = HBarChart("Tokens by agent")
        self.per_agent.setObjectName("tokensByAgentChart")
        self.per_model = HBarChart("Tokens by model")
        self.per_model.setObjectName("tokensByModelChart")
        self.per_provider = HBarChart("Tokens by provider")
        self.per_provider.setObjectName("tokensByProviderChart")
        self.ttft = BarChart("Time to first token (ms)")
        self.ttft.setObjectName("ttftChart")
        self.tps = BarChart("Tokens per second")
        self.tps.setObjectName("tpsChart")
        self.share = ShareBar("Local vs cloud (tokens)")
        self.share.setObjectName("localCloudChart")
        body = QWidget()
        grid = QGridLayout(body)
        grid.addWidget(self.per_day, 0, 0, 1, 2)
        grid.addWidget(self.per_agent, 1, 0)
        grid.addWidget(self.per_model, 1, 1)
        grid.addWidget(self.per_provider, 2, 0)
        grid.addWidget(self.share, 2, 1)
        grid.addWidget(self.ttft, 3, 0)
        grid.addWidget(self.tps, 3, 1)
        for row in range(4):
            grid.setRowStretch(row, 1)
        scroll = QScrollArea(objectName="dashboardCharts", widgetResizable=True)
        scroll.setWidget(body)
        return scroll

    @property
    def charts(self) -> list[QWidget]:
        return [self.per_day, self.per_agent, self.per_model, self.per_provider, self.share,
                self.ttft, self.tps]

    # -- figures ---------------------------------------------------------------------------
    def current_filter(self) -> UsageFilter:
        agent_id = self.agent_combo.currentData()
        dates: dict[str, date] = {}
        if not self.all_dates.isChecked():
            start, end = self.start_edit.date().toPython(), self.end_edit.date().toPython()
            dates = {"start": min(start, end), "end": max(start, end)}
        return UsageFilter(agent_ids=(agent_id,) if agent_id is not None else (), **dates)

    def refresh(self) -> None:
        """Compute the figures for the current filters on the store's worker."""
        self._generation += 1
        self.spawn(self._load(self._generation, self.current_filter()), "load")

    async def _load(self, generation: int, flt: UsageFilter) -> None:
        report = await self._bridge.run(partial(usage.dashboard, flt=flt))
        if generation == self._generation:  # an older request lost the race
            self.show_report(report)

    def show_report(self, report: usage.UsageReport) -> None:
        self.report = report
        self._fill_agents(report.agents)
        for name, (caption, value) in summary_texts(report).items():
            self.cards[f"{name}Caption"].setText(caption)
            self.cards[name].setText(value)
        self.note.setText(_note(report))
        self.per_day.set_data(chart_data(
            [(day[5:], (t.prompt, t.completion)) for day, t in report.by_day],
            ("in", "out")))
        for chart, groups in ((self.per_agent, report.by_agent),
                              (self.per_model, report.by_model),
                              (self.per_provider, report.by_provider)):
            chart.set_data(chart_data([(name, (t.prompt, t.completion)) for name, t in groups],
                                      ("in", "out")))
        for chart, dist in ((self.ttft, report.ttft), (self.tps, report.tps)):
            chart.set_data(chart_data([(dist.lower_label(i), (count,))
                                       for i, count in enumerate(dist.counts)], ("replies",)))
        parts = [(name, report.by_locality[name].total) for name in ("local", "cloud", "unknown")
                 if name in report.by_locality]
        self.share.set_data(chart_data([("share", tuple(v for _, v in parts))],
                                       [name for name, _ in parts]))
        self.sig_loaded.emit(report)

    def _fill_agents(self, agents: list[tuple[int, str]]) -> None:
        wanted = [(None, "All agents"), *agents]
        have = [(self.agent_combo.itemData(i), self.agent_combo.itemText(i))
                for i in range(self.agent_combo.count())]
        if have == wanted:
            return
        chosen = self.agent_combo.currentData()
        self.agent_combo.blockSignals(True)
        self.agent_combo.clear()
        for agent_id, name in wanted:
            self.agent_combo.addItem(name, agent_id)
        index = self.agent_combo.findData(chosen)
        self.agent_combo.setCurrentIndex(max(index, 0))
        self.agent_combo.blockSignals(False)
        if index < 0 and chosen is not None:  # the chosen agent was deleted
            self.refresh()

    def select_agent(self, agent_id: int | None) -> None:
        self.agent_combo.setCurrentIndex(max(self.agent_combo.findData(agent_id), 0))
        self.refresh()

    def set_range(self, start: date | None, end: date | None = None) -> None:
        """Show ``start``..``end`` (None: all dates), as the person would pick it."""
        self.all_dates.setChecked(start is None)
        if start is not None:
            self.start_edit.setDate(QDate(start))
            self.end_edit.setDate(QDate(end or start))
        self.refresh()

    def _dates_toggled(self, all_dates: bool) -> None:
        self.start_edit.setEnabled(not all_dates)
        self.end_edit.setEnabled(not all_dates)
        if hasattr(self, "cards"):
            self.refresh()

    def _on_notice(self, notice: ChangeNotice) -> None:
        if notice.entity in _WATCHED:
            self._refresh_timer.start()

    # -- CSV and prices --------------------------------------------------------------------
    def choose_csv(self) -> None:
        name = f"agentdesk-usage-{date.today().isoformat()}.csv"
        picker = file_dialog(self, "Export usage as CSV", str(Path.home() / name),
                             "CSV files (*.csv)")
        picker.setObjectName("usageCsvPicker")
        picker.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        picker.setDefaultSuffix("csv")
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.fileSelected.connect(lambda path: self.export_csv(Path(path)))
        self._picker_slot.set(picker)
        picker.open()

    @property
    def picker(self) -> QFileDialog | None:
        return self._picker_slot.get()

    def export_csv(self, path: Path) -> asyncio.Task:
        """Write the shown figures' rows to ``path``: read on the store's worker,
        written on an executor thread, never the UI thread."""
        async def write() -> None:
            flt = self.report.flt if self.report else self.current_filter()
            lines = await self._bridge.run(partial(usage.detail_rows, flt=flt))
            loop = asyncio.get_running_loop()
            try:
                rows = await loop.run_in_executor(None, export_usage_csv, lines, path)
            except ExportError as exc:
                log.warning("usage CSV export failed: %s", exc)
                self.inform("Export failed", str(exc), warning=True)
                return
            self.note.setText(f"Exported {rows} rows to {path}")
        return self.spawn(write(), "export-csv")

    def open_prices(self) -> None:
        from app.ui.dashboard.prices_dialog import PricesDialog

        dialog = self._prices_slot.get()
        if dialog is None:
            dialog = PricesDialog(self._bridge, parent=self)
            self._prices_slot.set(dialog)
        dialog.open()
        dialog.raise_()

    @property
    def prices_dialog(self):
        return self._prices_slot.get()


def _note(report: usage.UsageReport) -> str:
    parts = [report.prices_note if report.prices_are_defaults
             else "Estimates from your price table (USD per million tokens)."]
    if report.reference_model:
        parts.append(f"Local runs are priced as {report.reference_model}.")
    if report.unpriced_cloud_tokens:
        parts.append(f"{report.unpriced_cloud_tokens:,} cloud tokens have no price.")
    if report.by_locality.get("unknown"):
        parts.append("Some usage is from providers no longer configured (neither local nor "
                     "cloud).")
    return " ".join(parts)
