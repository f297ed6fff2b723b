"""Theme switching: light, dark, follow system; font size; the change signal;
and the settings dialog applying it live (Cancel goes back)."""

from __future__ import annotations

import json

import pytest
from dialog_helpers import WAIT_MS, host
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication

from app.ui.dialogs.settings_dialog import SettingsDialog
from app.ui.theme import ThemeManager, is_dark, system_prefers_dark

__all__ = ["host"]


@pytest.fixture
def theme(qapp: QApplication):
    """A ThemeManager on the test QApplication; the app's look is put back after."""
    palette, font, style = QPalette(qapp.palette()), QFont(qapp.font()), qapp.style().name()
    manager = ThemeManager(qapp)
    try:
        yield manager
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setFont(font)


def window_lightness(app: QApplication) -> int:
    return app.palette().color(QPalette.ColorRole.Window).lightness()


def test_dark_and_light_change_the_palette_and_signal(theme, qapp, qtbot) -> None:
    with qtbot.waitSignal(theme.sig_theme_changed, timeout=WAIT_MS) as dark:
        theme.apply("dark")
    assert dark.args == ["dark"] and theme.effective == "dark"
    assert is_dark(qapp.palette()) and window_lightness(qapp) < 80
    text = qapp.palette().color(QPalette.ColorRole.Text).lightness()
    base = qapp.palette().color(QPalette.ColorRole.Base).lightness()
    assert text - base > 150  # readable text on dark fields
    assert qapp.style().name().lower() == "fusion"

    with qtbot.waitSignal(theme.sig_theme_changed, timeout=WAIT_MS) as light:
        theme.apply("light")
    assert light.args == ["light"]
    assert not is_dark(qapp.palette()) and window_lightness(qapp) > 180

    with qtbot.assertNotEmitted(theme.sig_theme_changed):
        theme.apply("light")  # no change, no signal


def test_follow_system_uses_the_platform_scheme(theme, qapp) -> None:
    theme.apply("dark")
    theme.apply("system")
    assert theme.theme == "system"
    assert theme.effective == ("dark" if system_prefers_dark(theme._platform_palette)
                               else "light")
    assert is_dark(qapp.palette()) == (theme.effective == "dark")


def test_font_size_is_applied_and_bounded(theme, qapp, qtbot) -> None:
    with qtbot.waitSignal(theme.sig_font_size_changed, timeout=WAIT_MS) as changed:
        theme.apply("light", font_size=15)
    assert changed.args == [15] and qapp.font().pointSize() == 15
    theme.set_font_size(500)
    assert qapp.font().pointSize() == 48
    with pytest.raises(ValueError):
        theme.apply("sepia")  # type: ignore[arg-type]


def test_settings_dialog_previews_and_cancel_restores(theme, qapp, bridge, settings,
                                                      host, qtbot) -> None:
    theme.apply("light", settings.ui.font_size)
    dialog = SettingsDialog(bridge, settings, theme=theme, parent=host)
    dialog.open()
    dialog.show_page("Appearance")
    page = dialog.appearance
    assert page.buttons["system"].isChecked()  # the default setting

    page.buttons["dark"].setChecked(True)
    assert theme.effective == "dark" and is_dark(qapp.palette())
    page.font_size.setValue(14)
    assert qapp.font().pointSize() == 14

    dialog.reject()
    assert theme.theme == "system" and qapp.font().pointSize() == settings.ui.font_size
    assert not settings.settings_file.exists()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)


def test_settings_dialog_saves_the_appearance(theme, qapp, bridge, settings, host,
                                              qtbot) -> None:
    dialog = SettingsDialog(bridge, settings, theme=theme, parent=host)
    dialog.open()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.appearance.buttons["dark"].setChecked(True)
    dialog.appearance.font_size.setValue(13)
    with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    saved = json.loads(settings.settings_file.read_text(encoding="utf-8"))
    assert saved["ui"] == {"theme": "dark", "font_size": 13}
    assert theme.effective == "dark"
