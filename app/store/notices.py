"""Change notices: what each write tells the views so they can redraw."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Entity = Literal["agent", "provider", "conversation", "message", "memory", "custom_tool",
                 "mcp_server", "external"]
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


class NoticeHub:
    """Fans change notices out to subscribers, in the thread that wrote."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, entity: Entity, op: Operation, ids: tuple[int, ...] | list[int],
             parent_id: int | None = None) -> None:
        notice = ChangeNotice(entity, op, tuple(ids), parent_id)
        for listener in list(self._listeners):
            listener(notice)
