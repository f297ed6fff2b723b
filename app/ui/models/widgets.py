"""Widgets the Model Library's tabs build alike: a flat tree of models and a
word-wrapped plain-text line."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget

from app.ui.plain_text import plain_label


def model_tree(object_name: str, columns: list[str], *, stretch: int = 0) -> QTreeWidget:
    """A flat list of models in ``columns``, alternating row colours; the
    ``stretch`` column takes the spare width, the others fit their content."""
    tree = QTreeWidget()
    tree.setObjectName(object_name)
    tree.setColumnCount(len(columns))
    tree.setHeaderLabels(columns)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    header = tree.header()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    header.setStretchLastSection(False)
    return tree


def wrapped_label(object_name: str, shown: str = "") -> QLabel:
    """A word-wrapped label that shows its text as plain text (it may come
    from a file or a server)."""
    label = plain_label(QLabel(shown))
    label.setObjectName(object_name)
    label.setWordWrap(True)
    return label
