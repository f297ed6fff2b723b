"""Run work once a widget is first on screen (its first paint is done), and log
that moment for the main window.

``window.show()`` only asks for a paint; the window is drawn later by the event
loop. The first Paint event of a widget starts its drawing, and a zero-time
timer set then runs once it is finished (children painted, frame flushed). Work
that can wait for the window (``after_first_paint``) then no longer delays it:
a zero-time timer set before the paint would run first. The log line gives the time since the process started (Linux; 10 ms resolution)
for people reading the log, and the wall-clock time to the microsecond for
tools: ``bench/startup.py`` subtracts the time it started the process at.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

MESSAGE = "window painted"


def seconds_since_process_start() -> float | None:
    """From /proc (Linux): boot-clock now minus the process's start tick."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat(5); the 2 before ")" are cut
        ticks = os.sysconf("SC_CLK_TCK")
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / ticks
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class FirstPaintWatcher(QObject):
    """Calls ``callback`` once, when ``widget``'s first paint has finished.
    A child of the widget: it goes with it, and never calls a dead widget's work."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if watched is self._widget and event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            QTimer.singleShot(0, self, self._callback)
        return False


def after_first_paint(widget: QWidget, callback: Callable[[], None]) -> FirstPaintWatcher:
    """Run ``callback`` once ``widget`` is first drawn (see the module docstring)."""
    return FirstPaintWatcher(widget, callback)


def log_first_paint(window: QWidget) -> FirstPaintWatcher:
    """Logs "window painted" with the times once ``window`` is first drawn
    (read by bench/startup.py)."""

    def painted() -> None:
        wall = time.time()
        since = seconds_since_process_start()
        after = f"{since:.2f} s after the process started; " if since is not None else ""
        log.info("%s (%sepoch %.6f)", MESSAGE, after, wall)

    return after_first_paint(window, painted)
