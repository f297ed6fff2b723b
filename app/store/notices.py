"""Change notices: what each write tells the views so they can redraw.

A notice leaves the store only once the write it reports is committed: a
notice raised inside a transaction (``db.atomic()``, nested or not) waits
until the outermost one commits and is dropped if it rolls back (peewee's
``Database.after_commit``). So a listener that reads, even through another
connection, sees what the notice announced. A notice raised inside a
savepoint that is rolled back while the outer transaction commits is still
delivered: one redraw too many, never one missed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Entity = Literal["agent", "provider", "conversation", "message", "memory", "custom_tool",
                 "mcp_server", "usage_prices", "knowledge", "external"]
Operation = Literal["insert", "update", "delete"]


@dataclass(frozen=True)
class ChangeNotice:
    entity: Entity
    op: Operation
    ids: tuple[int, ...]
    # The owner of the changed rows: agent id for conversations,
    # conversation id for messages; None where there is none.
    parent_id: int | None = None


#: Another connection (the CLI, a second process) committed: which rows changed
#: is not known, so every view reloads what it shows (ids is empty).
EXTERNAL: Entity = "external"


Listener = Callable[[ChangeNotice], None]
#: Runs a callback once the current transaction commits (at once outside one);
#: drops it when the transaction rolls back. ``SqliteDatabase.after_commit``.
AfterCommit = Callable[[Callable[[], None]], object]


def _at_once(callback: Callable[[], None]) -> None:
    callback()


class NoticeHub:
    """Fans change notices out to subscribers, in the thread that wrote, after
    the transaction that made the change committed (``after_commit``)."""

    def __init__(self, after_commit: AfterCommit = _at_once) -> None:
        self._listeners: list[Listener] = []
        self._after_commit = after_commit

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, entity: Entity, op: Operation, ids: tuple[int, ...] | list[int],
             parent_id: int | None = None) -> None:
        notice = ChangeNotice(entity, op, tuple(ids), parent_id)
        self._after_commit(lambda: self._deliver(notice))

    def _deliver(self, notice: ChangeNotice) -> None:
        for listener in list(self._listeners):
            listener(notice)
