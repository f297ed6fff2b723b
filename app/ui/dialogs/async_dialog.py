"""A QDialog that runs its store and network work as owned asyncio tasks.

Dialogs are shown with ``open()`` (never ``exec()``: a nested event loop
inside a running qasync task would let other task steps run inside it). Work
runs as tasks owned by the StoreBridge; the dialog also remembers them and
cancels what is still running when it closes, so no callback reaches a
widget that is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from app.services.store_bridge import StoreBridge
from app.ui import prompts


class AsyncDialog(QDialog):
    def __init__(self, bridge: StoreBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = self._bridge.spawn(coro, name=f"{self.objectName()}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def busy(self) -> bool:
        """True while any of the dialog's tasks runs (tests wait on this)."""
        return bool(self._tasks)

    def done(self, result: int) -> None:  # noqa: D401 (Qt override)
        for task in list(self._tasks):
            task.cancel()
        super().done(result)

    # -- non-blocking message boxes -------------------------------------------------------
    def confirm(self, title: str, text: str, on_yes: Callable[[], None], *,
                yes_text: str = "OK", informative: str = "") -> QMessageBox:
        """Ask without a nested event loop; ``on_yes`` runs if confirmed."""
        return prompts.confirm(self, title, text, on_yes, yes_text=yes_text,
                               informative=informative)

    def inform(self, title: str, text: str, *, warning: bool = False) -> QMessageBox:
        return prompts.inform(self, title, text, warning=warning)
