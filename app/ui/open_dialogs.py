"""Keeping track of dialogs that delete themselves when closed.

A widget with ``WA_DeleteOnClose`` frees its C++ object once it closes, while
a Python reference to it lives on; touching that reference raises "Internal
C++ object already deleted" (the main window once kept its dialogs in a list
and called ``isVisible()`` on each before opening the next, so no dialog opened
a second time). Code that remembers such a widget goes through here:

- ``alive(widget)``: False once the C++ object is gone (never touches it);
- ``DialogSlot``: one remembered widget, forgotten when it is destroyed;
- ``DialogRegistry``: at most one open dialog per kind — asking for a kind
  that is already open raises that dialog instead of opening a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def alive(widget: QWidget | None) -> bool:
    """True while ``widget``'s C++ object exists."""
    return widget is not None and shiboken6.isValid(widget)


def is_open(widget: QWidget | None) -> bool:
    """True while ``widget`` exists and is shown (closed-but-not-yet-deleted is not open)."""
    return alive(widget) and widget.isVisible()  # type: ignore[union-attr]


class DialogSlot(Generic[W]):
    """Holds one widget and lets go of it when Qt deletes it.

    ``get()`` returns the widget only while its C++ object exists, so a caller
    never touches a deleted one, whatever order Qt's deletion and our signals
    arrive in.
    """

    def __init__(self) -> None:
        self._widget: W | None = None

    def set(self, widget: W | None) -> W | None:
        self._widget = widget
        if widget is not None:
            widget.destroyed.connect(lambda *_: self._forget(widget))
        return widget

    def get(self) -> W | None:
        widget = self._widget
        if widget is not None and not alive(widget):
            self._widget = widget = None
        return widget

    def get_open(self) -> W | None:
        """The widget if it is shown now."""
        widget = self.get()
        return widget if widget is not None and widget.isVisible() else None

    def clear(self) -> None:
        self._widget = None

    def _forget(self, widget: W) -> None:
        if self._widget is widget:   # identity only: the C++ object is gone
            self._widget = None


class DialogRegistry:
    """The window's dialogs, one per kind (``"settings"``, ``"new-agent"``, …)."""

    def __init__(self) -> None:
        self._slots: dict[str, DialogSlot[QWidget]] = {}

    def get(self, kind: str) -> QWidget | None:
        """The open dialog of ``kind``, or None."""
        slot = self._slots.get(kind)
        return slot.get_open() if slot is not None else None

    def open(self, kind: str, factory: Callable[[], W]) -> W:
        """Raise the open dialog of ``kind``, or make one with ``factory``, mark it
        to delete itself on close, and ``open()`` it (non-blocking)."""
        existing = self.get(kind)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing  # type: ignore[return-value]
        dialog = factory()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._slots.setdefault(kind, DialogSlot()).set(dialog)
        open_ = getattr(dialog, "open", None)
        (open_ or dialog.show)()
        return dialog

    def open_dialogs(self) -> list[QWidget]:
        """Every tracked dialog that is shown now."""
        return [d for slot in self._slots.values() if (d := slot.get_open()) is not None]

    def __len__(self) -> int:
        return len(self.open_dialogs())
