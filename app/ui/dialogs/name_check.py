"""NameCheck: whether the name typed in a dialog is free, checked in the
background a short pause after each change (``NAME_CHECK_DELAY_MS``). Only the
check of the newest typing counts; until it is done, ``done()`` is False (the
dialog keeps OK disabled) and ``sig_checked`` says when it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

NAME_CHECK_DELAY_MS = 200

Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]


class NameCheck(QObject):
    #: A check finished (``taken`` is its answer).
    sig_checked = Signal()

    def __init__(self, is_taken: Callable[[str], Awaitable[bool]],
                 typed: Callable[[], str], spawn: Spawn, *, checked: str = "",
                 parent: QObject | None = None) -> None:
        """``is_taken(name)`` asks the store, ``typed()`` is the name as typed
        now (stripped), ``checked``: a name known to be fine already."""
        super().__init__(parent)
        self._is_taken = is_taken
        self._typed = typed
        self._spawn = spawn
        self.taken = False
        self._generation = 0
        # The name the last finished uniqueness check was about.
        self._checked = checked
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(NAME_CHECK_DELAY_MS)
        self._timer.timeout.connect(lambda: self._spawn(self._check(), "check-name"))

    def schedule(self) -> None:
        """The name changed: check it after the pause."""
        self._generation += 1
        self.taken = False
        self._timer.start()

    def done(self) -> bool:
        """True once the check of the name as typed now has finished."""
        return not self._timer.isActive() and self._checked == self._typed()

    def known(self, name: str, *, taken: bool | None = None) -> None:
        """The store said so itself: a save refused as a duplicate (``taken``),
        a restored revision's name."""
        self._checked = name
        if taken is not None:
            self.taken = taken

    async def _check(self) -> None:
        generation = self._generation
        name = self._typed()
        if not name:
            self._checked = name
            self.sig_checked.emit()
            return
        taken = await self._is_taken(name)
        if generation == self._generation:
            self.taken, self._checked = taken, name
            self.sig_checked.emit()
