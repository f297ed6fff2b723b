"""The first hour of a new user, in one window lifetime (issue 13, "Must show").

One MainWindow is driven as a person drives it — buttons, menus, shortcuts,
the dialogs' own fields, the chat's ◀ ▶ — and each step checks what the
window shows and what the database holds:

1. the empty chat greets (agent, model, starters); a starter fills the composer;
2. New Agent twice, Edit Agent twice (prompt; temperature typed, seed in the
   Generation tab), Settings twice (the second time saved);
3. a question, Regenerate twice, ◀ ◀ ▶ through the versions; the stored
   branch and a Markdown export follow the version shown;
4. dark theme and back to light (pixels of the lists and bubbles);
5. the real CLI writes while the window is open: seen within 2 s;
6. archive from the Chat menu, show archived, unarchive;
7. duplicate an agent, delete the copy and the agent (the question names
   what is lost);
8. close, start the application again on the same data folder: agents,
   the version shown and the appearance are as they were left.

The data folder starts as a first run leaves it: one provider and its
"Assistant" agent, no chats. Replies come from a scripted provider (a model
is not what is tested here); everything else is the real application.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from dialog_helpers import (
    click_box_button,
    closed_port,
    message_box,
    picker_of,
    retype,
    set_name,
    wait_gone,
    wait_open,
)
from pixel_support import bubble, corner, settle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QMenu,
    QWidget,
)
from versions_support import idle, switch_of, wait_shown
from window_support import (
    SEEN_MS,
    WAIT_MS,
    agent_names,
    agentdesk,
    open_window,
    start_app,
    stop_app,
)

from app.core.first_run import AGENT_NAME, SYSTEM_PROMPT
from app.core.starters import starter_prompts
from app.domain import AgentSpec, ProviderConfig
from app.settings import AppSettings, load_settings
from app.store import Store
from app.ui.chat.theme import ChatTheme
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.dialogs.settings_dialog import SettingsDialog
from app.ui.main_window import MainWindow
from app.ui.theme import dark_palette, light_palette, theme_manager
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, source

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton
QUESTION = "Write the first line of a story about a lighthouse."
VERSIONS = ("The lamp went out at midnight.",
            "Nobody had climbed the lighthouse stairs in years.",
            "The keeper counted the ships that never came.")
OTHER_QUESTION = "A title for it?"
OTHER_REPLY = "The Last Light."
CODER_REPLY = "def read_rows(path): ..."
WRITER_PROMPT = "You write short, vivid fiction."
CODER_PROMPT = "You help with Python code."


# -- doing things the way a person does ----------------------------------------------------------
def menu_action(window: MainWindow, menu: str, label: str) -> QAction:
    """The action labelled ``label`` in the menu bar's ``menu`` (as a person finds it)."""
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu:
            for action in top.menu().actions():
                if action.text().replace("&", "").split("\t")[0] == label:
                    return action
    raise AssertionError(f"no {menu} › {label}")


def choose(window: MainWindow, menu: str, label: str) -> None:
    """Menu › label, which must be enabled."""
    action = menu_action(window, menu, label)
    assert action.isEnabled(), f"{menu} › {label} is disabled"
    action.trigger()


def press(qtbot, window: MainWindow, key: Qt.Key,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A shortcut typed in the main window (made active first, as after a click)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window.focusWidget() or window, key, modifiers)


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, LEFT, pos=widget.rect().center())


def tick(qtbot, box: QAbstractButton) -> None:
    """Click a check box or radio button on its indicator (the left end: the
    widget may be much wider than its label, and a click past the label misses)."""
    qtbot.mouseClick(box, LEFT, pos=QPoint(box.iconSize().width() // 2 + 2,
                                           box.height() // 2))


def click_row(qtbot, view: QAbstractItemView, row: int) -> None:
    """Click the row-th item of a list view."""
    index = view.model().index(row, 0)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), LEFT, pos=view.visualRect(index).center())


def right_click_row(qtbot, view: QAbstractItemView, row: int) -> None:
    """Right-click the row-th item, through the window as the platform delivers
    it (a context menu comes from the window's mouse event, not the widget's)."""
    index = view.model().index(row, 0)
    view.scrollTo(index)
    window = view.window()
    at = view.viewport().mapTo(window, view.visualRect(index).center())
    QTest.mouseClick(window.windowHandle(), Qt.MouseButton.RightButton,
                     Qt.KeyboardModifier.NoModifier, at)


