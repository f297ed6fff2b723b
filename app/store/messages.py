"""Message repository, including the writes the durability contract relies on."""

from peewee import IntegrityError, SqliteDatabase

from app.domain import Message, MessageStatus, ToolCallRecord, UsageStats
from app.domain.clock import utc_now
from app.store.codec import json_from_db, json_to_db, time_from_db, time_to_db
from app.store.errors import NotFoundError
from app.store.notices import NoticeHub
from app.store.tables import Tables


class MessageRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db = db
        self._t = tables
        self._hub = hub

    # -- reading ---------------------------------------------------------------
    def get(self, message_id: int) -> Message:
        row = self._t.message.get_or_none(self._t.message.id == message_id)
        if row is None:
            raise NotFoundError("message", message_id)
        return self._to_message(row)

    def page(self, conversation_id: int, *, before_id: int | None = None,
             limit: int = 100) -> list[Message]:
        """The ``limit`` newest messages older than ``before_id``, oldest first.

        Long conversations load from the newest end; scrolling up asks for the
        page before the oldest message shown.
        """
        table = self._t.message
        query = table.select().where(table.conversation_id == conversation_id)
        if before_id is not None:
            query = query.where(table.id < before_id)
        # namedtuples: no model instance per row (half the cost of a page).
        rows = list(query.order_by(table.id.desc()).limit(limit).namedtuples())
        return [self._to_message(row) for row in reversed(rows)]

    def all(self, conversation_id: int) -> list[Message]:
        table = self._t.message
        rows = table.select().where(table.conversation_id == conversation_id)
        return [self._to_message(row) for row in rows.order_by(table.id)]

    def count(self, conversation_id: int) -> int:
        table = self._t.message
        return table.select().where(table.conversation_id == conversation_id).count()

    # -- writing ---------------------------------------------------------------
    def add(self, message: Message) -> Message:
        """Insert a message and commit it before returning."""
        now = time_to_db(utc_now())
        values = self._values(message)
        try:
            with self._db.atomic():
                row = self._t.message.create(**values, created_at=now, updated_at=now)
                self._touch_conversation(message.conversation_id, now)
        except IntegrityError as exc:  # the foreign key: no such conversation
            raise NotFoundError("conversation", message.conversation_id) from exc
        self._hub.emit("message", "insert", [row.id], message.conversation_id)
        return self.get(row.id)

    def set_content(self, message_id: int, content: str) -> None:
        """Replace the content of a growing message (a streaming flush)."""
        self._update(message_id, content=content)

    def finalize(self, message_id: int, *, status: MessageStatus, content: str,
                 usage: UsageStats | None = None, error: str | None = None,
                 tool_calls: list[ToolCallRecord] | None = None,
                 model: str | None = None, provider: str | None = None,
                 meta: dict | None = None) -> Message:
        """Write a message's final state in one transaction."""
        values: dict = {"status": status, "content": content, "error": error}
        if usage is not None:
            values["usage"] = usage.model_dump_json()
        if tool_calls is not None:
            values["tool_calls"] = json_to_db([c.model_dump(mode="json") for c in tool_calls])
        if model is not None:
            values["model"] = model
        if provider is not None:
            values["provider"] = provider
        if meta is not None:
            values["meta"] = json_to_db(meta)
        self._update(message_id, **values)
        return self.get(message_id)

    def delete(self, message_id: int) -> None:
        message = self.get(message_id)
        table = self._t.message
        table.delete().where(table.id == message_id).execute()
        self._hub.emit("message", "delete", [message_id], message.conversation_id)

    def recover_interrupted(self) -> list[int]:
        """Mark replies left ``streaming`` by a killed process as ``partial``.

        Their content up to the last flush is kept. Returns the ids changed.
        """
        table = self._t.message
        ids = [row.id for row in table.select(table.id).where(table.status == "streaming")]
        if ids:
            table.update(status="partial", updated_at=time_to_db(utc_now())).where(
                table.id.in_(ids)).execute()
            self._hub.emit("message", "update", ids)
        return ids

    # -- helpers ---------------------------------------------------------------
    def _update(self, message_id: int, **values) -> None:
        table = self._t.message
        now = time_to_db(utc_now())
        row = table.get_or_none(table.id == message_id)
        if row is None:
            raise NotFoundError("message", message_id)
        with self._db.atomic():
            table.update(**values, updated_at=now).where(table.id == message_id).execute()
            self._touch_conversation(row.conversation_id, now)
        self._hub.emit("message", "update", [message_id], row.conversation_id)

    def _touch_conversation(self, conversation_id: int, now: str) -> None:
        table = self._t.conversation
        changed = (table.update(updated_at=now)
                   .where(table.id == conversation_id).execute())
        if not changed:
            raise NotFoundError("conversation", conversation_id)

    @staticmethod
    def _values(message: Message) -> dict:
        return {
            "conversation_id": message.conversation_id,
            "role": message.role,
            "content": message.content,
            "tool_calls": json_to_db([c.model_dump(mode="json") for c in message.tool_calls]),
            "tool_call_id": message.tool_call_id,
            "status": message.status,
            "model": message.model,
            "provider": message.provider,
            "usage": message.usage.model_dump_json() if message.usage else None,
            "error": message.error,
            "agent_revision": message.agent_revision,
            "meta": json_to_db(message.meta),
        }

    @staticmethod
    def _to_message(row) -> Message:
        usage = json_from_db(row.usage)
        return Message(
            id=row.id, conversation_id=row.conversation_id, role=row.role,
            content=row.content, tool_calls=json_from_db(row.tool_calls, []),
            tool_call_id=row.tool_call_id, status=row.status, model=row.model,
            provider=row.provider, agent_revision=row.agent_revision,
            usage=UsageStats(**usage) if usage else None, error=row.error,
            meta=json_from_db(row.meta, {}), created_at=time_from_db(row.created_at),
            updated_at=time_from_db(row.updated_at),
        )
