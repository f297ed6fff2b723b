"""Drawing spread over event-loop turns: each turn draws about a frame's worth.

Every ``StreamRenderer`` of a view draws through the view's pump. The first
drawing in an event-loop turn opens that turn's ``WorkBudget`` and starts a
zero-time timer, which fires once the loop has turned (input, paint, other
timers ran); renderers that had work left (``wait``) then go on with a fresh
budget, in the order they asked. So opening a chat of huge or hostile messages
shows the first ones at once and draws the rest over the next turns, instead
of freezing the window until all are drawn.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from app.ui.chat.render_budget import FRAME_UNITS, WorkBudget


class Drainable(Protocol):
    def drain(self, budget: WorkBudget) -> bool: ...

    def alive(self) -> bool: ...


class RenderPump(QObject):
    #: Everything queued has been drawn.
    sig_idle = Signal()

    def __init__(self, parent: QObject | None = None, *, units: int = FRAME_UNITS) -> None:
        super().__init__(parent)
        self._units = units
        self._budget: WorkBudget | None = None
        self._waiting: list[Drainable] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._turn)
        self.turns = 0  # turns that drew waiting work (tests, benchmarks)

    @property
    def busy(self) -> bool:
        return bool(self._waiting)

    def budget(self) -> WorkBudget:
        """This turn's budget (opened on first use; the next turn gets a new one)."""
        if self._budget is None:
            self._budget = WorkBudget(self._units)
            self._timer.start()
        return self._budget

    def wait(self, renderer: Drainable) -> None:
        """``renderer`` has work left: go on with it in the next turn."""
        if renderer not in self._waiting:
            self._waiting.append(renderer)
        if not self._timer.isActive():
            self._timer.start()

    def discard(self, renderer: Drainable) -> None:
        """Forget ``renderer`` (its message left the view)."""
        if renderer in self._waiting:
            self._waiting.remove(renderer)

    def _turn(self) -> None:
        self._budget = None
        if not self._waiting:
            return
        self.turns += 1
        budget = self.budget()
        waiting, self._waiting = self._waiting, []
        for renderer in waiting:
            if renderer.alive() and not renderer.drain(budget):
                self.wait(renderer)
        if not self._waiting:
            self.sig_idle.emit()
