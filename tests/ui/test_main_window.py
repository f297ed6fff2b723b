"""MainWindow: object names, menus and shortcuts, the empty state, chats list,
search that jumps to a message, tool approvals in the chat view (scripted
provider: no model server needed)."""

from __future__ import annotations

import dataclasses

import pytest
from dialog_helpers import click_box_button, message_box
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QWidget
from window_support import WAIT_MS, add_messages, find, open_window, send

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.domain import AgentSpec, Done, Message, ProviderConfig, TextDelta
from app.store import Store
from app.ui.main_window import EMPTY_TEXT, MainWindow
from tests.support.runner_helpers import RoundsProvider, SlowTool, calls, registry
from tests.support.scripted_providers import source

OBJECT_NAMES = ("agentList", "conversationList", "chatView", "composer", "sendButton",
                "stopButton", "providerCombo", "modelCombo", "temperatureSlider",
                "maxTokensSpin", "newAgentButton", "newChatButton", "searchBox")


def runner_with(tools):
    """A runner factory whose turns use ``tools`` instead of the agent toolbox."""

    def make(deps: RunnerDeps, config: RunConfig) -> AgentRunner:
        return AgentRunner(dataclasses.replace(deps, tools=tools), config)

    return make


def seed(db_path, *names: str, provider: str = "scripted") -> list[AgentSpec]:
    with Store(db_path) as store:
        if not store.providers.list():
            store.providers.create(ProviderConfig(name=provider, kind="llamacpp",
                                                  base_url="http://127.0.0.1:9/v1"))
        return [store.agents.create(AgentSpec(name=n, provider=provider, model="m1"))
                for n in names]


def test_main_widgets_carry_their_object_names(qtbot, bridge, settings) -> None:
    window = open_window(qtbot, bridge, settings)
    for name in OBJECT_NAMES:
        assert window.findChild(QWidget, name) is not None, name
    assert window.windowTitle() == "AgentDesk"
    assert window.minimumWidth() >= 640 and window.minimumHeight() >= 400


def test_every_shortcut_is_in_a_menu(qtbot, bridge, settings) -> None:
    window = open_window(qtbot, bridge, settings)
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "Edit", "Agent", "View", "Chat", "Help"]
    in_menus = {action.shortcut().toString(): action.objectName()
                for menu in menus.values() for action in menu.actions()
                if not action.shortcut().isEmpty()}
    for keys, name in (("Ctrl+N", "newChatAction"), ("Ctrl+Shift+N", "newAgentAction"),
                       ("Ctrl+K", "searchAction"), ("Esc", "stopAction"),
                       ("Ctrl+,", "settingsAction"), ("Ctrl+Q", "quitAction")):
        assert in_menus[QKeySequence(keys).toString()] == name
    assert any("Enter" in a.text() for a in menus["Chat"].actions())  # Send shows its key

    with qtbot.waitSignal(window.sig_closed, timeout=WAIT_MS):
        window.quit_action.trigger()
    assert not window.isVisible()


def test_empty_database_shows_how_to_start(aio, async_store, qtbot, bridge, settings) -> None:
    window = open_window(qtbot, bridge, settings)
    assert window.centre.stack.currentWidget() is window.placeholder
    assert EMPTY_TEXT in window.placeholder.text()
    assert not window.composer.send_button.isEnabled()

    aio.run(async_store.run(lambda s: s.agents.create(AgentSpec(name="First"))))
    qtbot.waitUntil(lambda: window.centre.stack.currentWidget() is window.chat_view,
                    timeout=WAIT_MS)