def current_name(window: MainWindow) -> str | None:
    agent = window.current_agent()
    return agent.name if agent is not None else None


def click_agent(qtbot, window: MainWindow, name: str) -> AgentSpec:
    qtbot.waitUntil(lambda: name in agent_names(window), timeout=WAIT_MS)
    click_row(qtbot, window.agent_list, agent_names(window).index(name))
    qtbot.waitUntil(lambda: current_name(window) == name, timeout=WAIT_MS)
    return window.current_agent()


def click_chat(qtbot, window: MainWindow, conversation_id: int) -> None:
    model = window.conversation_model
    qtbot.waitUntil(lambda: model.row_of(conversation_id) is not None, timeout=WAIT_MS)
    click_row(qtbot, window.conversation_list, model.row_of(conversation_id))
    qtbot.waitUntil(lambda: window.controller.conversation_id == conversation_id
                    and not window.controller.loading, timeout=WAIT_MS)


def type_and_send(qtbot, window: MainWindow, text: str) -> None:
    """Clear the message box, type ``text``, press Enter."""
    edit = window.composer.edit
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def replace_text(qtbot, edit: QWidget, text: str) -> None:
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(edit, text)


def nav_to(qtbot, dialog: SettingsDialog, page: str) -> None:
    """Click a page in the settings dialog's page list."""
    items = dialog.nav.findItems(page, Qt.MatchFlag.MatchExactly)
    assert items, page
    rect = dialog.nav.visualItemRect(items[0])
    qtbot.mouseClick(dialog.nav.viewport(), LEFT, pos=rect.center())
    assert dialog.stack.currentIndex() == dialog.nav.row(items[0])


def open_tab(qtbot, dialog: AgentDialog, title: str) -> None:
    bar = dialog.tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(index).center())
    assert dialog.tabs.currentIndex() == index


def fill_new_agent(qtbot, dialog: AgentDialog, name: str, prompt: str) -> None:
    """Name, system prompt, provider (by keyboard) and model (typed)."""
    form = dialog.form
    replace_text(qtbot, form.system_prompt, prompt)
    form.provider.setFocus()
    while form.provider.current_name() != "scripted":
        before = form.provider.currentIndex()
        qtbot.keyClick(form.provider, Qt.Key.Key_Down)
        assert form.provider.currentIndex() != before, "provider 'scripted' not listed"
    qtbot.waitUntil(lambda: form.model_status.text() not in ("", "Looking for models…"),
                    timeout=WAIT_MS)
    replace_text(qtbot, form.model.lineEdit(), "m1")
    set_name(dialog, qtbot, name)


def open_settings_by_menu(qtbot, window: MainWindow) -> SettingsDialog:
    choose(window, "File", "Settings…")
    return loaded_settings(qtbot, window)


def loaded_settings(qtbot, window: MainWindow) -> SettingsDialog:
    dialog = wait_open(window, SettingsDialog, qtbot)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    return dialog


def save_and_close(qtbot, dialog) -> None:
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    click(qtbot, dialog.ok_button)
    wait_gone(dialog, qtbot)


