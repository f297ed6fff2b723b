"""Imported conversations: written with their own times, and remembered by a
content fingerprint so importing the same file twice is detected.

The fingerprint row is deleted with its conversation (ON DELETE CASCADE): a
conversation the user deleted may be imported again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from peewee import SqliteDatabase

from app.domain import Conversation, Message
from app.domain.clock import utc_now
from app.store.codec import time_to_db
from app.store.errors import NotFoundError
from app.store.messages import MessageRepository
from app.store.notices import NoticeHub
from app.store.tables import Tables

_BATCH = 500  # rows per INSERT (SQLite's variable limit is 32,766 on 3.32+)


class ImportRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db = db
        self._t = tables
        self._hub = hub

    def atomic(self):
        """One transaction around a whole import (agents created + conversations)."""
        return self._db.atomic()

    def find_fingerprints(self, fingerprints: Iterable[str]) -> dict[str, int]:
        """fingerprint -> id of the conversation imported with it, for those known."""
        wanted = list(dict.fromkeys(fingerprints))
        table = self._t.conversation_import
        found: dict[str, int] = {}
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start:start + _BATCH]
            for row in table.select(table.fingerprint, table.conversation_id).where(
                    table.fingerprint.in_(chunk)):
                found.setdefault(row.fingerprint, row.conversation_id)
        return found

    def same_start(self, title: str, created_at: datetime) -> list[int]:
        """Ids of conversations with exactly this title and creation time."""
        table = self._t.conversation
        rows = table.select(table.id).where((table.title == title) & (
            table.created_at == time_to_db(created_at)))
        return [row.id for row in rows]

    def add_conversation(self, conversation: Conversation, messages: list[Message], *,
                         fingerprint: str, source: str = "",
                         parents: Sequence[int | None] | None = None,
                         active_leaf: int | None = None) -> int:
        """Insert a conversation with its messages exactly as given (times
        included); ids are assigned here. Returns the new conversation id.

        ``parents[i]`` is the index of the message that message ``i`` follows
        (smaller than ``i``; None for a first message); without ``parents`` the
        messages are one branch in order. ``active_leaf`` is the index of the
        shown branch's last message (default: the last message).
        """
        if self._t.agent.get_or_none(self._t.agent.id == conversation.agent_id) is None:
            raise NotFoundError("agent", conversation.agent_id)
        if parents is None:
            parents = [None, *range(len(messages) - 1)] if messages else []
        if len(parents) != len(messages) or any(
                p is not None and not 0 <= p < i for i, p in enumerate(parents)):
            raise ValueError("each message must follow an earlier one")
        with self._db.atomic():
            row = self._t.conversation.create(
                agent_id=conversation.agent_id, title=conversation.title,
                pinned=conversation.pinned, archived=conversation.archived,
                created_at=time_to_db(conversation.created_at),
                updated_at=time_to_db(conversation.updated_at),
            )
            # Ids chosen here (the table's next ones; AUTOINCREMENT continues
            # after them) so each row can name its parent in the same batch.
            first_id = self._next_message_id()
            rows = []
            for index, message in enumerate(messages):
                values = MessageRepository._values(message)
                values["id"] = first_id + index
                parent = parents[index]
                values["parent_id"] = None if parent is None else first_id + parent
                values["conversation_id"] = row.id
                values["created_at"] = time_to_db(message.created_at)
                values["updated_at"] = time_to_db(message.updated_at)
                rows.append(values)
            for start in range(0, len(rows), _BATCH):
                self._t.message.insert_many(rows[start:start + _BATCH]).execute()
            if messages:
                leaf = len(messages) - 1 if active_leaf is None else active_leaf
                self._t.conversation.update(active_leaf_id=first_id + leaf).where(
                    self._t.conversation.id == row.id).execute()
            self._t.conversation_import.create(
                conversation_id=row.id, fingerprint=fingerprint, source=source,
                imported_at=time_to_db(utc_now()),
            )
        self._hub.emit("conversation", "insert", [row.id], conversation.agent_id)
        return row.id

    def _next_message_id(self) -> int:
        """The id AUTOINCREMENT would give the next message (inside the write
        transaction, so no other writer can take it)."""
        table = self._t.message._meta.table_name
        row = self._db.execute_sql(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
            f"coalesce((SELECT max(id) FROM {table}), 0))", (table,)).fetchone()
        return int(row[0]) + 1
