"""A conversation's messages as a tree: the shown branch and the versions of a turn.

Each message names the one it follows (``messages.parent_id``; None for the
first). A regenerated reply is a new assistant message with the same parent
(the user message) as the earlier reply; an edited user message is a new user
message with the same parent as the one edited. Such siblings of one role are
*versions* of the same turn. ``conversations.active_leaf_id`` is the last
message of the branch shown; the shown history is the path from the root to it.

Cost: the path is walked upwards by primary key in a recursive CTE, ``limit``
steps at most, so a page of a 5,000-message chat costs what a page of a short
one does. Children are found on the ``messages_parent`` index. A child always
has a larger id than its parent (it was inserted later, or an import gave it
one), so "the newest leaf below a message" is the largest id in its subtree,
and walking up a path only ever meets smaller ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import SqliteDatabase

from app.store.tables import Tables

#: Roles whose siblings are versions (a tool result is never regenerated alone).
VERSIONED_ROLES = ("user", "assistant")
_NO_LIMIT = 1 << 62


class _AtLeaf:
    """Sentinel: append after the conversation's active leaf."""

    def __repr__(self) -> str:
        return "AT_LEAF"


#: ``parent_id`` default of ``MessageRepository.add``: follow the shown branch's end.
AT_LEAF = _AtLeaf()


@dataclass(frozen=True)
class Versions:
    """Where a message stands among the versions of its turn."""

    index: int          # 1-based, oldest version first
    count: int
    ids: tuple[int, ...]

    def step(self, delta: int) -> int | None:
        """The id of the version ``delta`` places away, None past either end."""
        target = self.index - 1 + delta
        return self.ids[target] if 0 <= target < self.count else None


class MessageTree:
    """Tree queries over the messages table (no notices: the repository emits)."""

    def __init__(self, db: SqliteDatabase, tables: Tables) -> None:
        self._db = db
        self._messages = tables.message._meta.table_name
        self._conversations = tables.conversation._meta.table_name

    # -- the shown branch -----------------------------------------------------------
    def leaf(self, conversation_id: int) -> int | None:
        """The active leaf; a conversation without one (never set) ends at its
        newest message."""
        row = self._db.execute_sql(
            f"SELECT coalesce(active_leaf_id, (SELECT max(id) FROM {self._messages} "
            f"WHERE conversation_id = c.id)) FROM {self._conversations} AS c WHERE c.id = ?",
            (conversation_id,)).fetchone()
        return row[0] if row else None

    def set_leaf(self, conversation_id: int, message_id: int | None) -> None:
        self._db.execute_sql(
            f"UPDATE {self._conversations} SET active_leaf_id = ? WHERE id = ?",
            (message_id, conversation_id))

    def parent_of(self, message_id: int) -> int | None:
        row = self._db.execute_sql(
            f"SELECT parent_id FROM {self._messages} WHERE id = ?", (message_id,)).fetchone()
        return row[0] if row else None

    def path_rows(self, conversation_id: int, columns: str, *, start: int | None,
                  after_id: int | None = None, limit: int | None = None) -> list[tuple]:
        """``columns`` of ``start`` and its ancestors (at most ``limit``, only ids
        above ``after_id``), oldest first."""
        if start is None:
            return []
        after = after_id if after_id is not None else 0
        most = limit if limit is not None else _NO_LIMIT
        if most <= 0:
            return []
        table = self._messages
        # ``m.id < chain.id`` keeps a damaged file (a parent cycle) from looping.
        sql = (
            f"WITH RECURSIVE chain(id, parent_id, n) AS ("
            f" SELECT id, parent_id, 1 FROM {table}"
            f"  WHERE id = ? AND conversation_id = ? AND id > ?"
            f" UNION ALL"
            f" SELECT m.id, m.parent_id, chain.n + 1 FROM chain"
            f"  JOIN {table} AS m ON m.id = chain.parent_id"
            f"  WHERE chain.n < ? AND m.id > ? AND m.id < chain.id)"
            f" SELECT {_prefixed(columns)} FROM chain JOIN {table} AS m ON m.id = chain.id"
            f" ORDER BY chain.n DESC")
        return self._db.execute_sql(sql, (start, conversation_id, after, most,
                                          after)).fetchall()

    def on_path(self, conversation_id: int, message_id: int) -> bool:
        """Whether ``message_id`` is on the shown branch."""
        ids = self.path_rows(conversation_id, "id", start=self.leaf(conversation_id),
                             after_id=message_id - 1)
        return bool(ids) and ids[0][0] == message_id

    def newest_leaf_under(self, message_id: int) -> int:
        """The newest message in ``message_id``'s subtree (itself if it has none)."""
        table = self._messages
        row = self._db.execute_sql(
            f"WITH RECURSIVE below(id) AS (SELECT ? UNION ALL"
            f" SELECT m.id FROM {table} AS m JOIN below ON m.parent_id = below.id"
            f" WHERE m.id > below.id)"
            f" SELECT max(id) FROM below", (message_id,)).fetchone()
        return row[0] if row and row[0] is not None else message_id

    # -- versions -----------------------------------------------------------------------
    def versions(self, conversation_id: int,
                 messages: list[tuple[int, int | None, str]]) -> dict[int, Versions]:
        """For each (id, parent id, role) with other versions: its ``Versions``."""
        wanted = [m for m in messages if m[2] in VERSIONED_ROLES]
        if not wanted:
            return {}
        groups: dict[tuple[int | None, str], list[int]] = {}
        parents = sorted({parent for _id, parent, _role in wanted if parent is not None})
        roles = ", ".join("?" * len(VERSIONED_ROLES))
        for start in range(0, len(parents), 500):
            chunk = parents[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._db.execute_sql(
                f"SELECT id, parent_id, role FROM {self._messages} WHERE parent_id IN "
                f"({marks}) AND role IN ({roles})", (*chunk, *VERSIONED_ROLES)).fetchall()
            for id_, parent, role in rows:
                groups.setdefault((parent, role), []).append(id_)
        if any(parent is None for _id, parent, _role in wanted):
            rows = self._db.execute_sql(
                f"SELECT id, role FROM {self._messages} WHERE conversation_id = ? AND "
                f"parent_id IS NULL AND role IN ({roles})",
                (conversation_id, *VERSIONED_ROLES)).fetchall()
            for id_, role in rows:
                groups.setdefault((None, role), []).append(id_)
        found: dict[int, Versions] = {}
        for id_, parent, role in wanted:
            ids = sorted(groups.get((parent, role), ()))
            if len(ids) > 1 and id_ in ids:
                found[id_] = Versions(ids.index(id_) + 1, len(ids), tuple(ids))
        return found

    def reparent_children(self, message_id: int, parent_id: int | None) -> None:
        """Before deleting ``message_id``: its children follow its parent instead."""
        self._db.execute_sql(f"UPDATE {self._messages} SET parent_id = ? WHERE parent_id = ?",
                             (parent_id, message_id))


def _prefixed(columns: str) -> str:
    return ", ".join(f"m.{name.strip()}" for name in columns.split(","))
