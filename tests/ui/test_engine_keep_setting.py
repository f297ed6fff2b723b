"""Settings › Providers: how long the embedded engine keeps its model loaded —
shown, changed, saved to settings.json, read again by the next dialog and by
the providers the next reply builds."""

from __future__ import annotations

import json

from dialog_helpers import WAIT_MS, host

from app.core.provider_factory import options_from_settings
from app.settings import load_settings
from app.ui.dialogs.settings_dialog import SettingsDialog

__all__ = ["host"]


def open_dialog(bridge, settings, host, qtbot) -> SettingsDialog:
    dialog = SettingsDialog(bridge, settings, parent=host)
    dialog.open()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    return dialog


def test_keep_loaded_time_is_set_saved_and_used(bridge, settings, host, qtbot) -> None:
    dialog = open_dialog(bridge, settings, host, qtbot)
    spin = dialog.providers.keep_loaded
    assert dialog.providers.isAncestorOf(spin) and spin.value() == 10   # the default
    spin.setValue(0)
    assert spin.text() == "Unload after each reply"
    with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    saved = json.loads(settings.settings_file.read_text(encoding="utf-8"))
    assert saved["engine"] == {"keep_loaded_minutes": 0}
    assert options_from_settings(settings).keep_loaded_seconds == 0   # the next reply's

    dialog = open_dialog(bridge, settings, host, qtbot)              # opened again
    assert dialog.providers.keep_loaded.value() == 0
    dialog.providers.keep_loaded.setValue(3)
    with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    reread = load_settings(settings.home)
    assert reread.engine.keep_loaded_minutes == 3
    assert options_from_settings(reread).keep_loaded_seconds == 180
