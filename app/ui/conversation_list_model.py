"""ConversationListModel: one agent's conversations, pinned first, then newest activity.

Loaded through the StoreBridge (the store's worker thread) and kept in step
by change notices: a conversation notice of this agent refreshes those rows;
a message notice of a listed conversation means activity, so that row is
re-read (its ``updated_at`` and count) and moved to where it now sorts. Every
change touches only the rows concerned (insert, move, update, remove), never
a reset, so the selection and scroll position survive a streaming reply.
``set_show_archived(True)`` lists the agent's archived chats instead (the
"Show archived" toggle); a chat archived or unarchived leaves the list it no
longer belongs to through the same notices.
An ``external`` notice (another process wrote) re-reads the agent's list and
applies the difference the same way. Jobs run one after another in arrival
order, as in AgentListModel.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QGuiApplication, QPalette

from app.domain import Conversation
from app.ops import chats
from app.services.store_bridge import StoreBridge
from app.store import EXTERNAL, ChangeNotice, StoreError
from app.ui.avatars import blank_icon, pin_icon, running_icon
from app.ui.plain_text import tooltip
from app.ui.sorted_rows import SortedRows

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
_ModelIndex = QModelIndex | QPersistentModelIndex
PAGE = 500          # conversations listed per agent (newest activity first)
#: After the title of a chat started over the local HTTP API (app/api/).
API_MARK = "  · API"


def sort_key(conversation: Conversation) -> tuple[int, float, int]:
    """Pinned first, then newest activity, then newest id (a total order)."""
    return (0 if conversation.pinned else 1, -conversation.updated_at.timestamp(),
            -(conversation.id or 0))


def chat_label(conversation: Conversation) -> str:
    """The chat's name in lists and questions: its title, or for a row the store
    could not read whole (``damaged``) "Damaged chat #12" and the title if any."""
    if not conversation.damaged:
        return conversation.title
    label = f"Damaged chat #{conversation.id}"
    return f"{label} · {conversation.title}" if conversation.title.strip() else label


def damaged_text(conversation: Conversation) -> str:
    """The tooltip of a damaged row: what could not be read, and what still works."""
    return (f"{chat_label(conversation)}\nPart of this chat could not be read from the "
            f"database ({conversation.damaged}).\nIt can still be opened, exported "
            f"as far as it reads, and deleted.")


def activity_text(when: datetime, now: datetime | None = None) -> str:
    try:
        local = when.astimezone()
    except OverflowError:  # year 1 or 9999 shown in a zone that moves it off the calendar
        local = when
    now = now or datetime.now().astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%d %b")
    return local.strftime("%d %b %Y")


class ConversationListModel(QAbstractListModel):
    ConversationRole = Qt.ItemDataRole.UserRole + 1
    ConversationIdRole = Qt.ItemDataRole.UserRole + 2
    RunningRole = Qt.ItemDataRole.UserRole + 3

    #: Emitted after each full load (a new agent was chosen).
    sig_loaded = Signal()
    #: Emitted after the rows were re-read because another process wrote.
    sig_synced = Signal()
    #: These rows (ids) are about to go because another process deleted or
    #: archived them; emitted before the removal so a view can let go of the
    #: current row first (Qt would otherwise make a neighbour current).
    sig_removed_elsewhere = Signal(list)
    #: Builds the mime data of dragged rows (app/ui/drag_drop.py ConversationDrag);
    #: None: rows cannot be dragged. Set by the desktop shell.
    drag_source: Any = None

    def __init__(self, bridge: StoreBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._agent_id: int | None = None
        self._rows: SortedRows[Conversation] = SortedRows(self, sort_key)
        self._jobs: deque[Job] = deque()
        self._draining = False
        self._running: set[int] = set()
        self._archived = False          # True: the agent's archived chats instead
        bridge.sig_changed.connect(self._on_changed)

    # -- Qt model interface ---------------------------------------------------------------
    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        conversation = self._rows.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            label = chat_label(conversation)
            return f"{label}{API_MARK}" if conversation.origin == "api" else label
        if conversation.damaged and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText))
        if conversation.damaged and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole:
            if conversation.id in self._running:
                return running_icon()
            return pin_icon() if conversation.pinned else blank_icon()
        if role == self.RunningRole:
            return conversation.id in self._running
        if role == Qt.ItemDataRole.ToolTipRole:
            if conversation.damaged:
                return tooltip(damaged_text(conversation))
            count = conversation.message_count
            started = "\nStarted by a program over the local API" \
                if conversation.origin == "api" else ""
            return tooltip(f"{conversation.title}\n{count} message{'s' if count != 1 else ''}"
                           f" · last activity {activity_text(conversation.updated_at)}{started}")
        if role == self.ConversationRole:
            return conversation
        if role == self.ConversationIdRole:
            return conversation.id
        return None

    # -- dragging out (the export itself is the drag source's job) ---------------------------
    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and self.drag_source is not None:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt name)
        return self.drag_source.mime_types() if self.drag_source is not None else []

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData | None:  # noqa: N802 (Qt)
        if self.drag_source is None:
            return None
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return self.drag_source.mime_data([self._rows.rows[r] for r in rows
                                           if 0 <= r < len(self._rows)])

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802 (Qt name)
        return Qt.DropAction.CopyAction

    # -- lookups ----------------------------------------------------------------------------
    @property
    def agent_id(self) -> int | None:
        return self._agent_id

    def conversations(self) -> list[Conversation]:
        return list(self._rows.rows)

    def row_of(self, conversation_id: int) -> int | None:
        return self._rows.row_of(conversation_id)

    def set_running(self, conversation_id: int, running: bool) -> None:
        """Mark a conversation whose reply is streaming (a dot before the title)."""
        if running:
            self._running.add(conversation_id)
        else:
            self._running.discard(conversation_id)
        row = self.row_of(conversation_id)
        if row is not None:
            self.dataChanged.emit(self.index(row), self.index(row))

    # -- loading ----------------------------------------------------------------------------
    @property
    def showing_archived(self) -> bool:
        return self._archived

    def set_show_archived(self, archived: bool) -> None:
        """List the agent's archived chats (True) or its other chats (False)."""
        if archived == self._archived:
            return
        self._archived = archived
        self._jobs.clear()
        self._enqueue(lambda: self._load(self._agent_id))

    def set_agent(self, agent_id: int | None) -> None:
        """Show ``agent_id``'s conversations (None: none)."""
        self._agent_id = agent_id
        self._jobs.clear()  # refreshes of the previous agent no longer matter
        self._enqueue(lambda: self._load(agent_id))

    def _on_changed(self, notice: ChangeNotice) -> None:
        if self._agent_id is None:
            return
        if notice.entity == EXTERNAL:
            self._enqueue(self._sync)
        elif notice.entity == "conversation":
            if notice.parent_id is not None and notice.parent_id != self._agent_id:
                return
            ids = notice.ids
            if notice.op == "delete":
                self._enqueue(lambda: self._remove_ids(ids))
            else:
                self._enqueue(lambda: self._refresh_ids(ids))
        elif notice.entity == "message" and notice.parent_id is not None:
            if self.row_of(notice.parent_id) is not None:
                conversation_id = notice.parent_id
                self._enqueue(lambda: self._refresh_ids((conversation_id,)))
        elif notice.entity == "agent" and notice.op == "delete" \
                and self._agent_id in notice.ids:
            self.set_agent(None)

    def _enqueue(self, job: Job) -> None:
        # Two refreshes of the same rows back to back would read the same state.
        self._jobs.append(job)
        if not self._draining:
            self._draining = True
            self._bridge.spawn(self._drain(), name="conversation-list-refresh")

    async def _drain(self) -> None:
        try:
            while self._jobs:
                job = self._jobs.popleft()
                try:
                    await job()
                except StoreError as exc:
                    log.warning("could not refresh the conversation list: %s", exc)
                    self._bridge.sig_error.emit(
                        f"Could not refresh the conversation list: {exc}")
        finally:
            self._draining = False

    async def _load(self, agent_id: int | None) -> None:
        rows: list[Conversation] = []
        if agent_id is not None:
            rows = await self._read_rows(agent_id)
        if agent_id != self._agent_id:
            return  # another agent was chosen meanwhile; its load is queued
        self.beginResetModel()
        self._rows.reset(rows)
        self.endResetModel()
        self.sig_loaded.emit()

    async def _read_rows(self, agent_id: int) -> list[Conversation]:
        """What the list shows for ``agent_id`` (a full load and a sync alike)."""
        archived = self._archived
        return await self._bridge.run(partial(chats.list_chats, agent_id=agent_id,
                                              archived_only=archived, limit=PAGE))

    async def _sync(self) -> None:
        """Bring the rows in line with the store by minimal changes (no reset)."""
        agent_id = self._agent_id
        if agent_id is None:
            return
        rows = await self._read_rows(agent_id)
        if agent_id != self._agent_id:
            return
        present = {conversation.id for conversation in rows}
        gone = [c.id for c in self._rows.rows if c.id not in present]
        if gone:
            self.sig_removed_elsewhere.emit(gone)
        for conversation_id in gone:
            if conversation_id is not None:
                self._remove(conversation_id)
        for conversation in rows:
            self._upsert(conversation)
        self.sig_synced.emit()

    async def _remove_ids(self, ids: tuple[int, ...]) -> None:
        for conversation_id in ids:
            self._remove(conversation_id)

    async def _refresh_ids(self, ids: tuple[int, ...]) -> None:
        agent_id = self._agent_id
        found = await self._bridge.run(partial(chats.get_many, conversation_ids=ids))
        if agent_id != self._agent_id:
            return
        for conversation_id, conversation in found.items():
            if conversation is None or conversation.archived != self._archived \
                    or conversation.agent_id != agent_id:
                self._remove(conversation_id)
            else:
                self._upsert(conversation)

    # -- minimal row changes ---------------------------------------------------------
    def _remove(self, conversation_id: int) -> None:
        self._rows.remove(conversation_id)

    def _upsert(self, conversation: Conversation) -> None:
        self._rows.upsert(conversation)
