"""SortedRows: the rows stay sorted, lookups find the right row, and every change
reaches the model as a valid insert/move/change/remove (checked by Qt's own model
tester), under random sequences of upserts and removals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from app.ui.sorted_rows import SortedRows


@dataclass(frozen=True)
class Item:
    id: int
    rank: int


def key(item: Item) -> tuple[int, int]:
    return (item.rank, item.id)


class Model(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: SortedRows[Item] = SortedRows(self, key)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return str(self.rows.rows[index.row()])
        return None


operations = st.lists(st.one_of(
    st.tuples(st.just("upsert"), st.integers(1, 12), st.integers(0, 6)),
    st.tuples(st.just("remove"), st.integers(1, 12), st.just(0))), max_size=60)


@settings(max_examples=60, deadline=None)
@given(initial=st.dictionaries(st.integers(1, 12), st.integers(0, 6), max_size=8),
       steps=operations)
def test_rows_follow_a_reference_list(qapp, initial: dict[int, int],
                                      steps: list[tuple[str, int, int]]) -> None:
    model = Model()
    tester = QAbstractItemModelTester(
        model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.beginResetModel()
    model.rows.reset([Item(i, r) for i, r in initial.items()])
    model.endResetModel()
    reference = dict(initial)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    for op, item_id, rank in steps:
        if op == "upsert":
            model.rows.upsert(Item(item_id, rank))
            reference[item_id] = rank
        else:
            model.rows.remove(item_id)
            reference.pop(item_id, None)
        expected = sorted((Item(i, r) for i, r in reference.items()), key=key)
        assert model.rows.rows == expected
        for position, item in enumerate(expected):
            assert model.rows.row_of(item.id) == position
            assert model.index(position).data() == str(item)
        assert model.rows.row_of(99) is None
    del tester


def test_an_unchanged_row_sends_no_signal(qapp) -> None:
    model = Model()
    model.rows.reset([Item(1, 1), Item(2, 2)])
    changes: list[int] = []
    model.dataChanged.connect(lambda first, _last: changes.append(first.row()))
    model.rowsMoved.connect(lambda *_args: changes.append(-1))
    model.rows.upsert(Item(2, 2))
    assert changes == []
    model.rows.upsert(Item(2, 0))      # moves to the top and says so
    assert model.rows.rows == [Item(2, 0), Item(1, 1)]
    assert changes == [-1, 0]