def open_menu(qtbot, parent: QWidget, name: str) -> QMenu:
    """The context menu ``name`` once it has popped up over ``parent``."""
    found: list[QMenu] = []

    def shown() -> bool:
        found[:] = [m for m in parent.findChildren(QMenu, name) if m.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def confirm_box(qtbot, window: MainWindow, expected: str) -> None:
    box = message_box(window, "confirmMessage", qtbot)
    assert box.text() == expected
    click_box_button(box, "Delete")


# -- what the store holds ------------------------------------------------------------------------
def stored(db_path: Path, job):  # noqa: ANN001, ANN201 (a function of the Store, its result)
    """Read with a connection of its own, as another process would (without
    marking a reply in progress as interrupted, as the CLI does not)."""
    with Store(db_path, recover=False) as store:
        return job(store)


def active_leaf(db_path: Path, conversation_id: int) -> int | None:
    return stored(db_path, lambda s: s.conversations.get(conversation_id).active_leaf_id)


def shown_ids(window: MainWindow) -> list[int]:
    return window.chat_view.message_ids()


# -- pixels ---------------------------------------------------------------------------------------
def expected_pixels(dark: bool) -> dict[str, str]:
    """The colours each theme's palette gives the lists and the bubbles."""
    palette = dark_palette() if dark else light_palette()
    chat = ChatTheme.from_palette(palette)
    base = palette.color(palette.ColorRole.Base).name()
    return {"agentList": base, "conversationList": base,
            "user inside": chat.user_bubble, "assistant border": chat.border,
            "assistant inside": chat.assistant_bubble}


def seen_pixels(window: MainWindow) -> dict[str, str]:
    settle()
    found = {"agentList": corner(window.agent_list),
             "conversationList": corner(window.conversation_list)}
    found.update(bubble(window, 0))
    found.update(bubble(window, 1))
    return {key: found[key] for key in expected_pixels(False)}


def switch_theme(qtbot, window: MainWindow, theme: str, *, by_keyboard: bool) -> None:
    """Settings › Appearance › theme, then OK."""
    if by_keyboard:
        press(qtbot, window, Qt.Key.Key_Comma, CTRL)
        dialog = loaded_settings(qtbot, window)
    else:
        dialog = open_settings_by_menu(qtbot, window)
    nav_to(qtbot, dialog, "Appearance")
    tick(qtbot, dialog.appearance.buttons[theme])
    assert theme_manager().effective == theme          # shown at once
    save_and_close(qtbot, dialog)


# -- the session ----------------------------------------------------------------------------------
@pytest.fixture
def first_run(settings: AppSettings) -> tuple[ProviderConfig, AgentSpec]:
    """The data folder as a first run leaves it: a provider and its Assistant."""
    config = ProviderConfig(name="scripted", kind="llamacpp", is_local=True,
                            base_url=f"http://127.0.0.1:{closed_port()}/v1")
    with Store(settings.database_path) as store:
        store.providers.create(config)
        agent = store.agents.create(AgentSpec(name=AGENT_NAME, system_prompt=SYSTEM_PROMPT,
                                              provider="scripted", model="m1"))
    return config, agent


def test_the_first_hour_in_one_window_lifetime(aio, qapp, qtbot, bridge, settings, db_path,
                                               first_run, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="app")
    config, assistant = first_run
    home = settings.home
    provider = RoundsProvider(config, [*(answer(v) for v in VERSIONS), answer(OTHER_REPLY),
                                       answer(CODER_REPLY)])
    theme_manager().apply(settings.ui.theme, settings.ui.font_size)   # as run_app does
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}))
    view = window.chat_view

    # -- 1. the empty chat greets; a starter fills the composer ---------------------------
    qtbot.waitUntil(lambda: view.greeting() is not None
                    and view.greeting().title.text() == f"Chat with {AGENT_NAME}",
                    timeout=WAIT_MS)
    greeting = view.greeting()
    assert greeting.model.text() == "Model: m1 via scripted"
    assert greeting.starters() == starter_prompts(assistant)
    assert greeting.buttons and all(b.isVisibleTo(window) for b in greeting.buttons)
    starter = greeting.buttons[-1]
    click(qtbot, starter)
    assert window.composer.text() == starter.text()
    assert stored(db_path, lambda s: s.conversations.list(limit=10)) == []  # nothing sent

    # -- 2. New Agent twice, Edit Agent twice, Settings twice -------------------------------
    click(qtbot, window.new_agent_button)
    dialog = wait_open(window, AgentDialog, qtbot)
    fill_new_agent(qtbot, dialog, "Writer", WRITER_PROMPT)
    save_and_close(qtbot, dialog)
    press(qtbot, window, Qt.Key.Key_N, CTRL | SHIFT)       # the second time, by keyboard
    dialog = wait_open(window, AgentDialog, qtbot)          # (it raised once, issue 13)
    assert dialog.form.name.text() == ""
    fill_new_agent(qtbot, dialog, "Coder", CODER_PROMPT)
    save_and_close(qtbot, dialog)
    qtbot.waitUntil(lambda: agent_names(window) == [AGENT_NAME, "Coder", "Writer"],
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: current_name(window) == "Coder", timeout=WAIT_MS)
    made = stored(db_path, lambda s: {a.name: a for a in s.agents.list()})
    assert sorted(made) == [AGENT_NAME, "Coder", "Writer"]
    assert (made["Writer"].provider, made["Writer"].model,
            made["Writer"].system_prompt) == ("scripted", "m1", WRITER_PROMPT)
    assert made["Coder"].system_prompt == CODER_PROMPT

    writer = click_agent(qtbot, window, "Writer")
    new_prompt = WRITER_PROMPT + " Keep it to one sentence."
    choose(window, "Agent", "Edit Agent…")
    dialog = wait_open(window, AgentDialog, qtbot)
    assert dialog.form.name.text() == "Writer"
    dialog.form.system_prompt.setFocus()
    qtbot.keyClick(dialog.form.system_prompt, Qt.Key.Key_End, CTRL)
    qtbot.keyClicks(dialog.form.system_prompt, " Keep it to one sentence.")
    save_and_close(qtbot, dialog)
    edited = stored(db_path, lambda s: s.agents.get(writer.id))
    assert edited.system_prompt == new_prompt and edited.revision > writer.revision

    choose(window, "Agent", "Edit Agent…")                 # Edit Agent a second time
    dialog = wait_open(window, AgentDialog, qtbot)
    assert dialog.form.system_prompt.toPlainText() == new_prompt
    retype(qtbot, dialog.form.temperature, "0.7")          # End, Backspaces, "0.7"
    assert dialog.form.temperature.lineEdit().text() == "0.7"
    open_tab(qtbot, dialog, "Generation")
    seed = dialog.generation.fields["seed"]
    assert seed.isVisibleTo(dialog)                         # llama.cpp takes a seed
    seed.setFocus()
    qtbot.keyClicks(seed, "42")
    save_and_close(qtbot, dialog)
    edited = stored(db_path, lambda s: s.agents.get(writer.id))
    assert edited.temperature == pytest.approx(0.7) and edited.generation.seed == 42
    assert edited.system_prompt == new_prompt

    first_settings = open_settings_by_menu(qtbot, window)
    click(qtbot, first_settings.buttons.button(first_settings.buttons.StandardButton.Cancel))
    wait_gone(first_settings, qtbot)
    press(qtbot, window, Qt.Key.Key_Comma, CTRL)            # Settings again, by keyboard
    second_settings = loaded_settings(qtbot, window)
    nav_to(qtbot, second_settings, "Appearance")
    font_size = settings.ui.font_size + 1
    second_settings.appearance.font_size.setFocus()
    qtbot.keyClick(second_settings.appearance.font_size, Qt.Key.Key_Up)
    save_and_close(qtbot, second_settings)
    assert window.settings.ui.font_size == font_size
    assert load_settings(home).ui.font_size == font_size
    assert QApplication.font().pointSize() == font_size

    # -- 3. a question, Regenerate twice, page through the versions -------------------------
    click_agent(qtbot, window, "Writer")
    qtbot.waitUntil(lambda: view.greeting() is not None
                    and view.greeting().title.text() == "Chat with Writer", timeout=WAIT_MS)
    type_and_send(qtbot, window, QUESTION)
    idle(qtbot, window)
    chat = window.controller.conversation_id
    wait_shown(qtbot, window, [QUESTION, VERSIONS[0]])
    request = provider.requests[0]
    assert request.temperature == pytest.approx(0.7) and request.seed == 42
    assert [m.content for m in request.messages if m.role == "system"] == [new_prompt]

    reply = view.message_widget(shown_ids(window)[-1])
    click(qtbot, reply.regenerate_button)                   # by the reply's button
    qtbot.waitUntil(lambda: len(provider.requests) == 2, timeout=WAIT_MS)
    idle(qtbot, window)
    wait_shown(qtbot, window, [QUESTION, VERSIONS[1]], "2/2")
    choose(window, "Chat", "Regenerate Last Reply")         # and by the Chat menu
    qtbot.waitUntil(lambda: len(provider.requests) == 3, timeout=WAIT_MS)
    idle(qtbot, window)
    wait_shown(qtbot, window, [QUESTION, VERSIONS[2]], "3/3")
    assert switch_of(window, -1).text() == "◀ 3/3 ▶"
    assert [[m.content for m in r.messages if m.role != "system"]
            for r in provider.requests] == [[QUESTION]] * 3
    assert len(stored(db_path, lambda s: s.messages.all(chat))) == 4   # all kept
    qtbot.waitUntil(lambda: active_leaf(db_path, chat) == shown_ids(window)[-1],
                    timeout=WAIT_MS)

    for label, text in (("2/3", VERSIONS[1]), ("1/3", VERSIONS[0])):
        click(qtbot, switch_of(window, -1).previous)
        wait_shown(qtbot, window, [QUESTION, text], label)
        qtbot.waitUntil(lambda: active_leaf(db_path, chat) == shown_ids(window)[-1],
                        timeout=WAIT_MS)
    assert not switch_of(window, -1).previous.isEnabled()
    click(qtbot, switch_of(window, -1).next)
    wait_shown(qtbot, window, [QUESTION, VERSIONS[1]], "2/3")
    qtbot.waitUntil(lambda: active_leaf(db_path, chat) == shown_ids(window)[-1],
                    timeout=WAIT_MS)
    assert [m.content for m in stored(db_path, lambda s: s.messages.path_all(chat))] == [
        QUESTION, VERSIONS[1]]

    choose(window, "File", "Export All Chats…")
    picker = picker_of(window, qtbot)
    # A folder of its own: Qt's file picker reads the files it lists to tell
    # their type, and closing those reads drops SQLite's locks on the data
    # folder's database in this process (reported separately).
    (tmp_path / "exports").mkdir()
    exported = tmp_path / "exports" / "chats.md"
    picker.selectFile(str(exported))
    picker.accept()
    box = message_box(window, "infoMessage", qtbot)
    assert box.text() == f"Exported 1 conversation (MD) to {exported}."
    box.close()
    markdown = exported.read_text(encoding="utf-8")
    assert QUESTION in markdown and VERSIONS[1] in markdown
    assert VERSIONS[0] not in markdown and VERSIONS[2] not in markdown

    # -- 4. dark and back to light: the lists and the bubbles follow ------------------------
    # (started as "Follow system": light or dark, whichever the platform says)
    assert seen_pixels(window) == expected_pixels(theme_manager().effective == "dark")
    switch_theme(qtbot, window, "dark", by_keyboard=False)
    assert load_settings(home).ui.theme == "dark"
    assert seen_pixels(window) == expected_pixels(dark=True)
    switch_theme(qtbot, window, "light", by_keyboard=True)
    assert load_settings(home).ui.theme == "light"
    assert seen_pixels(window) == expected_pixels(dark=False)
    assert expected_pixels(dark=False) != expected_pixels(dark=True)

    # -- 5. the CLI writes while the window is open -----------------------------------------
    click(qtbot, window.new_chat_button)                    # a second chat, to archive
    qtbot.waitUntil(lambda: view.greeting() is not None, timeout=WAIT_MS)
    type_and_send(qtbot, window, OTHER_QUESTION)
    idle(qtbot, window)
    other = window.controller.conversation_id
    assert other != chat
    wait_shown(qtbot, window, [OTHER_QUESTION, OTHER_REPLY])
    click_chat(qtbot, window, chat)                         # back to the first chat
    wait_shown(qtbot, window, [QUESTION, VERSIONS[1]], "2/3")

    agentdesk(home, "agents", "create", "--name", "Reviewer", "--provider", "scripted",
              "--model", "m1")
    qtbot.waitUntil(lambda: "Reviewer" in agent_names(window), timeout=SEEN_MS)
    agentdesk(home, "conversations", "archive", str(other))
    qtbot.waitUntil(lambda: window.conversation_model.row_of(other) is None,
                    timeout=SEEN_MS)
    assert current_name(window) == "Writer"                 # nothing else moved
    assert window.controller.conversation_id == chat
    assert window.conversation_model.row_of(chat) is not None

    # -- 6. archive from the Chat menu, show archived, unarchive ----------------------------
    assert menu_action(window, "Chat", "Archive Chat").isEnabled()
    choose(window, "Chat", "Archive Chat")
    qtbot.waitUntil(lambda: window.conversation_model.row_of(chat) is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: stored(db_path, lambda s: s.conversations.get(chat).archived),
                    timeout=WAIT_MS)
    toggle = window.left.show_archived
    tick(qtbot, toggle)
    assert toggle.isChecked()
    qtbot.waitUntil(lambda: {c.id for c in window.conversation_model.conversations()}
                    == {chat, other}, timeout=WAIT_MS)
    click_chat(qtbot, window, chat)
    choose(window, "Chat", "Unarchive Chat")
    qtbot.waitUntil(lambda: window.conversation_model.row_of(chat) is None, timeout=WAIT_MS)
    assert not stored(db_path, lambda s: s.conversations.get(chat).archived)
    tick(qtbot, toggle)
    assert not toggle.isChecked()
    qtbot.waitUntil(lambda: [c.id for c in window.conversation_model.conversations()]
                    == [chat], timeout=WAIT_MS)
    click_chat(qtbot, window, chat)
    wait_shown(qtbot, window, [QUESTION, VERSIONS[1]], "2/3")

    # -- 7. duplicate Coder, delete the copy, delete Coder -----------------------------------
    coder = click_agent(qtbot, window, "Coder")
    qtbot.waitUntil(lambda: view.greeting() is not None
                    and view.greeting().title.text() == "Chat with Coder", timeout=WAIT_MS)
    assert view.greeting().starters() == starter_prompts(coder)
    click(qtbot, view.greeting().buttons[0])               # something for Coder to lose
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    idle(qtbot, window)
    wait_shown(qtbot, window, [starter_prompts(coder)[0], CODER_REPLY])

    choose(window, "Agent", "Duplicate Agent")
    qtbot.waitUntil(lambda: current_name(window) == "Coder (copy)", timeout=WAIT_MS)
    copy = stored(db_path, lambda s: s.agents.get_by_name("Coder (copy)"))
    assert copy.system_prompt == CODER_PROMPT and copy.id != coder.id
    choose(window, "Agent", "Delete Agent…")
    confirm_box(qtbot, window, "Delete agent 'Coder (copy)' and its 0 chats (0 messages)? "
                               "This cannot be undone.")
    qtbot.waitUntil(lambda: "Coder (copy)" not in agent_names(window), timeout=WAIT_MS)

    # Coder by the agent list's own menu (right click).
    right_click_row(qtbot, window.agent_list, agent_names(window).index("Coder"))
    menu = open_menu(qtbot, window.agent_list, "agentMenu")
    assert current_name(window) == "Coder"
    delete = next(a for a in menu.actions() if a.text().replace("&", "") == "Delete Agent…")
    qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(delete).center())
    confirm_box(qtbot, window, "Delete agent 'Coder' and its 1 chat (2 messages)? "
                               "This cannot be undone.")
    qtbot.waitUntil(lambda: agent_names(window) == [AGENT_NAME, "Reviewer", "Writer"],
                    timeout=WAIT_MS)
    left = stored(db_path, lambda s: (sorted(a.name for a in s.agents.list()),
                                      [c.agent_id for c in s.conversations.list(limit=50)]))
    assert left[0] == [AGENT_NAME, "Reviewer", "Writer"]
    assert coder.id not in left[1] and copy.id not in left[1]

    click_agent(qtbot, window, "Writer")
    click_chat(qtbot, window, chat)
    wait_shown(qtbot, window, [QUESTION, VERSIONS[1]], "2/3")

    # -- 8. close; start again on the same data folder --------------------------------------
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    # What this process shows now must not decide the next start's looks.
    theme_manager().apply("dark", settings.ui.font_size - 1)
    task, again = start_app(aio, qapp, qtbot, load_settings(home))
    try:
        qtbot.waitUntil(lambda: agent_names(again) == [AGENT_NAME, "Reviewer", "Writer"],
                        timeout=WAIT_MS)
        qtbot.waitUntil(lambda: current_name(again) == "Writer", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: again.controller.conversation_id == chat, timeout=WAIT_MS)
        wait_shown(qtbot, again, [QUESTION, VERSIONS[1]], "2/3")
        assert theme_manager().effective == "light"
        assert QApplication.font().pointSize() == font_size
        assert seen_pixels(again) == expected_pixels(dark=False)
        assert stored(db_path, lambda s: s.agents.get(writer.id)).generation.seed == 42
    finally:
        stop_app(qtbot, task, again)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]