def test_keyboard_opens_search_settings_and_new_chat(aio, async_store, qtbot, bridge, db_path,
                                                     settings) -> None:
    (agent,) = seed(db_path, "Helper")
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    assert QApplication.focusWidget() is window.composer.edit   # type at once

    qtbot.keyClick(window.composer.edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search.box
    qtbot.keyClick(window.search.box, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: find(window, "settingsDialog") is not None, timeout=WAIT_MS)
    find(window, "settingsDialog").reject()

    chat = aio.run(async_store.run(lambda s: s.conversations.create(agent.id, "Earlier")))
    qtbot.waitUntil(lambda: window.conversation_model.rowCount() == 1, timeout=WAIT_MS)
    window.conversation_list.select(chat.id)
    qtbot.waitUntil(lambda: window.controller.conversation_id == chat.id, timeout=WAIT_MS)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window.conversation_list, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.controller.conversation_id is None
    assert window.conversation_list.current_conversation() is None
    assert QApplication.focusWidget() is window.composer.edit


def test_chats_are_listed_pinned_first_then_by_activity(aio, async_store, qtbot, bridge,
                                                       db_path, settings) -> None:
    (agent,) = seed(db_path, "Helper")
    with Store(db_path) as store:
        old = store.conversations.create(agent.id, "Old")
        middle = store.conversations.create(agent.id, "Middle")
        new = store.conversations.create(agent.id, "New")
    window = open_window(qtbot, bridge, settings)
    model = window.conversation_model
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    titles = lambda: [c.title for c in model.conversations()]  # noqa: E731
    assert titles() == ["New", "Middle", "Old"]

    window.conversation_list.set_pinned(model.conversations()[2], True)
    qtbot.waitUntil(lambda: titles() == ["Old", "New", "Middle"], timeout=WAIT_MS)
    aio.run(async_store.run(lambda s: s.messages.add(
        Message(conversation_id=middle.id, role="user", content="hi"))))
    qtbot.waitUntil(lambda: titles() == ["Old", "Middle", "New"], timeout=WAIT_MS)
    assert model.conversations()[1].message_count == 1

    window.conversation_list.archive(model.conversations()[2])
    qtbot.waitUntil(lambda: titles() == ["Old", "Middle"], timeout=WAIT_MS)
    window.conversation_list.delete(model.conversations()[1])
    click_box_button(message_box(window, "confirmMessage", qtbot), "Delete")
    qtbot.waitUntil(lambda: titles() == ["Old"], timeout=WAIT_MS)
    with Store(db_path) as store:
        assert store.conversations.get(new.id).archived
        assert [c.id for c in store.conversations.list(agent.id)] == [old.id]


def test_search_shows_safe_snippets_and_jumps_to_the_message(qtbot, bridge, db_path,
                                                            settings) -> None:
    first, second = seed(db_path, "Alpha", "Beta")
    with Store(db_path) as store:
        store.conversations.create(first.id, "Other chat")
        target = store.conversations.create(second.id, "Long chat")
    filler = [Message(conversation_id=0, role="user" if i % 2 else "assistant",
                      content=f"filler line {i}") for i in range(150)]
    filler[10] = Message(conversation_id=0, role="user",
                         content="the <b>zanzibar</b> <script>x()</script> plan")
    stored = add_messages(db_path, target.id, filler)
    hit_id = stored[10].id
    window = open_window(qtbot, bridge, settings)
    window.select_agent(first.id)

    qtbot.keyClick(window.composer.edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(window.search.box, "zanzib")
    results = window.search.results_model
    qtbot.waitUntil(lambda: results.rowCount() == 1, timeout=WAIT_MS)
    html = results.index(0).data(results.HtmlRole)
    # The message's own tags are text; only the match itself is bold.
    assert "&lt;b&gt;<b>zanzibar</b>&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert not window.left_splitter.isVisible()

    qtbot.keyClick(window.search.box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.controller.conversation_id == target.id
                    and hit_id in window.chat_view.message_ids(), timeout=WAIT_MS)
    assert window.current_agent().id == second.id
    qtbot.waitUntil(lambda: window.conversation_list.current_conversation() is not None
                    and window.conversation_list.current_conversation().id == target.id,
                    timeout=WAIT_MS)
    widget = window.chat_view.message_widget(hit_id)

    def visible() -> bool:
        top = widget.mapTo(window.chat_view.container, widget.rect().topLeft()).y()
        value = window.chat_view.scroll.verticalScrollBar().value()
        return value <= top < value + window.chat_view.scroll.viewport().height()
    qtbot.waitUntil(visible, timeout=WAIT_MS)
    assert window.search.box.text() == "" and window.left_splitter.isVisible()


def test_tool_approval_is_asked_in_the_chat_view(qtbot, bridge, db_path, settings) -> None:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="scripted", kind="llamacpp",
                                              base_url="http://scripted.invalid/v1"))
        store.agents.create(AgentSpec(name="Tooler", provider="scripted", model="m1",
                                      tools=["probe"], tool_policies={"probe": "ask"}))
    tool = SlowTool("probe", policy="ask", result="probe ran")
    provider = RoundsProvider(ProviderConfig(name="scripted", kind="llamacpp",
                                             base_url="http://scripted.invalid/v1"),
                              [calls(("c1", "probe", {"x": 1})),
                               [TextDelta(text="All done."), Done()]])
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}),
                         runner_factory=runner_with(registry(tool)))
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    send(window, "Run the probe")

    qtbot.waitUntil(lambda: window.chat_view.tool_block("c1") is not None
                    and window.chat_view.tool_block("c1").approve_button.isVisible(),
                    timeout=WAIT_MS)
    assert tool.started == []                      # waits for the person
    window.chat_view.tool_block("c1").approve_button.click()
    conversation_id = window.controller.conversation_id
    qtbot.waitUntil(lambda: not window.controller.sessions[conversation_id].running,
                    timeout=WAIT_MS)
    assert tool.arguments == [{"x": 1}]
    with Store(db_path) as store:
        stored = store.messages.all(conversation_id)
    assert [m.role for m in stored] == ["user", "assistant", "tool", "assistant"]
    assert stored[2].content == "probe ran" and stored[3].content == "All done."
    assert "probe ran" in window.chat_view.tool_block("c1").result.text()


