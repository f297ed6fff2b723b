"""Ctrl+C in the terminal asks the application to quit cleanly.

While Qt sits in its event loop no Python bytecode runs, so a plain
``signal.signal`` handler would only fire at the next Python callback. The
asyncio way, ``loop.add_signal_handler``, uses the signal wake-up fd, which
qasync watches with a socket notifier: the Qt loop wakes up at once. Where that
is not available (Windows), a Python handler plus a short QTimer tick gives the
interpreter a chance to run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator

from PySide6.QtCore import QTimer

log = logging.getLogger(__name__)

TICK_MS = 200


@contextlib.contextmanager
def quit_on_interrupt(loop: asyncio.AbstractEventLoop,
                      request_quit: Callable[[], None]) -> Iterator[None]:
    """Call ``request_quit`` on SIGINT (and SIGTERM where supported) while active."""

    def on_signal(signum: int) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        request_quit()

    installed = _add_loop_handlers(loop, on_signal)
    if installed is None:
        with _python_handler(loop, on_signal):
            yield
        return
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def _add_loop_handlers(loop: asyncio.AbstractEventLoop,
                       on_signal: Callable[[int], None]) -> list[int] | None:
    """Install asyncio signal handlers; None where the loop cannot (Windows)."""
    wanted = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    installed: list[int] = []
    try:
        for signum in wanted:
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
    except (NotImplementedError, RuntimeError):
        for signum in installed:
            loop.remove_signal_handler(signum)
        return None
    return installed


@contextlib.contextmanager
def _python_handler(loop: asyncio.AbstractEventLoop,
                    on_signal: Callable[[int], None]) -> Iterator[None]:
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT,
                  lambda signum, _frame: loop.call_soon_threadsafe(on_signal, signum))
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: None)  # lets the interpreter run pending handlers
    timer.start()
    try:
        yield
    finally:
        timer.stop()
        signal.signal(signal.SIGINT, previous)
