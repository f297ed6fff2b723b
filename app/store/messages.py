"""Message repository, including the writes the durability contract relies on."""

from peewee import IntegrityError, SqliteDatabase

from app.domain import Message, MessageStatus, ToolCallRecord, UsageStats
from app.domain.clock import utc_now
from app.store.codec import (
    json_from_db,
    json_to_db,
    time_from_db,
    time_or_damaged,
    time_to_db,
)
from app.store.errors import DamagedValueError, NotFoundError
from app.store.attachments import attachments_from_db, attachments_to_db
from app.store.message_tree import AT_LEAF, MessageTree, Versions, _AtLeaf
from app.store.notices import NoticeHub
from app.store.tables import Tables


class MessageRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db = db
        self._t = tables
        self._hub = hub
        self.tree = MessageTree(db, tables)

    # -- reading ---------------------------------------------------------------
    def get(self, message_id: int) -> Message:
        # Plain SQL, as ``page``: every streamed reply reads its row back when
        # it starts and when it ends, and peewee's query building and row
        # objects cost several times the lookup (on the store's thread, which
        # shares the GIL with the loop relaying tokens: docs/PERFORMANCE.md).
        row = self._db.execute_sql(f"SELECT {_PAGE_COLUMNS} FROM {self._message_table} "
                                   "WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise NotFoundError("message", message_id)
        return _from_tuple(row)

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

    # -- the shown branch (app/store/message_tree.py) ------------------------------------
    def path(self, conversation_id: int, *, before_id: int | None = None,
             after_id: int | None = None, limit: int | None = 100) -> list[Message]:
        """Messages of the shown branch, oldest first: the ``limit`` nearest
        ancestors of ``before_id`` (without it: the active leaf and its
        ancestors), only those with ids above ``after_id``.

        Like ``page`` for a chat without versions; with versions, only the
        branch the conversation shows (or the one leading to ``before_id``).
        """
        start = (self.tree.leaf(conversation_id) if before_id is None
                 else self.tree.parent_of(before_id))
        rows = self.tree.path_rows(conversation_id, _PAGE_COLUMNS, start=start,
                                   after_id=after_id, limit=limit)
        return [_from_tuple(row) for row in rows]

    def path_all(self, conversation_id: int) -> list[Message]:
        """The whole shown branch, oldest first (what exports and ``show`` print)."""
        return self.path(conversation_id, limit=None)

    def active_leaf(self, conversation_id: int) -> int | None:
        return self.tree.leaf(conversation_id)

    def versions(self, conversation_id: int, messages: list[Message]) -> dict[int, Versions]:
        """message id -> its place among the versions of its turn, for each of
        ``messages`` that has more than one version."""
        return self.tree.versions(conversation_id, [
            (m.id, m.parent_id, m.role) for m in messages if m.id is not None])

    def versions_of(self, conversation_id: int, ids: list[int]) -> dict[int, Versions]:
        """``versions`` for the messages ``ids`` of the conversation (a view's
        shown messages), read by id."""
        found: list[tuple[int, int | None, str]] = []
        table = self._t.message._meta.table_name
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            found += self._db.execute_sql(
                f"SELECT id, parent_id, role FROM {table} WHERE conversation_id = ? AND "
                f"id IN ({marks})", (conversation_id, *chunk)).fetchall()
        return self.tree.versions(conversation_id, found)

    def user_turn_of(self, message_id: int) -> Message | None:
        """The user message whose turn ``message_id`` belongs to (itself for a
        user message; None before the first user message)."""
        message = self.get(message_id)
        if message.role == "user":
            return message
        earlier = self.path(message.conversation_id, before_id=message_id, limit=None)
        return next((m for m in reversed(earlier) if m.role == "user"), None)

    def switch_version(self, message_id: int, step: int) -> int | None:
        """Show the version ``step`` places from ``message_id`` (-1: the previous,
        +1: the next) and the newest branch below it. Returns the version now
        shown, or None when there is none that far."""
        message = self.get(message_id)
        found = self.versions(message.conversation_id, [message]).get(message_id)
        target = found.step(step) if found is not None else None
        if target is None:
            return None
        self.show_branch(target)
        return target

    def show_branch(self, message_id: int) -> int:
        """Make the branch through ``message_id`` the shown one (to the newest
        leaf below it); nothing changes when it is shown already. Returns the leaf."""
        message = self.get(message_id)
        conversation_id = message.conversation_id
        if self.tree.on_path(conversation_id, message_id):
            return self.tree.leaf(conversation_id) or message_id
        leaf = self.tree.newest_leaf_under(message_id)
        with self._db.atomic():
            self.tree.set_leaf(conversation_id, leaf)
        self._emit_conversation(conversation_id)
        return leaf

    def all(self, conversation_id: int) -> list[Message]:
        table = self._t.message
        rows = table.select().where(table.conversation_id == conversation_id)
        return [self._to_message(row) for row in rows.order_by(table.id)]

    def count(self, conversation_id: int) -> int:
        table = self._t.message
        return table.select().where(table.conversation_id == conversation_id).count()

    # -- writing ---------------------------------------------------------------
    def add(self, message: Message, *, parent_id: int | None | _AtLeaf = AT_LEAF) -> Message:
        """Insert a message and commit it before returning.

        It follows ``parent_id`` (default: the end of the shown branch; None: it
        starts the conversation) and becomes the end of the shown branch, in
        the same transaction.
        """
        now = time_to_db(utc_now())
        values = self._values(message)
        try:
            with self._db.atomic():
                values["parent_id"] = (self.tree.leaf(message.conversation_id)
                                       if isinstance(parent_id, _AtLeaf) else parent_id)
                row = self._t.message.create(**values, created_at=now, updated_at=now)
                self._touch_conversation(message.conversation_id, now, leaf=row.id)
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
        """Delete one message; the messages that followed it follow its parent
        now, and a shown branch that ended with it ends at its parent."""
        message = self.get(message_id)
        table = self._t.message
        conversation_id = message.conversation_id
        with self._db.atomic():
            self.tree.reparent_children(message_id, message.parent_id)
            table.delete().where(table.id == message_id).execute()
            if self.tree.leaf(conversation_id) in (message_id, None):
                self.tree.set_leaf(conversation_id, message.parent_id)
        self._hub.emit("message", "delete", [message_id], conversation_id)

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
    @property
    def _message_table(self) -> str:
        return self._t.message._meta.table_name

    def _update(self, message_id: int, **values) -> None:
        """Write ``values`` (field names) and touch the conversation, in one
        transaction. Plain SQL: a streaming flush calls this a few times a
        second per reply (see ``get``)."""
        fields = self._t.message._meta.fields
        values["updated_at"] = now = time_to_db(utc_now())
        assignments = ", ".join(f"{fields[name].column_name} = ?" for name in values)
        with self._db.atomic():
            # fetchall: the statement runs to its end before the commit.
            rows = self._db.execute_sql(
                f"UPDATE {self._message_table} SET {assignments} WHERE id = ? "
                "RETURNING conversation_id", (*values.values(), message_id)).fetchall()
            if not rows:
                raise NotFoundError("message", message_id)
            conversation_id = rows[0][0]
            self._touch_conversation(conversation_id, now)
        self._hub.emit("message", "update", [message_id], conversation_id)

    def _touch_conversation(self, conversation_id: int, now: str,
                            leaf: int | None = None) -> None:
        table = self._t.conversation._meta.table_name
        if leaf is None:
            cursor = self._db.execute_sql(f"UPDATE {table} SET updated_at = ? WHERE id = ?",
                                          (now, conversation_id))
        else:
            cursor = self._db.execute_sql(
                f"UPDATE {table} SET updated_at = ?, active_leaf_id = ? WHERE id = ?",
                (now, leaf, conversation_id))
        if not cursor.rowcount:
            raise NotFoundError("conversation", conversation_id)

    def _emit_conversation(self, conversation_id: int) -> None:
        """The shown branch changed: the conversation's views redraw."""
        row = self._t.conversation.get_or_none(self._t.conversation.id == conversation_id)
        self._hub.emit("conversation", "update", [conversation_id],
                       row.agent_id if row is not None else None)

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
            "parent_id": message.parent_id,
            "attachments": attachments_to_db(message.attachments),
        }

    @staticmethod
    def _to_message(row) -> Message:
        return _from_tuple(tuple(getattr(row, name) for name in _PAGE_FIELDS))