@pytest.mark.parametrize("decision", ["deny"])
def test_denied_tool_does_not_run(qtbot, bridge, db_path, settings, decision) -> None:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="scripted", kind="llamacpp",
                                              base_url="http://scripted.invalid/v1"))
        store.agents.create(AgentSpec(name="Tooler", provider="scripted", model="m1",
                                      tools=["probe"], tool_policies={"probe": "ask"}))
    tool = SlowTool("probe", policy="ask")
    provider = RoundsProvider(ProviderConfig(name="scripted", kind="llamacpp",
                                             base_url="http://scripted.invalid/v1"),
                              [calls(("c1", "probe", {"x": 2})),
                               [TextDelta(text="Fine."), Done()]])
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}),
                         runner_factory=runner_with(registry(tool)))
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    send(window, "Run the probe")
    qtbot.waitUntil(lambda: window.chat_view.tool_block("c1") is not None
                    and window.chat_view.tool_block("c1").deny_button.isVisible(),
                    timeout=WAIT_MS)
    window.chat_view.tool_block("c1").deny_button.click()
    conversation_id = window.controller.conversation_id
    qtbot.waitUntil(lambda: not window.controller.sessions[conversation_id].running,
                    timeout=WAIT_MS)
    assert tool.started == []
    with Store(db_path) as store:
        tool_message = [m for m in store.messages.all(conversation_id) if m.role == "tool"][0]
    assert tool_message.status == "error"


def test_a_window_without_settings_uses_the_database_folder(bridge, model, qtbot,
                                                            db_path) -> None:
    window = MainWindow(bridge, model)
    qtbot.addWidget(window)
    assert window.settings.home == db_path.parent
    assert window.state.path.parent == db_path.parent


def test_switch_provider_from_an_error_opens_the_provider_list(qtbot, bridge, db_path,
                                                               settings) -> None:
    seed(db_path, "Helper")
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.model_bar.provider_combo.count() == 1, timeout=WAIT_MS)
    view = window.chat_view
    view.begin_reply(41, "m1", "scripted")
    view.finish_reply(41, "error", None, "The provider stopped answering.")
    error_bar = view.message_widget(41).error_bar
    assert error_bar is not None
    qtbot.waitUntil(error_bar.isVisible, timeout=WAIT_MS)
    error_bar.sig_switch_provider.emit()
    combo = window.model_bar.provider_combo
    qtbot.waitUntil(lambda: combo.view().isVisible(), timeout=WAIT_MS)
    combo.hidePopup()
