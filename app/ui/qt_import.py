"""Importing PySide6 without its import hook keeping module sources in memory.

On its first import, PySide6 replaces ``__import__``. From then on, every import
statement naming a module PySide6 has not classified yet makes it read that
module's whole source with ``inspect.getsource``, to see whether the module
mentions "PySide6" (the default for its opt-in ``from __feature__ import
snake_case``; shibokensupport/feature.py, PYSIDE-2029). ``inspect`` reads
through ``linecache``, which keeps every line for the life of the process: for
the modules the window loads, 4.4 million characters, about 10 MB of its idle
memory (docs/PERFORMANCE.md, Startup). Clearing ``linecache`` afterwards does
not give it back: the lines sit between long-lived objects in Python's arenas.

AgentDesk never selects a feature, so every module can be classified up front
as -1, "ignore this module", which is what PySide6 gives every module that does
not mention it. With no feature selected anywhere, -1 and PySide6's 0 ("no
feature") behave the same for a module that does use Qt. PySide6 publishes its
table for this (``PySide6.support.feature.pyside_feature_dict``, PYSIDE-1019).
``import_pyside`` classifies the modules loaded so far, and a finder at the
front of ``sys.meta_path`` classifies each new module before it loads. With a
PySide6 that has no such table, nothing is changed.
"""

from __future__ import annotations

import importlib.abc
import logging
import sys
from collections.abc import MutableMapping, Sequence
from types import ModuleType

log = logging.getLogger(__name__)

IGNORE_MODULE = -1   # PySide6's feature id for "ignore this module in switching"


class FeatureClassifier(importlib.abc.MetaPathFinder):
    """Enters each module about to be imported in PySide6's feature table, so
    PySide6 does not read its source. Finds nothing itself."""

    def __init__(self, table: MutableMapping[str, int]) -> None:
        self.table = table

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> None:
        self.table.setdefault(fullname, IGNORE_MODULE)
        return None


def feature_table() -> MutableMapping[str, int] | None:
    """PySide6's per-module feature table, or None where this PySide6 has none."""
    try:
        from PySide6.support import feature
    except ImportError:
        return None
    table = getattr(feature, "pyside_feature_dict", None)
    return table if isinstance(table, MutableMapping) else None


def import_pyside() -> bool:
    """Import PySide6 and stop its import hook from reading module sources.

    Call before the first Qt module is imported (the window's start does);
    later calls change nothing. Returns whether the classifier is in place.
    """
    if any(isinstance(finder, FeatureClassifier) for finder in sys.meta_path):
        return True
    import PySide6  # noqa: F401 — installs the hook and its table
    table = feature_table()
    if table is None:
        log.info("PySide6 has no feature table; its import hook reads module sources")
        return False
    for name in list(sys.modules):
        table.setdefault(name, IGNORE_MODULE)
    sys.meta_path.insert(0, FeatureClassifier(table))
    return True
