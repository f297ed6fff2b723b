"""Close and start again with the same data folder: the same agent and chat,
the same geometry and splitters, and the composer ready for typing. A first
start on an empty folder selects the ready-made agent."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from window_support import WAIT_MS, start_app, stop_app

from app.domain import AgentSpec, Message
from app.settings import AppSettings
from app.store import Store


def test_reopening_restores_selection_geometry_and_focus(aio, qapp, qtbot,
                                                         settings: AppSettings) -> None:
    with Store(settings.database_path) as store:
        store.agents.create(AgentSpec(name="Alpha"))
        beta = store.agents.create(AgentSpec(name="Beta"))
        chat = store.conversations.create(beta.id, "Kept chat")
        store.conversations.create(beta.id, "Newer chat")
        store.messages.add(Message(conversation_id=chat.id, role="user", content="remember me"))
        store.conversations.create(beta.id, "Newest chat")

    task, window = start_app(aio, qapp, qtbot, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    assert window.current_agent().name == "Alpha"          # first start: the first agent
    window.select_agent(beta.id)
    qtbot.waitUntil(lambda: window.conversation_model.rowCount() == 3, timeout=WAIT_MS)
    window.conversation_list.select(chat.id)
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 1, timeout=WAIT_MS)
    window.resize(780, 560)   # within the offscreen screen (800×600)
    window.main_splitter.setSizes([300, 480])
    sizes = window.main_splitter.sizes()
    left_sizes = window.left_splitter.sizes()
    stop_app(qtbot, task, window)
    assert (settings.home / "ui.ini").is_file()

    task, window = start_app(aio, qapp, qtbot, settings)
    try:
        qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
        assert window.current_agent().id == beta.id
        qtbot.waitUntil(lambda: window.conversation_list.current_conversation() is not None,
                        timeout=WAIT_MS)
        assert window.conversation_list.current_conversation().id == chat.id
        qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 1, timeout=WAIT_MS)
        widget = window.chat_view.message_widget(window.chat_view.message_ids()[0])
        assert widget.markdown() == "remember me"
        assert (window.width(), window.height()) == (780, 560)
        assert window.main_splitter.sizes() == sizes
        assert window.left_splitter.sizes() == left_sizes
        qtbot.waitUntil(lambda: QApplication.focusWidget() is window.composer.edit,
                        timeout=WAIT_MS)
    finally:
        stop_app(qtbot, task, window)


def test_first_start_on_an_empty_folder_selects_the_default_agent(
        aio, qapp, qtbot, settings: AppSettings) -> None:
    task, window = start_app(aio, qapp, qtbot, settings)
    try:
        qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
        agent = window.current_agent()
        with Store(settings.database_path) as store:
            (provider,) = store.providers.list()
        assert agent.provider == provider.name and provider.kind == "embedded"
        assert window.model_bar.provider_combo.currentText() == provider.name
        assert window.composer.send_button.isEnabled() is False      # nothing typed yet
        qtbot.waitUntil(lambda: QApplication.focusWidget() is window.composer.edit,
                        timeout=WAIT_MS)
    finally:
        stop_app(qtbot, task, window)
