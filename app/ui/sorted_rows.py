"""A list model's rows kept sorted, changed one row at a time.

The agent and conversation lists both apply store change notices as minimal
row changes (insert, move, dataChanged, remove) instead of resetting; this is
the one implementation of that bookkeeping.

Sort keys are total orders that end in the row's id, so a row's position is
found by bisecting for its current key (kept per id): O(log n) per lookup. A
linear search made every re-read of a 500-row list (a sync after another
process wrote, e.g. the local API streaming into new chats) O(n^2) on the UI
thread: tens of milliseconds each time.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex

Row = TypeVar("Row")


class SortedRows(Generic[Row]):
    """Rows with an ``id`` attribute, ordered by ``key(row)``, inside ``model``."""

    def __init__(self, model: QAbstractListModel, key: Callable[[Row], Any]) -> None:
        self._model = model
        self._key = key
        self.rows: list[Row] = []
        self._keys: list[Any] = []
        self._key_of: dict[Any, Any] = {}     # row id -> its key in _keys

    def __len__(self) -> int:
        return len(self.rows)

    def reset(self, rows: list[Row]) -> None:
        """Replace every row (the initial load); the caller brackets it with
        beginResetModel/endResetModel."""
        self.rows = sorted(rows, key=self._key)
        self._keys = [self._key(row) for row in self.rows]
        self._key_of = {getattr(row, "id", None): key
                        for row, key in zip(self.rows, self._keys, strict=True)}

    def row_of(self, row_id: int | None) -> int | None:
        key = self._key_of.get(row_id)
        if key is None:
            return None
        return bisect.bisect_left(self._keys, key)

    def remove(self, row_id: int) -> None:
        index = self.row_of(row_id)
        if index is None:
            return
        self._model.beginRemoveRows(QModelIndex(), index, index)
        del self.rows[index]
        del self._keys[index]
        del self._key_of[row_id]
        self._model.endRemoveRows()

    def upsert(self, item: Row) -> None:
        """Insert ``item`` in order, or update it in place (moving it when its
        sort key changed); unchanged items cause no signal."""
        key = self._key(item)
        row_id = getattr(item, "id", None)
        index = self.row_of(row_id)
        if index is None:
            position = bisect.bisect_left(self._keys, key)
            self._model.beginInsertRows(QModelIndex(), position, position)
            self.rows.insert(position, item)
            self._keys.insert(position, key)
            self._key_of[row_id] = key
            self._model.endInsertRows()
            return
        if self.rows[index] == item:
            return
        self._key_of[row_id] = key
        # Where it goes among the other rows (this one taken out).
        position = bisect.bisect_left(self._keys, key)
        if self._keys[index] < key:
            position -= 1
        if position != index:
            # beginMoveRows counts the destination before the move is made.
            destination = position if position < index else position + 1
            self._model.beginMoveRows(QModelIndex(), index, index, QModelIndex(),
                                      destination)
            del self.rows[index]
            del self._keys[index]
            self.rows.insert(position, item)
            self._keys.insert(position, key)
            self._model.endMoveRows()
        else:
            self.rows[index] = item
            self._keys[index] = key
        changed = self._model.index(position)
        self._model.dataChanged.emit(changed, changed)
