"""Unexpected errors (a Qt slot that raises, a failing asyncio callback or
thread) are written to agentdesk.log with their traceback and shown to the
person: a status-bar message and one error box that counts later errors
instead of stacking copies. In the running app (run_app) too."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox, QPushButton

from app.settings import AppSettings
from app.ui.application import run_app
from app.ui.error_report import BOX_NAME, MAX_SUMMARY, ErrorReporter, summarize
from app.ui.main_window import MainWindow
from tests.support.log_files import log_file

__all__ = ["log_file"]  # the fixture, imported for its use below

WAIT_MS = 5000


@pytest.fixture
def reporter(qtbot, qloop) -> Iterator[tuple[ErrorReporter, QMainWindow]]:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    created = ErrorReporter(window)
    created.attach(window)
    uninstall = created.install(qloop)
    try:
        yield created, window
    finally:
        uninstall()


def boxes(window: QMainWindow) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox, BOX_NAME) if b.isVisible()]


def test_a_slot_that_raises_is_logged_with_its_traceback_and_shown(reporter, log_file,
                                                                   qtbot) -> None:
    errors, window = reporter
    button = QPushButton("Go", window)

    def broken_slot() -> None:
        raise ValueError("the slot broke")

    button.clicked.connect(broken_slot)
    with qtbot.waitSignal(errors.sig_reported, timeout=WAIT_MS) as shown:
        button.click()
    assert shown.args == ["ValueError: the slot broke"]

    text = log_file.read_text()
    assert "Traceback (most recent call last)" in text
    assert "in broken_slot" in text and "ValueError: the slot broke" in text
    assert "Something went wrong: ValueError: the slot broke" == \
        window.statusBar().currentMessage()
    (box,) = boxes(window)
    assert "the slot broke" in box.text() and "in broken_slot" in box.detailedText()
    assert not box.isModal()                       # the window stays usable

    for _ in range(5):                             # more errors: one box, counted
        with qtbot.waitSignal(errors.sig_reported, timeout=WAIT_MS):
            button.click()
    assert boxes(window) == [box]
    assert "6 errors so far" in box.text()

    box.close()                                    # closed (and deleted): a new one next
    qtbot.waitUntil(lambda: not boxes(window), timeout=WAIT_MS)
    with qtbot.waitSignal(errors.sig_reported, timeout=WAIT_MS):
        button.click()
    (again,) = boxes(window)
    assert "errors so far" not in again.text()
    again.close()


def test_a_failing_event_loop_callback_and_thread_are_reported(reporter, log_file, qloop,
                                                               qtbot) -> None:
    errors, window = reporter

    def callback() -> None:
        raise KeyError("loop callback")

    with qtbot.waitSignal(errors.sig_reported, timeout=WAIT_MS) as shown:
        qloop.call_soon(callback)
    assert shown.args[0].startswith("KeyError")

    def worker() -> None:
        raise RuntimeError("worker thread")

    with qtbot.waitSignal(errors.sig_reported, timeout=WAIT_MS) as shown:
        thread = threading.Thread(target=worker, name="probe-worker")
        thread.start()
        thread.join()
    assert shown.args == ["RuntimeError: worker thread"]
    text = log_file.read_text()
    assert "in callback" in text and "in worker" in text and "thread probe-worker" in text
    assert errors.count == 2 and len(boxes(window)) == 1


def test_install_puts_the_previous_hooks_back(qtbot) -> None:
    before = (sys.excepthook, threading.excepthook)
    uninstall = ErrorReporter().install()
    assert sys.excepthook is not before[0] and threading.excepthook is not before[1]
    uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_summary_is_one_bounded_line() -> None:
    assert summarize(ValueError("a\nb   c")) == "ValueError: a b c"
    assert summarize(KeyError()) == "KeyError"
    assert len(summarize(ValueError("x" * 10_000))) == MAX_SUMMARY


def test_the_running_app_logs_and_shows_a_slot_error(aio, qapp, qtbot, log_file,
                                                     settings: AppSettings,
                                                     monkeypatch) -> None:
    def broken(*_args: object) -> None:
        raise ZeroDivisionError("shortcuts box broke")

    monkeypatch.setattr(MainWindow, "_inform", broken)
    hook = sys.excepthook
    shown: list[MainWindow] = []
    task = aio.start(run_app(settings, qapp, on_shown=shown.append))
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    window = shown[0]

    window.actions.shortcuts_help.trigger()        # its slot raises
    qtbot.waitUntil(lambda: bool(boxes(window)), timeout=WAIT_MS)
    assert "shortcuts box broke" in window.statusBar().currentMessage()
    assert "shortcuts box broke" in boxes(window)[0].text()
    text = log_file.read_text()
    assert "Traceback" in text and "ZeroDivisionError: shortcuts box broke" in text
    window.actions.shortcuts_help.trigger()        # and again: still one box
    qtbot.waitUntil(lambda: "2 errors so far" in boxes(window)[0].text(), timeout=WAIT_MS)
    assert len(boxes(window)) == 1

    window.quit_action.trigger()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.result() == 0
    assert sys.excepthook is hook                  # put back on the way out
