"""The agent's tools: a checkbox per tool and its approval policy.

The policy combo marks the tool's own default; choosing it stores no
override, so the agent follows the tool if its default ever changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.services.tool_service import ToolEntry

POLICIES = ("auto", "ask", "deny")
POLICY_HINTS = {"auto": "runs at once", "ask": "asks you first", "deny": "never runs"}
_SOURCE_LABELS = {"builtin": "built-in", "custom": "custom", "mcp": "MCP"}
COL_TOOL, COL_POLICY, COL_ABOUT = 0, 1, 2


class PolicyCombo(QComboBox):
    """auto / ask / deny; the tool's default is marked and means "no override"."""

    def __init__(self, default: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.default = default
        if default is None:
            self.addItem("tool's default", None)
        for policy in POLICIES:
            label = f"{policy} (default)" if policy == default else policy
            self.addItem(label, policy)
            self.setItemData(self.count() - 1, POLICY_HINTS[policy],
                             Qt.ItemDataRole.ToolTipRole)

    def set_policy(self, policy: str | None) -> None:
        index = self.findData(policy if policy is not None else self.default)
        self.setCurrentIndex(max(index, 0))

    def override(self) -> str | None:
        """The policy to store for the agent, None when it is the default."""
        chosen = self.currentData()
        return None if chosen is None or chosen == self.default else chosen


class ToolsEditor(QTableWidget):
    #: Something the user can change changed.
    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setObjectName("agentToolsTable")
        self.setHorizontalHeaderLabels(["Tool", "Approval", "What it does"])
        self.verticalHeader().hide()
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_TOOL, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_POLICY, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_ABOUT, QHeaderView.ResizeMode.Stretch)
        self.setAccessibleName("Tools")
        self.itemChanged.connect(lambda _item: self.sig_changed.emit())

    def set_tools(self, entries: list[ToolEntry], selected: list[str],
                  policies: dict[str, str]) -> None:
        """Show ``entries``; names the agent uses that are not available any more
        are listed too (unchecking them removes them)."""
        known = {entry.name for entry in entries}
        missing = [ToolEntry(name, "not available now", "custom", None)
                   for name in selected if name not in known]
        self.blockSignals(True)
        self.setRowCount(0)
        for entry in [*entries, *missing]:
            self._add_row(entry, entry.name in selected, policies.get(entry.name))
        self.blockSignals(False)
        self.resizeRowsToContents()

    def _add_row(self, entry: ToolEntry, checked: bool, policy: str | None) -> None:
        row = self.rowCount()
        self.insertRow(row)
        item = QTableWidgetItem(entry.name)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setData(Qt.ItemDataRole.UserRole, entry.name)
        self.setItem(row, COL_TOOL, item)
        combo = PolicyCombo(entry.default_policy)
        combo.setObjectName(f"policy_{entry.name}")
        combo.set_policy(policy)
        combo.currentIndexChanged.connect(lambda _i: self.sig_changed.emit())
        self.setCellWidget(row, COL_POLICY, combo)
        about = QTableWidgetItem(
            f"{entry.description or entry.name} · {_SOURCE_LABELS[entry.source]}")
        about.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.setItem(row, COL_ABOUT, about)

    # -- reading ------------------------------------------------------------------------
    def _rows(self):
        for row in range(self.rowCount()):
            item = self.item(row, COL_TOOL)
            combo = self.cellWidget(row, COL_POLICY)
            yield item.data(Qt.ItemDataRole.UserRole), item, combo

    def tool_names(self) -> list[str]:
        return [name for name, _item, _combo in self._rows()]

    def selected_tools(self) -> list[str]:
        return [name for name, item, _combo in self._rows()
                if item.checkState() == Qt.CheckState.Checked]

    def policies(self) -> dict[str, str]:
        """Overrides of the tools' defaults (kept for unchecked tools too, so
        unchecking and re-checking a tool keeps its policy)."""
        return {name: combo.override() for name, _item, combo in self._rows()
                if combo.override() is not None}

    # -- for tests and keyboard users -----------------------------------------------------
    def set_checked(self, name: str, checked: bool) -> None:
        for row_name, item, _combo in self._rows():
            if row_name == name:
                item.setCheckState(Qt.CheckState.Checked if checked
                                   else Qt.CheckState.Unchecked)
                return
        raise KeyError(name)

    def policy_combo(self, name: str) -> PolicyCombo:
        for row_name, _item, combo in self._rows():
            if row_name == name:
                return combo
        raise KeyError(name)
