"""Switching the theme at run time looks exactly like starting in that theme.

Sampled as a person sees them: the agent and chat lists, the settings dialog's
page list and the Tools & MCP lists (the dialog stays open while its Appearance
page switches the theme), and a message bubble's frame. Each is compared, pixel
for pixel at the same points, with a window (and dialog) started in that theme.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QListView, QWidget
from pixel_support import Samples, bubble, corner, settle
from window_support import WAIT_MS, add_messages, open_window

from app.domain import AgentSpec, Message, ProviderConfig
from app.store import Store
from app.ui.dialogs.settings_dialog import SettingsDialog
from app.ui.main_window import MainWindow
from app.ui.dialogs.widgets import ERROR_COLOR_DARK, ERROR_COLOR_LIGHT, FieldMessage
from app.ui.contrast_style import ContrastStyle, pad_items
from app.ui.theme import dark_palette, light_palette, theme_manager


@pytest.fixture
def chat(db_path) -> Iterator[tuple[int, int]]:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="local", kind="llamacpp",
                                              base_url="http://127.0.0.1:9/v1"))
        agent = store.agents.create(AgentSpec(name="Helper", provider="local", model="m1"))
        conversation = store.conversations.create(agent.id, "Paris")
    add_messages(db_path, conversation.id, [
        Message(conversation_id=conversation.id, role="user", content="Weather in Paris?"),
        Message(conversation_id=conversation.id, role="assistant", content="Cloudy, 11 °C.")])
    yield agent.id, conversation.id


def start(qtbot, bridge, settings, chat: tuple[int, int], theme: str) -> MainWindow:
    """A window started in ``theme`` (run_app applies it before building the window)."""
    theme_manager().apply(theme)
    window = open_window(qtbot, bridge, settings)
    agent_id, conversation_id = chat
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    window.open_conversation(agent_id, conversation_id)
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.conversation_model.rowCount() == 1, timeout=WAIT_MS)
    return window


def open_settings(window: MainWindow, qtbot) -> SettingsDialog:
    window.actions.settings.trigger()
    qtbot.waitUntil(lambda: window.dialogs.get("settings") is not None, timeout=WAIT_MS)
    dialog = window.dialogs.get("settings")
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    return dialog


def samples(window: MainWindow, dialog: SettingsDialog) -> Samples:
    settle()
    found = {"agentList": corner(window.agent_list),
             "conversationList": corner(window.conversation_list),
             "settingsNav": corner(dialog.nav)}
    dialog.show_page("Providers")
    settle()
    found["providerList"] = corner(dialog.providers.list)
    dialog.show_page("Tools & MCP")
    settle()
    found["customToolList"] = corner(dialog.tools.custom_list)
    found["mcpServerList"] = corner(dialog.tools.mcp_list)
    dialog.show_page("Appearance")
    found.update(bubble(window, 0))
    found.update(bubble(window, 1))
    return found


def close(window: MainWindow, dialog: SettingsDialog, qtbot) -> None:
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=WAIT_MS)
    window.close()


def choose(dialog: SettingsDialog, theme: str) -> None:
    dialog.show_page("Appearance")
    dialog.appearance.buttons[theme].click()       # applied at once (preview)


def test_switching_both_ways_gives_the_pixels_of_a_fresh_start(aio, bridge, settings, chat,
                                                               qtbot) -> None:
    fresh: dict[str, Samples] = {}
    for theme in ("light", "dark"):
        window = start(qtbot, bridge, settings, chat, theme)
        dialog = open_settings(window, qtbot)
        fresh[theme] = samples(window, dialog)
        close(window, dialog, qtbot)
    assert fresh["light"] != fresh["dark"]
    for theme in ("light", "dark"):             # the frames are there at all
        assert fresh[theme]["user inside"] != fresh[theme]["assistant inside"]
        assert fresh[theme]["assistant border"] != fresh[theme]["assistant inside"]
    assert fresh["dark"]["agentList"] == fresh["dark"]["settingsNav"] != "#ffffff"

    window = start(qtbot, bridge, settings, chat, "light")
    dialog = open_settings(window, qtbot)
    assert samples(window, dialog) == fresh["light"]
    choose(dialog, "dark")
    assert samples(window, dialog) == fresh["dark"]
    choose(dialog, "light")
    assert samples(window, dialog) == fresh["light"]
    choose(dialog, "dark")
    close(window, dialog, qtbot)                    # saved as dark

    window = start(qtbot, bridge, settings, chat, settings.ui.theme)
    assert settings.ui.theme == "dark"
    dialog = open_settings(window, qtbot)
    choose(dialog, "light")
    assert samples(window, dialog) == fresh["light"]
    choose(dialog, "dark")
    assert samples(window, dialog) == fresh["dark"]
    close(window, dialog, qtbot)


def test_a_shown_field_message_takes_the_new_themes_error_colour(qtbot) -> None:
    manager = theme_manager()
    manager.apply("light")
    message = FieldMessage("probeMessage")
    qtbot.addWidget(message)
    message.show_problem("A name is required.")
    message.show()
    colour = lambda: message.palette().color(QPalette.ColorRole.WindowText).name()  # noqa: E731
    assert colour() == ERROR_COLOR_LIGHT
    manager.apply("dark")
    settle()
    assert colour() == ERROR_COLOR_DARK
    manager.apply("light")
    settle()
    assert colour() == ERROR_COLOR_LIGHT


def test_a_padded_list_takes_a_new_palette_and_keeps_its_row_padding(qtbot, qapp) -> None:
    """Row padding comes from the style, not a style sheet: a sheet fixed the
    palette a list was polished with (the lists stayed white after a switch to
    dark), and polishing every sheet again on a switch crashed inside Qt."""
    theme_manager().apply("light")
    assert isinstance(qapp.style(), ContrastStyle)
    parent = QWidget()                              # inside a window, as in the app
    qtbot.addWidget(parent)
    plain, padded = QListView(parent), QListView(parent)
    model = QStringListModel(["Paris", "Rome"], parent)
    for view in (plain, padded):
        view.setModel(model)
    pad_items(padded, 6, 4)
    padded.move(0, 100)
    for view in (plain, padded):
        view.resize(120, 80)
    parent.resize(140, 200)
    parent.show()
    qtbot.waitExposed(parent)
    settle()
    row = lambda view: view.visualRect(model.index(0, 0))  # noqa: E731
    assert row(padded).height() == row(plain).height() + 8
    assert not padded.testAttribute(Qt.WidgetAttribute.WA_StyleSheet)
    assert corner(padded) == "#ffffff"
    theme_manager().apply("dark")
    settle()
    assert corner(padded) == dark_palette().color(QPalette.ColorRole.Base).name()
    assert row(padded).height() == row(plain).height() + 8
    theme_manager().apply("light")
    settle()
    assert corner(padded) == light_palette().color(QPalette.ColorRole.Base).name()


def test_no_widget_of_the_window_or_settings_keeps_a_palette_through_a_style_sheet(
        qtbot, bridge, settings, chat) -> None:
    """A widget with a style sheet keeps the palette it was polished with and
    would stay in the old theme after a switch."""
    window = start(qtbot, bridge, settings, chat, "dark")
    dialog = open_settings(window, qtbot)
    styled = [w for w in (*window.findChildren(QWidget), *dialog.findChildren(QWidget))
              if w.styleSheet()]
    assert styled == []
    close(window, dialog, qtbot)
