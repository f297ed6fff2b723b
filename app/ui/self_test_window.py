"""The window step of ``agentdesk --self-test`` (app/self_test.py): the real
start (``run_app``: store, first run, main window) offscreen, then File › Quit
as soon as the window is shown."""

from __future__ import annotations

import os
import sys

from app.settings import AppSettings

#: Widgets (by object name) the shown window must have.
EXPECTED_WIDGETS = ("agentList", "chatView", "composer", "sendButton")


class WindowCheckFailed(Exception):
    """The window did not come up as it should; the message says how."""


def open_and_quit(settings: AppSettings) -> str:
    """Show the main window offscreen on ``settings``' data folder and quit it.
    Returns what was seen; raises WindowCheckFailed otherwise."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"   # before the QApplication exists
    from app.ui.qt_import import import_pyside

    import_pyside()
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QWidget

    from app.ui.application import create_application, run_app
    from app.ui.main_window import MainWindow

    app = create_application([sys.argv[0] if sys.argv else "agentdesk"])
    seen: list[str] = []

    def shown(window: MainWindow) -> None:
        missing = [name for name in EXPECTED_WIDGETS
                   if window.findChild(QWidget, name) is None]
        if not window.isVisible():
            seen.append("the main window is not visible")
        elif missing:
            seen.append(f"the main window lacks {', '.join(missing)}")
        else:
            seen.append("")
        QTimer.singleShot(0, window.quit_app)

    code = qasync.run(run_app(settings, app, on_shown=shown))
    if not seen:
        raise WindowCheckFailed(f"the window was never shown (exit code {code})")
    if seen[0]:
        raise WindowCheckFailed(seen[0])
    if code != 0:
        raise WindowCheckFailed(f"the window closed with exit code {code}")
    return f"main window shown and closed, {settings.database_path.name} created"
