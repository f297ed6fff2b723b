"""The agent's tools: a checkbox per tool, its approval policy, and whether it
may run over the local API.

The policy combo marks the tool's own default; choosing it stores no
override, so the agent follows the tool if its default ever changes.

"Allow over the local API" (``AgentSpec.api_tools``, off by default) can be
ticked only for an attached tool that asks first (or whose tool decides):
nobody can answer an approval question over HTTP, so such a tool is refused
there unless allowed. The names stored are the names shown here (a tool, a
group such as ``files``, ``mcp:SERVER``): the rule is
``app.ops.agents.allowed_over_api``. Entries set elsewhere that no row shows
(``agentdesk agents edit --api-tool write_file``) are kept as they are.
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

from app.ops.agents import api_tool_names
from app.services.tool_service import ToolEntry

POLICIES = ("auto", "ask", "deny")
POLICY_HINTS = {"auto": "runs at once", "ask": "asks you first", "deny": "never runs"}
_SOURCE_LABELS = {"builtin": "built-in", "custom": "custom", "mcp": "MCP"}
COL_TOOL, COL_POLICY, COL_API, COL_ABOUT = 0, 1, 2, 3
API_ALLOW_TEXT = "Allow"
_API_WHY_NOT = {"auto": "Runs without asking anyway: nothing to allow.",
                "deny": "Never runs, over the API neither.",
                "detached": "Not one of this agent's tools."}
_API_HINT = ("Programs using this agent through the local API cannot answer an "
             "approval question: ticked, this tool runs there without asking.")
#: The row's own choice, kept while the box is disabled (shown unticked then).
_WANTED_ROLE = Qt.ItemDataRole.UserRole + 1


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
        super().__init__(0, 4, parent)
        self._api_kept: list[str] = []   # api_tools entries no row shows
        self.setObjectName("agentToolsTable")
        self.setHorizontalHeaderLabels(["Tool", "Approval", "Local API", "What it does"])
        self.verticalHeader().hide()
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_TOOL, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_POLICY, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_API, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_ABOUT, QHeaderView.ResizeMode.Stretch)
        self.setAccessibleName("Tools")
        self.itemChanged.connect(self._item_changed)

    def set_tools(self, entries: list[ToolEntry], selected: list[str],
                  policies: dict[str, str], api_tools: list[str] | None = None) -> None:
        """Show ``entries``; names the agent uses that are not available any more
        are listed too (unchecking them removes them). ``api_tools``: the
        names allowed over the local API (None: keep the current choice)."""
        allowed = self.api_tools() if api_tools is None else api_tool_names(api_tools)
        known = {entry.name for entry in entries}
        missing = [ToolEntry(name, "not available now", "custom", None)
                   for name in selected if name not in known]
        rows = [*entries, *missing]
        shown = {entry.name for entry in rows}
        self._api_kept = [name for name in allowed if name not in shown]
        self.blockSignals(True)
        self.setRowCount(0)
        for entry in rows:
            self._add_row(entry, entry.name in selected, policies.get(entry.name),
                          entry.name in allowed)
        self.blockSignals(False)
        self._refresh_api_boxes()
        self.resizeRowsToContents()

    def _add_row(self, entry: ToolEntry, checked: bool, policy: str | None,
                 api_allowed: bool) -> None:
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
        combo.currentIndexChanged.connect(self._policy_changed)
        self.setCellWidget(row, COL_POLICY, combo)
        api = QTableWidgetItem("")
        api.setData(_WANTED_ROLE, api_allowed)
        api.setCheckState(Qt.CheckState.Checked if api_allowed else Qt.CheckState.Unchecked)
        self.setItem(row, COL_API, api)
        about = QTableWidgetItem(
            f"{entry.description or entry.name} · {_SOURCE_LABELS[entry.source]}")
        about.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.setItem(row, COL_ABOUT, about)

    # -- the local API column ----------------------------------------------------------------
    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == COL_API and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            item.setData(_WANTED_ROLE, item.checkState() == Qt.CheckState.Checked)
        elif item.column() == COL_TOOL:
            self._refresh_api_boxes()
        self.sig_changed.emit()

    def _policy_changed(self, _index: int) -> None:
        self._refresh_api_boxes()
        self.sig_changed.emit()

    def _refresh_api_boxes(self) -> None:
        """A box can be ticked only where the tool is attached and asks first."""
        self.blockSignals(True)
        try:
            for row in range(self.rowCount()):
                tool, api = self.item(row, COL_TOOL), self.item(row, COL_API)
                combo = self.cellWidget(row, COL_POLICY)
                why_not = _API_WHY_NOT.get(combo.currentData() or "ask")
                if tool.checkState() != Qt.CheckState.Checked:
                    why_not = _API_WHY_NOT["detached"]
                wanted = bool(api.data(_WANTED_ROLE))
                if why_not is None:
                    api.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                    api.setText(API_ALLOW_TEXT)
                    api.setCheckState(Qt.CheckState.Checked if wanted
                                      else Qt.CheckState.Unchecked)
                    api.setToolTip(_API_HINT)
                else:
                    api.setFlags(Qt.ItemFlag.ItemIsUserCheckable)   # shown disabled
                    api.setText("")            # the words only where they apply
                    api.setCheckState(Qt.CheckState.Unchecked)
                    api.setToolTip(why_not)
        finally:
            self.blockSignals(False)

    def api_tools(self) -> list[str]:
        """The names allowed over the local API: the ticked boxes one can tick
        now, then the entries no row shows."""
        ticked = [name for row, name in enumerate(self.tool_names())
                  if self.api_allowed_row(row)]
        return api_tool_names([*ticked, *self._api_kept])

    def api_allowed_row(self, row: int) -> bool:
        api = self.item(row, COL_API)
        return bool(api.flags() & Qt.ItemFlag.ItemIsEnabled) and \
            api.checkState() == Qt.CheckState.Checked

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

    def api_item(self, name: str) -> QTableWidgetItem:
        """The "Allow over the local API" box of ``name``'s row."""
        for row, row_name in enumerate(self.tool_names()):
            if row_name == name:
                return self.item(row, COL_API)
        raise KeyError(name)

    def set_api_allowed(self, name: str, allowed: bool) -> None:
        self.api_item(name).setCheckState(Qt.CheckState.Checked if allowed
                                          else Qt.CheckState.Unchecked)

    def policy_combo(self, name: str) -> PolicyCombo:
        for row_name, _item, combo in self._rows():
            if row_name == name:
                return combo
        raise KeyError(name)
