"""Help › About: version, data folder, log file and the bundled components'
licences, as plain text; opened, closed and opened again in one window
lifetime, in the light theme and then the dark one."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import PySide6
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QPlainTextEdit
from window_support import WAIT_MS, open_window

from app import __version__
from app.settings import load_settings
from app.ui.about_dialog import (BUNDLED_COMPONENTS, AboutDialog, Component, about_text,
                                 component_version)
from app.ui.theme import is_dark, theme_manager


def open_about(window, qtbot) -> AboutDialog:
    window.actions.about.trigger()
    qtbot.waitUntil(lambda: window.dialogs.get("about") is not None, timeout=WAIT_MS)
    dialog = window.dialogs.get("about")
    assert isinstance(dialog, AboutDialog)
    qtbot.waitExposed(dialog)
    return dialog


def close(dialog: AboutDialog, qtbot) -> None:
    dialog.close_button.click()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=WAIT_MS)


def shown_text(dialog: AboutDialog) -> str:
    return dialog.findChild(QPlainTextEdit, "aboutText").toPlainText()


def assert_complete(text: str, settings) -> None:
    assert text.startswith(f"AgentDesk {__version__}\n")
    assert f"Data folder: {settings.home}\n" in text
    assert f"Log file: {settings.log_dir / 'agentdesk.log'}\n" in text
    for licence in ("LGPL-3.0-only", "MIT", "Gemma Terms of Use"):
        assert licence in text
    for source in ("https://code.qt.io/cgit/pyside/pyside-setup.git/",
                   "https://github.com/ggml-org/llama.cpp",
                   "https://github.com/abetlen/llama-cpp-python",
                   "https://ai.google.dev/gemma/terms"):
        assert source in text
    assert f"Qt 6 / PySide6 — {PySide6.__version__}" in text


def test_about_opens_twice_in_one_window_in_both_themes(aio, bridge, settings, qtbot) -> None:
    theme_manager().apply("light")
    window = open_window(qtbot, bridge, settings)
    help_menu = next(m for m in window.menuBar().findChildren(QMenu)
                     if window.actions.about in m.actions())
    assert help_menu.title().replace("&", "") == "Help"

    first = open_about(window, qtbot)
    assert first.windowTitle() == "About AgentDesk"
    assert not is_dark(first.palette())
    assert_complete(shown_text(first), settings)
    assert first.findChild(QPlainTextEdit, "aboutText").isReadOnly()
    close(first, qtbot)
    assert window.dialogs.get("about") is None

    theme_manager().apply("dark")
    second = open_about(window, qtbot)
    assert second is not first
    assert is_dark(second.palette())
    assert is_dark(second.findChild(QPlainTextEdit, "aboutText").palette())
    assert_complete(shown_text(second), settings)
    window.actions.about.trigger()             # already open: raised, not a second one
    assert window.dialogs.get("about") is second
    assert len([d for d in window.findChildren(AboutDialog) if d.isVisible()]) == 1

    theme_manager().apply("light")             # switched while open: follows
    qtbot.waitUntil(lambda: not is_dark(second.palette()), timeout=WAIT_MS)
    qtbot.keyClick(second, Qt.Key.Key_Escape)  # Escape closes it like Close
    qtbot.waitUntil(lambda: not shiboken6.isValid(second), timeout=WAIT_MS)

    third = open_about(window, qtbot)          # and once more after Escape
    assert_complete(shown_text(third), settings)
    close(third, qtbot)
    assert window.isVisible()


def test_paths_with_markup_are_shown_literally(qtbot, tmp_path: Path) -> None:
    home = tmp_path / "<b>bold</b> & <i>x"
    settings = load_settings(home)
    dialog = AboutDialog(settings)
    qtbot.addWidget(dialog)
    text = shown_text(dialog)
    assert f"Data folder: {home}\n" in text
    assert "<b>bold</b> & <i>x" in text
    assert text == about_text(settings)


def test_versions_come_from_what_is_installed() -> None:
    present = Component("Qt", "PySide6-Essentials", "PySide6", "LGPL", "src")
    assert component_version(present) == importlib.metadata.version("PySide6-Essentials")
    absent = Component("Ghost", "no-such-distribution-agentdesk", "no_such_module_agentdesk",
                       "MIT", "src")
    assert component_version(absent) == "not installed in this copy"
    # The code is there but its metadata was left out (a frozen build without it).
    bare = Component("Bare", "no-such-distribution-agentdesk", "json", "MIT", "src")
    assert component_version(bare) == "included"
    assert component_version(Component("Engine", "", "", "MIT", "src")) == "included"


def test_an_installed_app_lists_the_model_it_ships(monkeypatch, tmp_path: Path) -> None:
    """A frozen build leaves the model's package out but ships its file (and the
    package's metadata): the model is listed with its version, not as missing."""
    from app.ui import about_dialog

    [gemma] = [c for c in BUNDLED_COMPONENTS if "Gemma" in c.name]
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None
                        if name == gemma.module else real_find_spec(name, *a))
    monkeypatch.setattr(about_dialog, "bundled_model_file", lambda: None)
    assert component_version(gemma) == "not installed in this copy"
    monkeypatch.setattr(about_dialog, "bundled_model_file", lambda: tmp_path / "m.gguf")
    assert component_version(gemma) == importlib.metadata.version(gemma.distribution)


def test_every_component_names_its_licence_and_source() -> None:
    names = [c.name for c in BUNDLED_COMPONENTS]
    assert any("PySide6" in n for n in names) and any("llama.cpp" in n for n in names)
    assert any("llama-cpp-python" in n for n in names) and any("Gemma" in n for n in names)
    for component in BUNDLED_COMPONENTS:
        assert component.licence and component.source.startswith("https://")