_PAGE_FIELDS = ("id", "conversation_id", "role", "content", "tool_calls", "tool_call_id",
                "status", "model", "provider", "agent_revision", "usage", "error", "meta",
                "created_at", "updated_at", "parent_id", "attachments")
_PAGE_COLUMNS = ", ".join(_PAGE_FIELDS)


def _from_tuple(row: tuple) -> Message:
    """A message from its column values in ``_PAGE_FIELDS`` order."""
    (id_, conversation_id, role, content, tool_calls, tool_call_id, status, model,
     provider, agent_revision, usage, error, meta, created_at, updated_at, parent_id,
     attachments) = row
    try:
        # The empty JSON values are by far the most common; skip the parser for them.
        return Message(
            id=id_, conversation_id=conversation_id, role=role, content=content,
            tool_calls=[] if tool_calls in ("[]", "", None) else json_from_db(tool_calls, []),
            tool_call_id=tool_call_id, status=status, model=model, provider=provider,
            agent_revision=agent_revision, usage=json_from_db(usage) or None, error=error,
            meta={} if meta in ("{}", "", None) else json_from_db(meta, {}),
            created_at=time_from_db(created_at), updated_at=time_from_db(updated_at),
            parent_id=parent_id,
            attachments=[] if attachments in ("[]", "", None)
            else attachments_from_db(attachments),
        )
    except (DamagedValueError, ValueError):  # ValidationError and JSON errors too
        return _salvage(row)


def _salvage(row: tuple) -> Message:
    """A message from a row some of whose columns cannot be read: each such
    column gets its default and is named in ``damaged`` (content is kept: it
    is what the person wants back)."""
    values = dict(zip(_PAGE_FIELDS, row, strict=True))
    damage: list[str] = []
    fields: dict = {"id": values["id"], "conversation_id": values["conversation_id"],
                    "parent_id": values["parent_id"] if isinstance(values["parent_id"], int)
                    else None,
                    "created_at": time_or_damaged(values["created_at"], "created time", damage),
                    "updated_at": time_or_damaged(values["updated_at"], "updated time",
                                                  damage)}
    for name in ("role", "content", "status", "tool_call_id", "model", "provider",
                 "error", "agent_revision", "tool_calls", "usage", "meta", "attachments"):
        value = values[name]
        try:
            if name == "attachments":
                value = attachments_from_db(value) if value not in ("[]", "", None) else None
            elif name in ("tool_calls", "usage", "meta"):
                value = json_from_db(value, None) or None
            if value is not None:
                Message.model_validate({"conversation_id": 0, "role": "user",
                                        name: value})
                fields[name] = value
        except ValueError:
            damage.append(_COLUMN_WORDS.get(name, name))
    fields.setdefault("role", "assistant")  # an unreadable role shows as a reply
    if not isinstance(fields.get("content", ""), str):
        fields["content"] = ""
    fields["damaged"] = ", ".join(damage) or "unreadable row"
    return Message(**fields)


_COLUMN_WORDS = {"tool_calls": "tool calls", "tool_call_id": "tool call id",
                 "agent_revision": "agent revision"}
