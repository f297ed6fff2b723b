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
             after_id: int | None = None, limit: int = 100) -> list[Message]:
        """The ``limit`` newest messages older than ``before_id`` (and newer than
        ``after_id``), oldest first.

        Long conversations load from the newest end; scrolling up asks for the
        page before the oldest message shown.
        """
        # Plain SQL on the (conversation_id, id) index and plain tuples: peewee's
        # per-column conversion cost more than the rest of building a page
        # (a page of 119 rows: 1.7 ms through peewee, 0.5 ms like this). The
        # runner reads one page per turn, so this is on every turn's path.
        sql = (f"SELECT {_PAGE_COLUMNS} FROM {self._t.message._meta.table_name} "
               "WHERE conversation_id = ?")
        params: list = [conversation_id]
        if before_id is not None:
            sql += " AND id < ?"
            params.append(before_id)
        if after_id is not None:
            sql += " AND id > ?"
            params.append(after_id)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        rows = self._db.execute_sql(sql, params).fetchall()
        return [_from_tuple(row) for row in reversed(rows)]

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
        return _from_tuple(tuple(getattr(row, name) for name in _PAGE_FIELDS))


_PAGE_FIELDS = ("id", "conversation_id", "role", "content", "tool_calls", "tool_call_id",
                "status", "model", "provider", "agent_revision", "usage", "error", "meta",
                "created_at", "updated_at")
_PAGE_COLUMNS = ", ".join(_PAGE_FIELDS)


def _from_tuple(row: tuple) -> Message:
    """A message from its column values in ``_PAGE_FIELDS`` order."""
    (id_, conversation_id, role, content, tool_calls, tool_call_id, status, model,
     provider, agent_revision, usage, error, meta, created_at, updated_at) = row
    # The empty JSON values are by far the most common; skip the parser for them.
    return Message(
        id=id_, conversation_id=conversation_id, role=role, content=content,
        tool_calls=[] if tool_calls in ("[]", "", None) else json_from_db(tool_calls, []),
        tool_call_id=tool_call_id, status=status, model=model, provider=provider,
        agent_revision=agent_revision, usage=json_from_db(usage) or None, error=error,
        meta={} if meta in ("{}", "", None) else json_from_db(meta, {}),
        created_at=time_from_db(created_at), updated_at=time_from_db(updated_at),
    )
