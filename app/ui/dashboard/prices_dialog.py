"""Dashboard › Prices: the person's price table (objectName ``pricesDialog``).

USD per million tokens, input and output, per model id (an entry also prices
the ids that start with it); one entry is the reference that local runs are
priced as for "saved". Saved into the database through ``ops.usage``; "Reset
to estimates" goes back to the built-in list prices, whose date the note
gives. Nothing is fetched from the internet.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget)
from pydantic import ValidationError

from app.core.usage_prices import PRICES_NOTE
from app.domain.usage import ModelPrice
from app.ops import usage
from app.services.store_bridge import StoreBridge
from app.ui.dialogs.async_dialog import AsyncDialog

_HEADERS = ("Model", "Input $ / 1M", "Output $ / 1M", "Reference")


class PricesDialog(AsyncDialog):
    def __init__(self, bridge: StoreBridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, parent)
        self.setObjectName("pricesDialog")
        self.setWindowTitle("Prices")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(560, 460)
        note = QLabel(PRICES_NOTE + " The reference model prices local runs for "
                      "\"saved\"; an entry also prices model ids that start with it.",
                      wordWrap=True, objectName="pricesDialogNote")
        note.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, len(_HEADERS), objectName="pricesTable")
        self.table.setHorizontalHeaderLabels(_HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.problem = QLabel(objectName="pricesProblem", wordWrap=True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.hide()
        add = QPushButton("Add", objectName="addPriceButton")
        remove = QPushButton("Remove", objectName="removePriceButton")
        reset = QPushButton("Reset to estimates", objectName="resetPricesButton")
        add.clicked.connect(lambda: self.add_row(ModelPrice(model="model-id", input_per_mtok=0,
                                                            output_per_mtok=0)))
        remove.clicked.connect(self._remove_selected)
        reset.clicked.connect(self.reset)
        edits = QHBoxLayout()
        for button in (add, remove, reset):
            edits.addWidget(button)
        edits.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addLayout(edits)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.spawn(self._load(), "load")

    async def _load(self) -> None:
        prices, _defaults = await self._bridge.run(usage.price_table)
        self.show_prices(prices)

    def show_prices(self, prices: list[ModelPrice]) -> None:
        self.table.setRowCount(0)
        for price in prices:
            self.add_row(price)

    def add_row(self, price: ModelPrice) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(price.model))
        self.table.setItem(row, 1, QTableWidgetItem(f"{price.input_per_mtok:g}"))
        self.table.setItem(row, 2, QTableWidgetItem(f"{price.output_per_mtok:g}"))
        mark = QTableWidgetItem()
        mark.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        mark.setCheckState(Qt.CheckState.Checked if price.is_reference
                           else Qt.CheckState.Unchecked)
        self.table.setItem(row, 3, mark)

    def prices(self) -> list[ModelPrice]:
        """The table as prices; raises ValueError naming the first bad row."""
        found = []
        for row in range(self.table.rowCount()):
            cells = [self.table.item(row, c) for c in range(3)]
            model, given_in, given_out = (c.text().strip() if c else "" for c in cells)
            try:
                found.append(ModelPrice(
                    model=model, input_per_mtok=float(given_in or "x"),
                    output_per_mtok=float(given_out or "x"),
                    is_reference=self.table.item(row, 3).checkState() == Qt.CheckState.Checked))
            except (ValueError, ValidationError) as exc:
                raise ValueError(f"Row {row + 1}: give a model id and two prices of 0 to "
                                 "10,000 dollars per million tokens") from exc
        return found

    def save(self) -> None:
        try:
            prices = self.prices()
        except ValueError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return
        self.spawn(self._save(prices), "save")

    async def _save(self, prices: list[ModelPrice]) -> None:
        await self._bridge.run(partial(usage.save_prices, prices=prices))
        self.accept()

    def reset(self) -> None:
        async def run() -> None:
            await self._bridge.run(partial(usage.save_prices, prices=None))
            prices, _ = await self._bridge.run(usage.price_table)
            self.show_prices(prices)
        self.spawn(run(), "reset")

    def _remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
