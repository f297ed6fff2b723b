"""The desktop shell offscreen, where there is no system tray: said once, and
the main window behaves as a normal window (closing it quits)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QSystemTrayIcon
from window_support import WAIT_MS, open_window

from app.ui.desktop_shell import DesktopShell
from app.ui.tray import NO_TRAY_NOTE


def test_without_a_tray_the_app_says_so_once_and_closing_quits(
        qtbot, bridge, settings, caplog) -> None:
    caplog.set_level(logging.INFO, logger="app")
    window = open_window(qtbot, bridge, settings)
    shell = DesktopShell(window, bridge, window._model, settings)
    assert QSystemTrayIcon.isSystemTrayAvailable() is False      # offscreen
    shell.start()
    assert shell.tray.available is False
    assert not shell.tray.icon.isVisible()
    assert window.statusBar().currentMessage() == NO_TRAY_NOTE
    notes = [r for r in caplog.records if "no system tray available" in r.getMessage()]
    assert len(notes) == 1

    with qtbot.waitSignal(window.sig_closed, timeout=WAIT_MS):
        window.close()                       # no tray: nothing keeps it open
    assert not window.isVisible()
    assert shell.tray.asking is None
    assert settings.ui.close_to_tray is None  # nothing was asked nor saved
    assert not settings.settings_file.exists()
    shell.close()
