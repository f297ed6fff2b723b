"""AgentListModel: the agents, sorted by name, kept in step with the store.

Loading and every refresh run through the StoreBridge (the database work stays
on the store's worker thread). Store change notices are applied one after the
other, in the order they arrived, so a fetch that completes late can never
resurrect an agent whose delete notice came after it. Each change touches only
the rows it concerns: inserted rows are inserted, edited rows are updated (and
moved if their name now sorts elsewhere), deleted rows are removed. An
``external`` notice (another process wrote) re-reads every agent and applies
the difference the same way, so the selection survives where the agent does.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.domain import AgentSpec
from app.services.store_bridge import StoreBridge
from app.store import EXTERNAL, ChangeNotice, StoreError
from app.ui.avatars import agent_icon
from app.ui.plain_text import tooltip
from app.ui.sorted_rows import SortedRows

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
_ModelIndex = QModelIndex | QPersistentModelIndex


def sort_key(spec: AgentSpec) -> tuple[str, int]:
    """Case-insensitive name order; the id breaks ties so the order is total."""
    return (spec.name.casefold(), spec.id or 0)


def describe_model(spec: AgentSpec) -> str:
    """``provider · model`` as shown to the user, naming what is not set."""
    provider = spec.provider or "no provider"
    model = spec.model or "no model"
    return f"{provider} · {model}"


class AgentListModel(QAbstractListModel):
    AgentRole = Qt.ItemDataRole.UserRole + 1
    AgentIdRole = Qt.ItemDataRole.UserRole + 2

    #: Emitted after each full (re)load from the store.
    sig_loaded = Signal()

    def __init__(self, bridge: StoreBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._rows: SortedRows[AgentSpec] = SortedRows(self, sort_key)
        self._jobs: deque[Job] = deque()
        self._draining = False
        self._loaded = False
        bridge.sig_changed.connect(self._on_changed)

    # -- Qt model interface ----------------------------------------------------
    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        spec = self._rows.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.name
        if role == Qt.ItemDataRole.DecorationRole:
            return agent_icon(spec.name)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(f"{spec.name}\n{describe_model(spec)}")
        if role == self.AgentRole:
            return spec
        if role == self.AgentIdRole:
            return spec.id
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        names[self.AgentRole] = QByteArray(b"agent")
        names[self.AgentIdRole] = QByteArray(b"agentId")
        return names

    # -- lookups -----------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        """True once the first load from the store has completed."""
        return self._loaded

    def agents(self) -> list[AgentSpec]:
        return list(self._rows.rows)

    def agent_at(self, row: int) -> AgentSpec:
        return self._rows.rows[row]

    def row_of(self, agent_id: int) -> int | None:
        return self._rows.row_of(agent_id)

    # -- loading and change notices ------------------------------------------------
    def reload(self) -> None:
        """(Re)load every agent from the store; a full reset, meant for start-up."""
        self._enqueue(self._load_all)

    def _on_changed(self, notice: ChangeNotice) -> None:
        if notice.entity == EXTERNAL:
            if self._loaded:
                self._enqueue(self._sync_all)
            return
        if notice.entity != "agent":
            return
        if notice.op == "delete":
            self._enqueue(lambda: self._remove_ids(notice.ids))
        else:
            self._enqueue(lambda: self._refresh_ids(notice.ids))

    def _enqueue(self, job: Job) -> None:
        self._jobs.append(job)
        if not self._draining:
            self._draining = True
            self._bridge.spawn(self._drain(), name="agent-list-refresh")

    async def _drain(self) -> None:
        try:
            while self._jobs:
                job = self._jobs.popleft()
                try:
                    await job()
                except StoreError as exc:
                    # The list may be stale now; the next notice or reload fixes it.
                    log.warning("could not refresh the agent list: %s", exc)
                    self._bridge.sig_error.emit(f"Could not refresh the agent list: {exc}")
        finally:
            self._draining = False

    async def _load_all(self) -> None:
        agents = await self._bridge.list_agents()
        self.beginResetModel()
        self._rows.reset(agents)
        self.endResetModel()
        self._loaded = True
        self.sig_loaded.emit()

    async def _sync_all(self) -> None:
        """Bring the rows in line with the store by minimal changes (no reset)."""
        agents = await self._bridge.list_agents()
        present = {spec.id for spec in agents}
        for spec in list(self._rows.rows):
            if spec.id not in present:
                self._remove(spec.id)
        for spec in agents:
            self._upsert(spec)

    async def _remove_ids(self, agent_ids: tuple[int, ...]) -> None:
        for agent_id in agent_ids:
            self._remove(agent_id)

    async def _refresh_ids(self, agent_ids: tuple[int, ...]) -> None:
        found = await self._bridge.get_agents(agent_ids)
        for agent_id in agent_ids:
            spec = found.get(agent_id)
            if spec is None:
                self._remove(agent_id)  # gone again before we could read it
            else:
                self._upsert(spec)

    # -- minimal row changes ---------------------------------------------------------
    def _remove(self, agent_id: int) -> None:
        self._rows.remove(agent_id)

    def _upsert(self, spec: AgentSpec) -> None:
        self._rows.upsert(spec)
