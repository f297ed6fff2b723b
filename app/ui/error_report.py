"""Unexpected errors: logged with their traceback, and shown to the person.

Without this, an exception escaping a Qt slot, an asyncio task or callback, or
a thread reached stderr only (no one sees it in a desktop app) and the window
simply did nothing. ``ErrorReporter.install`` sets ``sys.excepthook`` (PySide6
hands exceptions raised in slots to it), ``threading.excepthook`` and the event
loop's exception handler. Each report:

- is logged at ERROR with its traceback (``agentdesk.log``, app/logs.py);
- shows "Something went wrong: …" in the window's status bar;
- opens one non-modal error box; while it is open, later errors update it
  ("3 errors so far") instead of stacking more boxes.

Reports from other threads are handed to the GUI thread by a queued signal.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.ui.open_dialogs import DialogSlot, alive

log = logging.getLogger("app.errors")

STATUS_TIMEOUT_MS = 15_000
#: What the box shows of a message (an exception's text can be anything).
MAX_SUMMARY = 300
MAX_DETAILS = 8_000
BOX_NAME = "errorReport"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def summarize(exc: BaseException) -> str:
    """One line: the exception's type and message, bounded."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= MAX_SUMMARY else line[:MAX_SUMMARY - 1] + "…"


class ErrorReporter(QObject):
    """Logs unexpected errors and shows them in the window it is attached to."""

    #: A report was shown: its one-line summary (tests and the status bar).
    sig_reported = Signal(str)
    _sig_show = Signal(str, str)   # summary, details; queued to the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window: QMainWindow | None = None
        self._box: DialogSlot[QMessageBox] = DialogSlot()
        self._unseen = 0          # reports since the box opened
        self.count = 0            # reports in this lifetime
        self._sig_show.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def attach(self, window: QMainWindow | None) -> None:
        """Show reports in ``window`` (its status bar, a box over it)."""
        self._window = window

    # -- reporting ------------------------------------------------------------------------
    def report(self, exc_info: ExcInfo, where: str) -> None:
        """Log ``exc_info`` with its traceback and show it (any thread)."""
        exc_type, exc, tb = exc_info
        log.error("unexpected error in %s", where, exc_info=(exc_type, exc, tb))
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self._sig_show.emit(summarize(exc), details[-MAX_DETAILS:])

    def report_message(self, message: str, where: str) -> None:
        """An error with no exception (e.g. an event-loop context without one)."""
        log.error("unexpected error in %s: %s", where, message)
        self._sig_show.emit(message[:MAX_SUMMARY], "")

    @Slot(str)
    def show_error(self, summary: str) -> None:
        """Show an error that was already logged (e.g. a failed background task)."""
        self._show(summary[:MAX_SUMMARY], "")

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        self.count += 1
        window = self._window if alive(self._window) else None
        if window is not None:
            try:
                window.statusBar().showMessage(f"Something went wrong: {summary}",
                                               STATUS_TIMEOUT_MS)
                self._show_box(window, summary, details)
            except Exception:  # noqa: BLE001 — never report a failure to report (a loop)
                log.exception("could not show an error report")
        self.sig_reported.emit(summary)

    def _show_box(self, window: QMainWindow, summary: str, details: str) -> None:
        box = self._box.get_open()
        if box is None:
            self._unseen = 0
            box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong", "",
                              QMessageBox.StandardButton.Close, window)
            box.setObjectName(BOX_NAME)
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setWindowModality(Qt.WindowModality.NonModal)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self._box.set(box)
        self._unseen += 1
        more = (f"\n\n{self._unseen} errors so far; the details of each are in the log."
                if self._unseen > 1 else "\n\nThe details are in the log.")
        box.setText(f"AgentDesk hit an unexpected error:\n{summary}{more}")
        box.setDetailedText(details)
        box.show()

    @property
    def box(self) -> QMessageBox | None:
        """The open error box, if any."""
        return self._box.get_open()

    # -- hooks ----------------------------------------------------------------------------
    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> Callable[[], None]:
        """Route uncaught exceptions here; returns a function that puts the
        previous hooks back (``run_app`` calls it on the way out)."""
        old_sys, old_thread = sys.excepthook, threading.excepthook

        def sys_hook(exc_type: type[BaseException], exc: BaseException,
                     tb: TracebackType | None) -> None:
            if issubclass(exc_type, KeyboardInterrupt):
                old_sys(exc_type, exc, tb)
                return
            self.report((exc_type, exc, tb), "a Qt slot or callback")

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_value is None or issubclass(args.exc_type, SystemExit):
                return
            name = args.thread.name if args.thread is not None else "?"
            self.report((args.exc_type, args.exc_value, args.exc_traceback),
                        f"thread {name}")

        sys.excepthook = sys_hook
        threading.excepthook = thread_hook
        if loop is not None:
            loop.set_exception_handler(self._loop_handler)

        def uninstall() -> None:
            if sys.excepthook is sys_hook:
                sys.excepthook = old_sys
            if threading.excepthook is thread_hook:
                threading.excepthook = old_thread
            if loop is not None and not loop.is_closed():
                loop.set_exception_handler(None)
        return uninstall

    def _loop_handler(self, _loop: asyncio.AbstractEventLoop,
                      context: dict[str, Any]) -> None:
        message = str(context.get("message") or "unhandled error in the event loop")
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self.report((type(exc), exc, exc.__traceback__), f"the event loop ({message})")
        else:
            self.report_message(message, "the event loop")
