"""Guards the PySide6 pin (see docs/ARCHITECTURE.md / DESIGN.md "Known pitfalls").

PySide6 6.12.0 on Python 3.11 takes one reference from ``None`` for each call of
a Qt method that returns nothing; a few thousand calls later the process dies
with "Fatal Python error: none_dealloc". On a good build the count stays put.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLabel, QTextEdit

CALLS = 4000
SLACK = 100  # unrelated code may briefly hold or drop a few references


def test_void_qt_methods_do_not_steal_references_from_none(qapp) -> None:
    edit = QTextEdit()
    label = QLabel()
    cursor = edit.textCursor()
    before = sys.getrefcount(None)

    for i in range(CALLS):
        label.show()
        label.hide()
        edit.insertPlainText("x")
        cursor.setPosition(0, QTextCursor.MoveMode.MoveAnchor)
        label.setText(str(i % 10))
        if i % 50 == 0:
            edit.setHtml(f"<p>{i}</p>")
            QCoreApplication.processEvents()

    after = sys.getrefcount(None)
    # 5 void calls per iteration: a leaking build loses ~20,000 references here.
    assert after >= before - SLACK, (before, after)
