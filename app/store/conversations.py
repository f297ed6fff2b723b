"""Conversation repository."""

from __future__ import annotations

from peewee import SqliteDatabase, fn

from app.domain import Conversation
from app.domain.clock import utc_now
from app.domain.conversation import ConversationOrigin
from app.store.codec import time_or_damaged, time_to_db
from app.store.errors import NotFoundError
from app.store.notices import NoticeHub
from app.store.tables import Tables


class ConversationRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db = db
        self._t = tables
        self._hub = hub

    def create(self, agent_id: int, title: str = "New chat", *,
               origin: ConversationOrigin = "app") -> Conversation:
        now = time_to_db(utc_now())
        if self._t.agent.get_or_none(self._t.agent.id == agent_id) is None:
            raise NotFoundError("agent", agent_id)
        row = self._t.conversation.create(
            agent_id=agent_id, title=title, created_at=now, updated_at=now, origin=origin
        )
        self._hub.emit("conversation", "insert", [row.id], agent_id)
        return self.get(row.id)

    def get(self, conversation_id: int) -> Conversation:
        rows = list(self._query().where(self._t.conversation.id == conversation_id))
        if not rows:
            raise NotFoundError("conversation", conversation_id)
        return self._to_conversation(rows[0])

    def list(self, agent_id: int | None = None, *, include_archived: bool = False,
             archived_only: bool = False, limit: int = 50,
             offset: int = 0) -> list[Conversation]:
        """Pinned first, then newest activity first. Archived conversations are
        left out unless ``include_archived``; ``archived_only`` lists only them."""
        table = self._t.conversation
        query = self._query()
        if agent_id is not None:
            query = query.where(table.agent_id == agent_id)
        if archived_only:
            query = query.where(table.archived == True)  # noqa: E712 (peewee)
        elif not include_archived:
            query = query.where(table.archived == False)  # noqa: E712 (peewee)
        query = query.order_by(table.pinned.desc(), table.updated_at.desc(),
                               table.id.desc()).limit(limit).offset(offset)
        return [self._to_conversation(row) for row in query]

    def rename(self, conversation_id: int, title: str) -> Conversation:
        return self._set(conversation_id, title=title.strip() or "New chat")

    def set_pinned(self, conversation_id: int, pinned: bool) -> Conversation:
        return self._set(conversation_id, pinned=pinned)

    def set_archived(self, conversation_id: int, archived: bool) -> Conversation:
        return self._set(conversation_id, archived=archived)

    def totals(self, agent_id: int) -> tuple[int, int]:
        """How many conversations (archived too) and messages ``agent_id`` has."""
        table, message = self._t.conversation, self._t.message
        chats = table.select().where(table.agent_id == agent_id).count()
        messages = (message.select().join(table, on=(message.conversation_id == table.id))
                    .where(table.agent_id == agent_id).count())
        return chats, messages

    def delete(self, conversation_id: int) -> None:
        """Delete a conversation and its messages (cascade)."""
        conversation = self.get(conversation_id)
        table = self._t.conversation
        table.delete().where(table.id == conversation_id).execute()
        self._hub.emit("conversation", "delete", [conversation_id], conversation.agent_id)

    def _set(self, conversation_id: int, **values) -> Conversation:
        """Change a conversation's own fields. ``updated_at`` is left alone: it
        means "last activity" (a message), and renaming or pinning is not one."""
        table = self._t.conversation
        changed = table.update(**values).where(table.id == conversation_id).execute()
        if not changed:
            raise NotFoundError("conversation", conversation_id)
        conversation = self.get(conversation_id)
        self._hub.emit("conversation", "update", [conversation_id], conversation.agent_id)
        return conversation

    def _query(self):
        table, message = self._t.conversation, self._t.message
        count = (message.select(fn.COUNT(message.id))
                 .where(message.conversation_id == table.id))
        return table.select(table, count.alias("message_count"))

    @staticmethod
    def _to_conversation(row) -> Conversation:
        """The row as a Conversation; a field that cannot be read (a time that
        is no time, a title that is not text) gets a stand-in and the row is
        marked ``damaged``, so one bad row never fails a list or a delete."""
        damage: list[str] = []
        created_at = time_or_damaged(row.created_at, "created time", damage)
        updated_at = time_or_damaged(row.updated_at, "last activity time", damage)
        title = row.title
        if not isinstance(title, str):
            damage.append("title")
            title = ""
        leaf = row.active_leaf_id if isinstance(row.active_leaf_id, int) else None
        if leaf is None and row.active_leaf_id is not None:
            damage.append("shown branch")
        return Conversation(
            id=row.id, agent_id=row.agent_id, title=title, pinned=bool(row.pinned),
            archived=bool(row.archived), created_at=created_at, updated_at=updated_at,
            message_count=row.message_count, active_leaf_id=leaf,
            damaged=", ".join(damage) or None,
            origin=row.origin if row.origin in ("api", "workflow") else "app",
        )
